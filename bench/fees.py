"""Party-fee figures for one database (DATABASE_URL; seeds the city with 12 months of fees if
empty).

- the monthly ledger for the whole deployment (one INSERT … SELECT over 256,781 members);
- the collection page at the city root (p50/p95, queries);
- a burst of 100 members paying at once through the sandbox provider over loopback HTTP: the
  orders are created, then 100 threads post the provider's signed callbacks (each twice, as
  providers retry) to the platform's callback URL served by a real WSGI server; counted: payments
  recorded, duplicates, and the ledger total against the sum of the successful payments.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
import urllib.request
from datetime import date
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from scan import setup_django, staff_client, timed  # noqa: E402


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class ThreadingWSGIServer(WSGIServer):
    daemon_threads = True
    request_queue_size = 512

    def process_request(self, request: Any, client_address: Any) -> None:
        threading.Thread(target=self._handle, args=(request, client_address), daemon=True).start()

    def _handle(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        finally:
            self.shutdown_request(request)
            from django.db import connections

            connections.close_all()


def ledger(month: int) -> dict[str, Any]:
    from dangjian.fees.models import FeeMonth
    from dangjian.fees.services import ledger_generate

    FeeMonth.objects.filter(month_index=month, paid_fen__isnull=True).delete()
    created, seconds = timed(ledger_generate, month=month)
    again, seconds_again = timed(ledger_generate, month=month)
    return {
        "rows": created,
        "seconds": round(seconds, 2),
        "rerun_rows": again,
        "rerun_seconds": round(seconds_again, 2),
    }


def summary_page(repeat: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dangjian.accounts.constants import Role
    from dangjian.orgs.models import Organization

    root = Organization.objects.filter(depth=1).order_by("path").first()
    client = staff_client("bench_fees", Role.COMMITTEE_STAFF)
    url = f"/fees/summary/{root.pk}/"
    assert client.get(url).status_code == 200
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        assert client.get(url).status_code == 200
        times.append((time.perf_counter() - t) * 1000)
    with CaptureQueriesContext(connection) as q:
        client.get(url)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        "queries": len(q.captured_queries),
    }


def burst(n: int) -> dict[str, Any]:
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import transaction
    from django.db.models import Sum

    from dangjian.accounts.models import User
    from dangjian.fees import online
    from dangjian.fees.models import FeeMonth, Payment, PaymentOrder
    from dangjian.fees.services import current_index
    from dangjian.members.models import Member

    now = current_index()
    members = list(Member.objects.filter(status="full", user__isnull=True).order_by("?")[:n])
    users = []
    for m in members:
        u = User.objects.create(username=f"bench_pay_{m.pk}", display_name=m.name, member=m)
        users.append(u)
    orders = []
    for u in users:
        FeeMonth.objects.filter(member=u.member, month_index=now).update(
            paid_fen=None, paid_on=None, channel="", payment=None
        )
        order, _url = online.order_create(user=u, months=[now])
        orders.append(order)
    sandbox = online.provider_get("sandbox")
    callbacks = []
    for o in orders:
        with transaction.atomic():
            callbacks.append(sandbox.pay(o.out_trade_no))  # type: ignore[attr-defined]
    server = make_server(
        "127.0.0.1", 0, WSGIHandler(), server_class=ThreadingWSGIServer, handler_class=QuietHandler
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/fees/callback/sandbox/"
    outcomes: list[str] = []
    errors: list[str] = []
    barrier = threading.Barrier(len(callbacks))

    def post(headers: dict[str, str], body: bytes) -> None:
        """Like a provider: retry with back-off until answered SUCCESS, then send it once more."""
        barrier.wait()
        delivered, attempt = 0, 0
        while delivered < 2 and attempt < 10:
            attempt += 1
            req = urllib.request.Request(
                url,
                data=body,
                method="POST",
                headers={**headers, "Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 - loopback
                    outcomes.append(json.loads(resp.read())["message"])
                    delivered += 1
            except Exception as exc:  # noqa: BLE001 - counted, then retried
                errors.append(repr(exc)[:200])
                time.sleep(0.2 * 2 ** min(attempt, 5))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=post, args=cb) for cb in callbacks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    server.shutdown()
    ids = [o.pk for o in orders]
    paid_orders = PaymentOrder.objects.filter(pk__in=ids, status="paid").count()
    payments = Payment.objects.filter(order_id__in=ids)
    payment_sum = payments.aggregate(s=Sum("amount_fen"))["s"] or 0
    ledger_sum = (
        FeeMonth.objects.filter(payment__in=payments).aggregate(s=Sum("paid_fen"))["s"] or 0
    )
    expected = sum(o.amount_fen for o in orders)
    return {
        "members": len(orders),
        "callbacks_answered": len(outcomes),
        "seconds": round(seconds, 2),
        "applied": outcomes.count("applied"),
        "duplicates": outcomes.count("duplicate") + outcomes.count("already_paid"),
        "retried_errors": len(errors),
        "first_error": errors[0] if errors else "",
        "orders_paid": paid_orders,
        "payments": payments.count(),
        "lost": len(orders) - payments.count(),
        "duplicated": payments.count() - paid_orders,
        "ledger_equals_payments": ledger_sum == payment_sum == expected,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="city")
    parser.add_argument("--burst", type=int, default=100)
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command

    from dangjian.fees.services import current_index
    from dangjian.orgs.models import Organization

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if not Organization.objects.exists():
        print(f"seeding {args.scale} …", file=sys.stderr)
        today = date.today().isoformat()  # noqa: DTZ011
        call_command("seed", "--scale", args.scale, "--today", today, verbosity=0)
    result = {
        "ledger": ledger(current_index()),
        "summary_city_root": summary_page(40),
        "burst": burst(args.burst),
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
