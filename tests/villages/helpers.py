"""A village and the committee it belongs to, for tests outside villages/ that need a member
posted to a village."""

from __future__ import annotations

from datetime import date
from typing import Any

from dangjian.orgs.services import org_create
from dangjian.villages.models import Village


def village_committee(tree: Any, code: str = "VO1", name: str = "中共示范村委员会") -> Any:
    return org_create(
        actor=None,
        parent=tree.district_a,
        code=code,
        name=name,
        kind="committee",
        category="village",
        established_on=date(2000, 1, 1),
    )


def village(org: Any, code: str = "V001", name: str = "示范村") -> Village:
    return Village.objects.create(
        code=code, name=name, town="示范镇", district="甲区", organization=org
    )
