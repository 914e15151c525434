"""After the city is imported: mobile members (流动党员, outflow and inflow) and lost-contact
members,
which the bundle cannot carry — regular ones and, at the plant rate per branch, irregular ones
(TRF-01: away at a fixed place 6+ months without transferring; TRF-05: no report in 12 months;
TRF-06: lost contact 6+ months with no decision) with their ground truth. Members with a transfer
letter are left alone (a letter changes what TRF-01 asks). Bulk writes: three queries in all."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Exists, Min, OuterRef

from dangjian.core import crypto
from dangjian.core.dates import add_months
from dangjian.core.idnumber import mask_phone
from dangjian.members.models import Member
from dangjian.transfers.models import LostContact, MobileMember, MobileReport, Transfer

PLACES = [
    "深圳市南山区",
    "广州市天河区",
    "上海市浦东新区",
    "杭州市西湖区",
    "北京市海淀区",
    "泉州市晋江市",
]
REASONS = ["务工", "经商", "求学", "随子女生活"]


@transaction.atomic
def _contact(mid: int) -> dict[str, str]:
    """A synthetic phone for a mobile member, stored encrypted and masked like a member's."""
    phone = f"139{mid:08d}"[:11]
    return {"contact_encrypted": crypto.encrypt(phone), "contact_masked": mask_phone(phone)}


def plant_mobile(
    *, today: date, seed: int, rate: float, truth: set[tuple[str, str]]
) -> dict[str, int]:
    rng = random.Random(seed * 104729 + 3)
    eligible = Member.objects.filter(status="full", organization__kind="branch").exclude(
        Exists(Transfer.objects.filter(member_id=OuterRef("pk")))
    )
    # one member per branch, the first on its roll: grouped in SQL
    firsts = eligible.order_by().values("organization_id").annotate(first=Min("id")).values("first")
    first = {
        r[2]: r
        for r in Member.objects.filter(pk__in=firsts)
        .order_by("organization__path")
        .values_list("id", "name", "organization_id", "organization__code")
    }
    mobile: list[MobileMember] = []
    reports: list[tuple[int, date]] = []  # (index into mobile, report date)
    lost: list[LostContact] = []

    def days(n: int) -> timedelta:
        return timedelta(days=n)

    for mid, name, oid, code in first.values():
        r = rng.random()
        if r < rate:
            rule = rng.choice(["TRF-01", "TRF-05", "TRF-06"])
            truth.add((rule, code))
            if rule == "TRF-01":
                since = add_months(today, -rng.randint(7, 11)) - days(rng.randint(0, 20))
                mobile.append(
                    MobileMember(
                        direction="out",
                        organization_id=oid,
                        member_id=mid,
                        name=name,
                        place=rng.choice(PLACES),
                        reason=rng.choice(REASONS),
                        fixed_place=True,
                        since=since,
                        **_contact(mid),
                    )
                )
                reports.append((len(mobile) - 1, today - days(rng.randint(10, 80))))
            elif rule == "TRF-05":
                since = add_months(today, -rng.randint(13, 20))
                mobile.append(
                    MobileMember(
                        direction="out",
                        organization_id=oid,
                        member_id=mid,
                        name=name,
                        place="多地流动",
                        reason="跑运输",
                        fixed_place=False,
                        since=since,
                        **_contact(mid),
                    )
                )
            else:
                lost.append(
                    LostContact(
                        member_id=mid,
                        organization_id=oid,
                        since=add_months(today, -rng.randint(7, 20)),
                        efforts="电话停机，走访家属未果",
                    )
                )
        elif (
            r < rate + 0.05
        ):  # regular: away a few months, reported; or a member from elsewhere living here
            since = today - days(rng.randint(20, 130))
            mobile.append(
                MobileMember(
                    direction="out",
                    organization_id=oid,
                    member_id=mid,
                    name=name,
                    place=rng.choice(PLACES),
                    reason=rng.choice(REASONS),
                    fixed_place=rng.random() < 0.5,
                    since=since,
                    **_contact(mid),
                )
            )
            reports.append((len(mobile) - 1, since + days(rng.randint(1, 15))))
        elif r < rate + 0.08:
            mobile.append(
                MobileMember(
                    direction="in",
                    organization_id=oid,
                    name=f"外来党员{mid}",
                    home_org="外省某县某村党支部",
                    place="本社区",
                    reason=rng.choice(REASONS),
                    since=today - days(rng.randint(30, 600)),
                    **_contact(mid),
                    card_no=f"LD{mid:06d}",
                )
            )
    MobileMember.objects.bulk_create(mobile, batch_size=2000)
    MobileReport.objects.bulk_create(
        [
            MobileReport(mobile=mobile[i], on=on, content="向党组织汇报思想、工作情况")
            for i, on in reports
        ],
        batch_size=2000,
    )
    LostContact.objects.bulk_create(lost, batch_size=2000)
    return {"mobile": len(mobile), "lost": len(lost)}
