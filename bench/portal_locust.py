"""Locust users for bench/portal.py (members on their phones, branch workers, the payment rush).
The accounts come from the file bench/portal.py prepares (BENCH_PORTAL_DATA)."""

from __future__ import annotations

import itertools
import json
import os
import re
import threading

from locust import FastHttpUser, constant, task

DATA = json.load(open(os.environ["BENCH_PORTAL_DATA"], encoding="utf-8"))
_lock = threading.Lock()
_members = itertools.cycle(DATA["members"])
_staff = itertools.cycle(DATA["staff"])
_rush = iter(DATA["members"])  # the rush: each member at most once
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
MONTH = re.compile(r'name="months" value="(\d+)"')
PAGES = {
    "首页": "/m/",
    "我的": "/me/",
    "党费": "/fees/me/",
    "消息": "/inbox/",
    "学习": "/learning/my/",
}
STAFF = {"花名册": "/members/", "待办": "/"}


def _csrf(html: str) -> str:
    m = CSRF.search(html)
    return m.group(1) if m else ""


_signed_in = 0
CLIENTS = int(os.environ.get("BENCH_PORTAL_CLIENTS", "0"))


class _Signed(FastHttpUser):
    abstract = True
    wait_time = constant(0)

    def warmed(self) -> None:
        """Sign-ins (Argon2, 100 MiB a hash) are not page views: the statistics start once every
        client has signed in."""
        global _signed_in
        with _lock:
            _signed_in += 1
            if _signed_in == CLIENTS:
                self.environment.stats.reset_all()

    def sign_in(self, username: str, code: str | None = None) -> None:
        r = self.client.get("/accounts/login/", name="登录页")
        r = self.client.post(
            "/accounts/login/",
            {
                "username": username,
                "password": DATA["password"],
                "csrfmiddlewaretoken": _csrf(r.text),
            },
            name="登录",
        )
        if code is not None:
            r = self.client.get("/accounts/2fa/", name="双因素页")
            self.client.post(
                "/accounts/2fa/",
                {"token": code, "csrfmiddlewaretoken": _csrf(r.text)},
                name="双因素",
            )


class MemberUser(_Signed):
    def on_start(self) -> None:
        with _lock:
            name = next(_members)
        self.sign_in(name)
        self.warmed()

    @task
    def pages(self) -> None:
        for label, url in PAGES.items():
            with self.client.get(url, name=label, catch_response=True) as r:
                if r.status_code != 200 or "/accounts/" in r.url:
                    r.failure(f"{r.status_code} {r.url}")


class StaffUser(_Signed):
    def on_start(self) -> None:
        with _lock:
            who = next(_staff)
            code = who["codes"].pop()
        self.sign_in(who["username"], code)
        self.warmed()

    @task
    def pages(self) -> None:
        for label, url in STAFF.items():
            with self.client.get(url, name=label, catch_response=True) as r:
                if r.status_code != 200 or "/accounts/" in r.url:
                    r.failure(f"{r.status_code} {r.url}")


class RushUser(_Signed):
    """The month's first morning: a member opens 党费 and pays what is shown, once; then the next
    member takes the phone."""

    @task
    def pay(self) -> None:
        with _lock:
            name = next(_rush, None)
        if name is None:
            self.stop()
            return
        self.client.cookiejar.clear()
        self.sign_in(name)
        r = self.client.get("/fees/me/", name="党费")
        months = MONTH.findall(r.text)[:1]
        if not months:
            return  # nothing to pay this month
        token = _csrf(r.text)
        with self.client.post(
            "/fees/me/pay/",
            {"months": months[0], "csrfmiddlewaretoken": token},
            name="下单",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            cashier = r.headers.get("Location", "")
            if r.status_code != 302 or "/fees/sandbox/" not in cashier:
                r.failure(f"{r.status_code} → {cashier}")
                return
        r = self.client.get(cashier, name="收银台")
        with self.client.post(
            cashier,
            {"csrfmiddlewaretoken": _csrf(r.text) or token},
            name="沙箱支付",
            allow_redirects=False,
            catch_response=True,
        ) as done:
            if done.status_code != 302 or "/fees/me/orders/" not in done.headers.get(
                "Location", ""
            ):
                done.failure(f"{done.status_code} {done.headers.get('Location', '')}")
