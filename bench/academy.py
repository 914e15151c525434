"""城市党建学院 at scale (issue 21), for one database (DATABASE_URL), printed as JSON (last line):

- seeds the district with today = --as-of if the database is empty (the academy's year of classes
  comes with the seed);
- a class of --trainees trainees (members of the city) and --sessions sessions, every trainee
  present at every session: the organizer's class page p50/p95 over repeated requests
  (in-process) and its number of queries, which must not change with the roster;
- the certificate print job: every trainee completes, a certificate each, and the worker's job
  renders them into one PDF: its seconds (the target is 60 s for 300).
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time as clock
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from community import page_times  # noqa: E402
from scan import seed_if_empty, setup_django, staff_client  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="district")
    ap.add_argument("--as-of", default="2026-10-15")
    ap.add_argument("--trainees", type=int, default=300)
    ap.add_argument("--sessions", type=int, default=20)
    args = ap.parse_args()
    setup_django()
    seeded = seed_if_empty(args.scale, args.as_of)

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from dangjian.academy.models import (
        Certificate,
        CertificateBatch,
        ClassKind,
        ClassSession,
        ClassStatus,
        Enrolment,
        EnrolmentStatus,
        Presence,
        SessionAttendance,
        TrainingClass,
    )
    from dangjian.academy.tasks import batch_build
    from dangjian.accounts.constants import Role
    from dangjian.demo.academy_seed import ensure_kinds
    from dangjian.members.models import Member
    from dangjian.orgs.models import Organization

    ensure_kinds()
    root = Organization.objects.filter(depth=1).order_by("path").first()
    code = f"BENCH-{secrets.token_hex(3)}"
    start = date.fromisoformat(args.as_of) - timedelta(days=10)
    days = max(1, (args.sessions + 1) // 2)
    k = TrainingClass.objects.create(
        code=code,
        kind=ClassKind.objects.get(code="secretary"),
        organizer=root,
        title="基准测试班",
        starts_on=start,
        ends_on=start + timedelta(days=days - 1),
        capacity=args.trainees,
        hours=Decimal(3 * args.sessions),
        status=ClassStatus.PUBLISHED,
        published_at=timezone.now(),
    )
    sessions = ClassSession.objects.bulk_create(
        [
            ClassSession(
                klass=k,
                on=start + timedelta(days=i // 2),
                starts_at=time(9 if i % 2 == 0 else 14),
                ends_at=time(12 if i % 2 == 0 else 17),
                topic=f"第{i + 1}讲",
                hours=Decimal(3),
                token=secrets.token_urlsafe(32),
            )
            for i in range(args.sessions)
        ]
    )
    members = list(
        Member.objects.filter(status="full")
        .order_by("pk")
        .values("pk", "name", "organization_id")[: args.trainees]
    )
    now = timezone.now()
    Enrolment.objects.bulk_create(
        [
            Enrolment(
                klass=k,
                member_id=m["pk"],
                name=m["name"],
                nominee="member",
                nominated_by_id=m["organization_id"],
                status=EnrolmentStatus.ACCEPTED,
                nominated_at=now,
            )
            for m in members
        ]
    )
    enrolments = list(k.enrolments.all())
    SessionAttendance.objects.bulk_create(
        [
            SessionAttendance(session=s, enrolment=e, status=Presence.PRESENT)
            for s in sessions
            for e in enrolments
        ],
        batch_size=5000,
    )
    client = staff_client("bench_academy", Role.COMMITTEE_STAFF)
    url = f"/academy/{k.pk}/?page_size=100"
    p50, p95 = page_times(client, url)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    queries = len(ctx.captured_queries)

    Enrolment.objects.filter(klass=k).update(completed=True, attendance_pct=Decimal(100))
    Certificate.objects.bulk_create(
        [
            Certificate(
                enrolment=e,
                number=f"{code}-{i:04d}",
                token=secrets.token_urlsafe(24),
                issued_on=k.ends_on,
            )
            for i, e in enumerate(enrolments, 1)
        ]
    )
    batch = CertificateBatch.objects.create(klass=k)
    t = clock.perf_counter()
    batch = batch_build(batch.pk)
    seconds = round(clock.perf_counter() - t, 2)
    size = (Path(__import__("django.conf").conf.settings.MEDIA_ROOT) / batch.path).stat().st_size
    out = {
        "database": connection.vendor,
        "seeded_s": seeded,
        "trainees": len(enrolments),
        "sessions": len(sessions),
        "class_page_ms": {"p50": p50, "p95": p95},
        "class_page_queries": queries,
        "certificates": batch.count,
        "certificates_pdf_s": seconds,
        "certificates_pdf_mb": round(size / 1e6, 1),
    }
    print(
        f"class page ({len(enrolments)} trainees, {len(sessions)} sessions): p50 {p50} ms, "
        f"p95 {p95} ms, {queries} queries; {batch.count} certificates in {seconds} s",
        file=sys.stderr,
    )
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
