"""A neighbourhood under district A: a street, a community with a 小区党支部, an office branch
whose members are 在职党员 living in the community's 小区."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from dangjian.accounts.constants import Role
from dangjian.community import services
from dangjian.members.services import member_create
from dangjian.orgs.services import org_create
from tests.conftest import make_user, member_data


@dataclass
class Hood:
    street: Any
    community: Any
    place_branch: Any
    office: Any
    place: Any
    other_place: Any
    workers: list[Any]  # 在职党员 of the office branch
    staff: Any  # the community's party worker


@pytest.fixture
def hood(tree, users) -> Hood:
    return make_hood(tree)


def make_hood(tree: Any) -> Hood:
    d = date(2010, 1, 1)
    street = org_create(
        actor=None,
        parent=tree.district_a,
        code="ST",
        name="中共示范街道工作委员会",
        kind="committee",
        category="community",
        established_on=d,
    )
    community = org_create(
        actor=None,
        parent=street,
        code="CM",
        name="中共示范社区委员会",
        kind="committee",
        category="community",
        established_on=d,
    )
    place_branch = org_create(
        actor=None,
        parent=community,
        code="CMB1",
        name="示范花园小区党支部",
        kind="branch",
        category="community",
        established_on=d,
    )
    office = org_create(
        actor=None,
        parent=tree.district_a,
        code="OF",
        name="甲区示范局机关党支部",
        kind="branch",
        category="organ",
        established_on=d,
    )
    workers = [
        member_create(
            actor=None, organization=office, member_no=f"W{n:03d}", data=member_data(100 + n)
        )
        for n in range(1, 5)
    ]
    place = services.place_save(
        actor=None,
        community=community,
        code="P001",
        name="示范花园",
        households=420,
        buildings=12,
        property_company="示范物业有限公司",
    )
    other = services.place_save(
        actor=None, community=community, code="P002", name="幸福里", households=200
    )
    staff = make_user("cm_worker", Role.BRANCH_WORKER, community)
    return Hood(street, community, place_branch, office, place, other, workers, staff)
