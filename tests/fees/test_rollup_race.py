"""Two payments in one branch committing at once (PostgreSQL, READ COMMITTED): each refreshes the
branch's roll-up row of the month by deleting it and inserting it again. Without a lock the second
transaction's DELETE does not see the row the first inserted, and its INSERT then collides on the
(organization, month) key: a member's payment would fail. The refreshes of one organization are
serialized, and the row left holds both payments."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from dangjian.fees import services
from dangjian.fees.models import FeeMonth, FeeRollup, month_index

JUNE = month_index(2026, 6)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serializes writers")
def test_two_refreshes_of_one_branch_at_once_both_commit_and_the_row_holds_both(tree):
    services.ledger_generate(month=JUNE)
    branch = tree.branch_a1
    rows = list(FeeMonth.objects.filter(organization=branch, month_index=JUNE).order_by("pk")[:2])
    assert len(rows) == 2
    assert FeeRollup.objects.filter(organization=branch).exists()
    first_refreshed = threading.Event()
    errors: list[BaseException] = []

    def pay(row: FeeMonth, *, first: bool) -> None:
        try:
            if not first:
                first_refreshed.wait(10)
            with transaction.atomic():
                FeeMonth.objects.filter(pk=row.pk).update(paid_fen=row.due_fen)
                services.rollup_refresh(months=[JUNE], organization_ids=[branch.pk])
                if first:
                    first_refreshed.set()
                    time.sleep(0.5)  # the second is now waiting for this one
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=pay, args=(rows[0],), kwargs={"first": True}),
        threading.Thread(target=pay, args=(rows[1],), kwargs={"first": False}),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert errors == []
    rollup = FeeRollup.objects.get(organization=branch, month_index=JUNE)
    assert rollup.paid_fen == rows[0].due_fen + rows[1].due_fen
    assert rollup.paid_members == 2
