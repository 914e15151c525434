"""The synthetic city: a Xiamen-like tree, realistic rosters, valid ID numbers, all deterministic.

`generate(scale, seed)` returns interchange tables (the same rows a bundle would carry) and the
bulk importer writes them, so the seed and a real import share one validated code path.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from dangjian.core import idnumber
from dangjian.core.bundle import Table
from dangjian.core.dates import add_months
from dangjian.fees.bands import parse_yuan, quote, yuan
from dangjian.fees.interchange import FEES
from dangjian.learning.interchange import STUDY
from dangjian.meetings.interchange import MEETINGS
from dangjian.members.interchange import MEMBERS
from dangjian.orgs.interchange import ORGS, POSTS, TERMS
from dangjian.recruitment.interchange import RECRUITMENT
from dangjian.transfers.interchange import TRANSFERS

from . import names

SCALES = {
    # orgs, members, districts (None = a whole city)
    "tiny": (40, 520),
    "district": (2_700, 43_000),
    "city": (16_116, 256_781),
    "province": (161_160, 2_567_810),
}
# written in chunks (a city at a time): nothing holds a province's rows at once
# (scale -> the depth whose subtrees are the chunks)
CHUNKED_SCALES = {"province": 3}


@dataclass
class Node:
    code: str
    name: str
    kind: str
    category: str
    parent: Node | None
    established_on: date
    region: str
    members: int = 0
    children: list[Node] | None = None

    def add(self, child: Node) -> Node:
        if self.children is None:
            self.children = []
        self.children.append(child)
        return child


class CityBuilder:
    def __init__(self, scale: str, seed: int, today: date, plant_rate: float = 0.03) -> None:
        if scale not in SCALES:
            raise ValueError(f"未知规模：{scale}（可选 {', '.join(SCALES)}）")
        self.scale = scale
        self.rng = random.Random(seed)
        self.today = today
        self.target_orgs, self.target_members = SCALES[scale]
        self.nodes: list[Node] = []
        self.counter = 0
        # a place's or an enterprise's name is not used twice within a city (a province's cities
        # may each have theirs: the names the generator draws from would run out at province
        # scale, and each call then tried a thousand draws before its numbered fallback)
        self.used_names: set[str] = set()
        self.names_by_city: dict[int, set[str]] = {}
        self.used_ids: set[str] = set()
        self.plant_rate = plant_rate
        self.truth: set[tuple[str, str]] = set()
        # numbering and the containers' first veterans carry over from one chunk to the next
        self.member_seq = 0
        self.person_seq = 0
        self.first_veteran: dict[str, str] = {}

    # -- helpers
    def code(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter:06d}"

    def node(
        self, parent: Node | None, name: str, kind: str, category: str, region: str | None = None
    ) -> Node:
        base = parent.established_on if parent else date(1978, 1, 1)
        span = max((self.today - timedelta(days=400) - base).days, 1)
        est = base + timedelta(days=self.rng.randrange(0, min(span, 12000)))
        n = Node(
            self.code("O"),
            name,
            kind,
            category,
            parent,
            est,
            region or (parent.region if parent else "350200"),
        )
        if parent is not None:
            parent.add(n)
        self.nodes.append(n)
        return n

    def place(self, suffix: str) -> str:
        for _ in range(1000):
            s = self.rng.choice(names.PLACE_A) + self.rng.choice(names.PLACE_B) + suffix
            if s not in self.used_names:
                self.used_names.add(s)
                return s
        s = f"第{len(self.used_names)}{suffix}"
        self.used_names.add(s)
        return s

    def enterprise(self) -> str:
        for _ in range(1000):
            s = (
                "厦门"
                + "".join(self.rng.sample(names.ENTERPRISE_A, 2))
                + self.rng.choice(names.ENTERPRISE_B)
                + "有限公司"
            )
            if s not in self.used_names:
                self.used_names.add(s)
                return s
        return f"厦门第{len(self.used_names)}有限公司"

    def _names_within(self, city: Node) -> None:
        self.used_names = self.names_by_city.setdefault(id(city), set())

    def _city_of(self, n: Node) -> Node:
        """The city an organization belongs to: a province's child, or a city's root."""
        while n.parent is not None and (self.scale != "province" or n.parent.parent is not None):
            n = n.parent
        return n

    # -- the skeleton: committees and general branches (the containers)
    def build(self) -> list[Node]:
        rng = self.rng
        containers: list[tuple[Node, int]] = []  # (container, weight for branches)
        if self.scale == "tiny":
            root = self.node(None, "中共筼筜街道工作委员会", "committee", "community", "350203")
            for _ in range(2):
                c = self.node(root, f"中共{self.place('社区')}委员会", "committee", "community")
                containers.append((c, 3))
            e = self.node(root, f"中共{self.enterprise()}总支部委员会", "general_branch", "private")
            containers.append((e, 2))
            containers.append((root, 2))
            return self._fill(containers)
        districts = names.DISTRICTS
        if self.scale == "district":
            root = self.node(None, "中共厦门市思明区委员会", "committee", "organ", "350203")
            # the demo district gets one (synthetic) town, so that 组团帮扶 has villages to show
            self._district(root, (*districts[0][:3], ["黄厝"]), containers, share=1.0)
            return self._fill(containers)
        mult = 10 if self.scale == "province" else 1
        root = self.node(
            None,
            "中共厦门市委员会" if mult == 1 else "中共示范省委员会",
            "committee",
            "organ",
            "350200",
        )
        for _ in range(mult):
            if mult > 1:
                self._names_within(root)  # the cities' own names differ from one another
            city = (
                root
                if mult == 1
                else self.node(root, f"中共{self.place('市')}委员会", "committee", "organ")
            )
            self._names_within(city)
            for d in districts:
                dn = self.node(city, f"中共厦门市{d[0]}区委员会", "committee", "organ", d[1])
                self._district(dn, d, containers, share=1.0)
            organs = self.node(city, "中共厦门市直属机关工作委员会", "committee", "organ")
            for dept in names.ORGAN_DEPTS:
                c = self.node(organs, f"中共厦门市{dept}机关委员会", "committee", "organ")
                containers.append((c, 6))
            soe = self.node(
                city, "中共厦门市人民政府国有资产监督管理委员会委员会", "committee", "soe"
            )
            for s in names.SOE_NAMES:
                c = self.node(soe, f"中共厦门{s}有限公司委员会", "committee", "soe")
                containers.append((c, 10))
                for _ in range(rng.randint(4, 9)):
                    sub = self.node(c, f"中共{self.enterprise()}委员会", "committee", "soe")
                    containers.append((sub, 5))
            edu = self.node(city, "中共厦门市委教育工作委员会", "committee", "school")
            for s in names.SCHOOLS:
                c = self.node(edu, f"中共{s}委员会", "committee", "school")
                containers.append((c, 8))
                for _ in range(rng.randint(10, 25)):
                    g = self.node(
                        c,
                        f"中共{s}{self.place(rng.choice(names.SCHOOL_UNITS))}总支部委员会",
                        "general_branch",
                        "school",
                    )
                    containers.append((g, 3))
            two = self.node(
                city, "中共厦门市非公有制经济组织和社会组织工作委员会", "committee", "private"
            )
            for _ in range(220):
                c = self.node(two, f"中共{self.enterprise()}委员会", "committee", "private")
                containers.append((c, 3))
            social = self.node(two, "中共厦门市社会组织综合委员会", "committee", "social")
            containers.append((social, 40))
        return self._fill(containers)

    def _district(self, dn: Node, d: tuple, containers: list, share: float) -> None:
        rng = self.rng
        _name, region, streets, towns = d
        organs = self.node(dn, f"中共{dn.name[2:-3]}直属机关工作委员会", "committee", "organ")
        for dept in rng.sample(names.ORGAN_DEPTS, 18):
            c = self.node(
                organs, f"中共{dn.name[2:-3]}{dept}机关总支部委员会", "general_branch", "organ"
            )
            containers.append((c, 2))
        for s in streets:
            st = self.node(dn, f"中共{s}街道工作委员会", "committee", "community")
            containers.append((st, 4))
            for _ in range(rng.randint(6, 10)):
                kind = "committee" if rng.random() < 0.6 else "general_branch"
                cm = self.node(
                    st,
                    f"中共{self.place('社区')}"
                    f"{'委员会' if kind == 'committee' else '总支部委员会'}",
                    kind,
                    "community",
                )
                containers.append((cm, 4))
            for _ in range(rng.randint(4, 8)):
                big = rng.random() < 0.3
                e = self.node(
                    st,
                    f"中共{self.enterprise()}{'委员会' if big else '总支部委员会'}",
                    "committee" if big else "general_branch",
                    "private",
                )
                containers.append((e, 2))
        for t in towns:
            tn = self.node(dn, f"中共{t}镇委员会", "committee", "village")
            containers.append((tn, 4))
            for _ in range(rng.randint(5, 8)):
                v = self.node(tn, f"中共{self.place('村')}委员会", "committee", "village")
                containers.append((v, 3))
        nf = self.node(dn, f"中共{dn.name[2:-3]}非公有制经济组织委员会", "committee", "private")
        for _ in range(12):
            e = self.node(nf, f"中共{self.enterprise()}委员会", "committee", "private")
            containers.append((e, 2))
        containers.append((nf, 10))

    # -- branches and groups to reach the exact organization count
    def _fill(self, containers: list[tuple[Node, int]]) -> list[Node]:
        rng = self.rng
        remaining = self.target_orgs - len(self.nodes)
        if remaining <= 0:
            raise ValueError("组织骨架超过目标数量")
        groups = int(remaining * 0.07)
        branches = remaining - groups
        weights = [w for _, w in containers]
        total_w = sum(weights)
        alloc = [max(1, int(branches * w / total_w)) for w in weights]
        diff = branches - sum(alloc)
        i = 0
        while diff != 0:
            idx = i % len(alloc)
            if diff > 0:
                alloc[idx] += 1
                diff -= 1
            elif alloc[idx] > 1:
                alloc[idx] -= 1
                diff += 1
            i += 1
        branch_nodes: list[Node] = []
        for (container, _), n in zip(containers, alloc, strict=True):
            if self.names_by_city:
                self._names_within(self._city_of(container))
            for k in range(n):
                cat = container.category
                if cat == "village":
                    label = (
                        f"{self.place('村')}党支部"
                        if container.name.endswith("镇委员会")
                        else f"第{k + 1}党支部"
                    )
                elif cat == "community":
                    label = (
                        f"{self.place('小区')}党支部" if rng.random() < 0.5 else f"第{k + 1}党支部"
                    )
                elif cat == "private":
                    label = (
                        f"{self.enterprise()}党支部" if rng.random() < 0.4 else f"第{k + 1}党支部"
                    )
                elif cat == "school":
                    label = f"{self.place(rng.choice(['教工', '学生', '研究生']))}党支部"
                else:
                    label = f"第{k + 1}党支部"
                base = (
                    container.name.removeprefix("中共")
                    .removesuffix("委员会")
                    .removesuffix("总支部")
                    .removesuffix("工作")
                )
                name = label if len(label) > 8 else f"中共{base}{label}"
                b = self.node(
                    container, name[:100], "branch", cat if rng.random() < 0.97 else "other"
                )
                branch_nodes.append(b)
        # members per branch: 3..50, summing exactly to the target
        sizes = self._sizes(len(branch_nodes))
        for b, s in zip(branch_nodes, sizes, strict=True):
            b.members = s
        big = sorted((b for b in branch_nodes if b.members >= 15), key=lambda b: -b.members)
        g = 0
        while g < groups and big:
            for b in big:
                if g >= groups:
                    break
                self.node(
                    b,
                    f"{b.name.removeprefix('中共')}第{len(b.children or []) + 1}党小组"[:100],
                    "group",
                    b.category,
                )
                g += 1
        return self.nodes

    def _sizes(self, n: int) -> list[int]:
        rng = self.rng
        mean = self.target_members / n
        sizes = [min(50, max(3, int(rng.gammavariate(2.2, mean / 2.2)))) for _ in range(n)]
        diff = self.target_members - sum(sizes)
        order = list(range(n))
        while diff != 0:
            rng.shuffle(order)
            moved = False
            for i in order:
                if diff > 0 and sizes[i] < 50:
                    step = min(diff, 50 - sizes[i], 5)
                    sizes[i] += step
                    diff -= step
                    moved = True
                elif diff < 0 and sizes[i] > 3:
                    step = min(-diff, sizes[i] - 3, 5)
                    sizes[i] -= step
                    diff += step
                    moved = True
                if diff == 0:
                    break
            if not moved:
                raise ValueError("无法在3到50人之间分配党员")
        return sizes

    # -- people
    def person_name(self, gender: str) -> str:
        rng = self.rng
        idx = min(int(rng.expovariate(1 / 18)), len(names.SURNAMES) - 1)
        surname = names.SURNAMES[idx]
        pool = names.GIVEN_MALE if gender == "男" else names.GIVEN_FEMALE
        if rng.random() < 0.7:
            return surname + rng.choice(names.GIVEN_ANY + pool) + rng.choice(pool)
        return surname + rng.choice(pool)

    def id_number(self, region: str, born: date, gender: str) -> str:
        seq = self.rng.randrange(0, 1000)
        for _ in range(1000):
            if (seq % 2 == 1) != (gender == "男"):
                seq = (seq + 1) % 1000
            value = idnumber.make(region, born, seq)
            if value not in self.used_ids:
                self.used_ids.add(value)
                return value
            seq = (seq + 2) % 1000
        raise ValueError("身份证号空间不足")

    # -- planted irregularities (rules-contract ORG/TERM) on an otherwise regular city
    def _veteran(self, row: dict[str, str], region: str) -> None:
        """Make a member a full member of long standing (eligible for any post)."""
        rng, today = self.rng, self.today
        born = date.fromisoformat(row["birth_date"])
        if (today - born).days < 365 * 24:
            born = date(today.year - rng.randint(26, 60), rng.randint(1, 12), rng.randint(1, 28))
            row["birth_date"] = born.isoformat()
            self.used_ids.discard(row["id_number"])
            row["id_number"] = self.id_number(region, born, row["gender"])
        earliest = add_months(born, 12 * 18 + 1)
        latest = today - timedelta(days=365 * 2)
        joined = earliest + timedelta(days=int(max((latest - earliest).days, 0) * rng.random()))
        row.update(
            status="full", joined_on=joined.isoformat(), full_on=add_months(joined, 12).isoformat()
        )

    def _probationary(self, row: dict[str, str]) -> None:
        row.update(
            status="probationary",
            full_on="",
            joined_on=(self.today - timedelta(days=self.rng.randrange(30, 300))).isoformat(),
        )
        born = date.fromisoformat(row["birth_date"])
        if (date.fromisoformat(row["joined_on"]) - born).days < 365 * 18 + 40:
            self._veteran(
                row, "350200"
            )  # too young to have joined: keep them a full member instead
            row["_young"] = "1"

    def _plant_and_staff(
        self, nodes: list[Node], by_branch: dict[str, list[dict[str, str]]]
    ) -> tuple[list, list]:
        """Regular posts and terms everywhere, except a controlled share of planted irregularities,
        each recorded in `self.truth` as (rule, organization code)."""
        rng, today, rate = self.rng, self.today, self.plant_rate
        truth = self.truth
        posts: list[dict[str, str]] = []
        veterans: dict[str, list[dict[str, str]]] = {}
        for n in nodes:
            if n.kind != "branch":
                continue
            roster = by_branch[n.code]
            if len(roster) >= 3 and rng.random() < rate:  # ORG-02: two full members only
                for r in roster[:2]:
                    self._veteran(r, n.region)
                for r in roster[2:]:
                    self._probationary(r)
                if sum(1 for r in roster if r["status"] == "full") < 3:
                    truth.add(("ORG-02", n.code))
            else:
                for r in roster[:3]:
                    if not (
                        r["status"] == "full"
                        and date.fromisoformat(r["full_on"]) <= today - timedelta(days=365)
                    ):
                        self._veteran(r, n.region)
            for r in roster:
                r.pop("_young", None)
            veterans[n.code] = [
                r
                for r in roster
                if r["status"] == "full"
                and date.fromisoformat(r["full_on"]) <= today - timedelta(days=365)
            ]
        first_veteran = self.first_veteran
        for n in nodes:  # parents before children: the first branch under each container
            if n.kind == "branch" and veterans[n.code]:
                p = n.parent
                while p is not None:
                    first_veteran.setdefault(p.code, veterans[n.code][0]["member_no"])
                    p = p.parent
        for n in nodes:
            if n.kind == "group":
                if n.parent is not None and len(by_branch.get(n.parent.code, [])) > 5:
                    siblings = [c for c in (n.parent.children or []) if c.kind == "group"]
                    idx = siblings.index(n)
                    roster = by_branch[n.parent.code]
                    if len(roster) > 5 + idx:
                        posts.append(
                            {
                                "org_code": n.code,
                                "member_no": roster[5 + idx]["member_no"],
                                "post": "group_leader",
                            }
                        )
                continue
            full = sum(1 for r in by_branch.get(n.code, []) if r["status"] == "full")
            if n.kind == "branch":
                vets = veterans[n.code]
                if full < 7 and ("ORG-02", n.code) not in truth and rng.random() < rate:
                    truth.add(("ORG-06", n.code))  # no secretary
                    continue
                posts.append(
                    {"org_code": n.code, "member_no": vets[0]["member_no"], "post": "secretary"}
                )
                if full >= 7:
                    if rng.random() < rate:
                        truth.add(("ORG-03", n.code))  # no committee
                    else:
                        posts.append(
                            {
                                "org_code": n.code,
                                "member_no": vets[1]["member_no"],
                                "post": "organization",
                            }
                        )
                        posts.append(
                            {
                                "org_code": n.code,
                                "member_no": vets[2]["member_no"],
                                "post": "propaganda",
                            }
                        )
            elif rng.random() < rate or n.code not in first_veteran:
                truth.add(("ORG-06", n.code))
            else:
                posts.append(
                    {"org_code": n.code, "member_no": first_veteran[n.code], "post": "secretary"}
                )
        terms: list[dict[str, str]] = []
        for n in nodes:
            if n.kind == "group":
                continue
            years = 5 if n.kind == "committee" or n.category in ("village", "community") else 3
            roll = rng.random()
            if roll < rate:  # TERM-01: ends within the next months
                elected = add_months(today, -12 * years) + timedelta(days=rng.randint(1, 170))
                if elected >= n.established_on:
                    truth.add(("TERM-01", n.code))
                    if add_months(elected, 12 * years - 1) < today:
                        truth.add(
                            ("TERM-02", n.code)
                        )  # the election request was due a month before the end
                    terms.append(
                        {
                            "org_code": n.code,
                            "elected_on": elected.isoformat(),
                            "term_years": str(years),
                        }
                    )
                    continue
            elif roll < 2 * rate:  # TERM-03: expired, or never recorded
                elected = add_months(today, -12 * years) - timedelta(days=rng.randint(0, 200))
                truth.add(("TERM-03", n.code))
                if elected >= n.established_on and rng.random() < 0.7:
                    terms.append(
                        {
                            "org_code": n.code,
                            "elected_on": elected.isoformat(),
                            "term_years": str(years),
                        }
                    )
                continue
            elif roll < 3 * rate:  # TERM-05: a term of the wrong length
                years = 3 if years == 5 else 5
                truth.add(("TERM-05", n.code))
                if n.category in ("village", "community") and years == 5:
                    truth.discard(("TERM-05", n.code))  # 5 is right for villages and communities
            lower = max(add_months(today, 6 - 12 * years) + timedelta(days=2), n.established_on)
            upper = today - timedelta(days=1)
            elected = lower + timedelta(days=rng.randrange(0, max((upper - lower).days, 1)))
            terms.append(
                {"org_code": n.code, "elected_on": elected.isoformat(), "term_years": str(years)}
            )
        return posts, terms

    def tables(self) -> dict[str, Table]:
        """The whole city at once (every table of every organization)."""
        return self._tables_for(self.build())

    def chunks(self, depth: int = 3) -> Iterator[dict[str, Table]]:
        """The same city in chunks whose memory does not grow with the scale: first the
        organizations above `depth` (the province and its cities: committees without members) and
        the roots of the subtrees at `depth`, then each subtree with all its tables (its root's
        row not again), then the posts and terms of the organizations above (their secretaries
        come from the branches below). Each chunk is a bundle the importer can write on its own
        after the first; the subtrees' chunks share no organization whose children they add (a
        new organization's path is allocated under its parent), so they can be written in any
        order, or at once; the last comes after all of them."""
        nodes = self.build()
        level: dict[int, int] = {}
        top: dict[int, Node] = {}  # id(node) -> its ancestor at `depth`
        head: list[Node] = []
        subtrees: dict[int, list[Node]] = {}
        for n in nodes:  # parents come before their children
            d = level[id(n)] = level[id(n.parent)] + 1 if n.parent else 1
            if d < depth:
                if n.kind in ("branch", "group"):
                    raise ValueError(f"分块生成时第{depth}级以上不能有党支部：{n.name}")
                head.append(n)
                continue
            anchor = top[id(n)] = n if d == depth else top[id(n.parent)]  # type: ignore[arg-type]
            subtrees.setdefault(id(anchor), []).append(n)
        del top, level
        roots = [nodes_[0] for nodes_ in subtrees.values()]  # a subtree's first node is its root
        yield {ORGS.name: _table(ORGS, [_org_row(n) for n in head + roots])}
        for key in list(subtrees):
            nodes_ = subtrees.pop(key)
            yield self._tables_for(nodes_, org_nodes=nodes_[1:])
        yield self._tables_for(head, with_orgs=False)

    def _tables_for(
        self,
        nodes: list[Node],
        *,
        with_orgs: bool = True,
        org_nodes: list[Node] | None = None,
    ) -> dict[str, Table]:
        """The tables of these organizations; orgs.csv holds `org_nodes` (all of `nodes` unless
        given), or is left out (`with_orgs=False`)."""
        rng = self.rng
        member_rows: list[dict[str, str]] = []
        by_branch: dict[str, list[dict[str, str]]] = {}
        today = self.today
        for n in nodes:
            if n.kind != "branch":
                continue
            roster = []
            for _ in range(n.members):
                self.member_seq += 1
                gender = "男" if rng.random() < 0.71 else "女"
                age = (
                    rng.choice([rng.randint(19, 35), rng.randint(25, 60), rng.randint(36, 88)])
                    if n.category != "school"
                    else rng.randint(19, 62)
                )
                born = date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
                earliest = max(add_months(born, 12 * 18 + 1), n.established_on)
                if earliest >= today - timedelta(days=30):
                    earliest = today - timedelta(days=400)
                # most members joined long ago: skew the join date towards the earliest possible
                span = max((today - earliest).days - 30, 1)
                joined = earliest + timedelta(days=int(span * rng.random() ** 2.2))
                full_on = add_months(joined, 12)
                status = "full"
                if full_on > today or rng.random() < 0.01:
                    status, full_on_s = "probationary", ""
                    if full_on <= today:  # a probation that ended but was not yet converted
                        joined = today - timedelta(days=rng.randrange(60, 330))
                else:
                    full_on_s = full_on.isoformat()
                if n.category == "village":
                    cat, base = (
                        ("farmer", "0.00")
                        if age < 60 or rng.random() < 0.6
                        else ("retired", f"{rng.randint(1500, 3500)}.00")
                    )
                elif age >= 60:
                    cat, base = "retired", f"{rng.randint(2000, 9000)}.00"
                elif n.category == "school" and age < 26:
                    cat, base = "student", "0.00"
                elif rng.random() < 0.02:
                    cat, base = "unemployed", "0.00"
                else:
                    cat, base = "employed", f"{rng.randint(2500, 22000)}.{rng.choice(['00', '50'])}"
                row = {
                    "member_no": f"M{self.member_seq:08d}",
                    "name": self.person_name(gender),
                    "gender": gender,
                    "birth_date": born.isoformat(),
                    "id_number": self.id_number(n.region, born, gender),
                    "phone": f"1{rng.choice('3456789')}{rng.randrange(0, 10**9):09d}"
                    if rng.random() < 0.93
                    else "",
                    "org_code": n.code,
                    "status": status,
                    "joined_on": joined.isoformat(),
                    "full_on": full_on_s,
                    "fee_category": cat,
                    "fee_base": base,
                }
                member_rows.append(row)
                roster.append(row)
            by_branch[n.code] = roster
        post_rows, term_rows = self._plant_and_staff(nodes, by_branch)
        tables = {
            ORGS.name: _table(
                ORGS,
                [_org_row(n) for n in (nodes if org_nodes is None else org_nodes)],
            ),
            MEMBERS.name: _table(MEMBERS, member_rows),
            TERMS.name: _table(TERMS, term_rows),
            POSTS.name: _table(POSTS, post_rows),
            FEES.name: _table(FEES, self._fees(by_branch)),
            MEETINGS.name: _table(MEETINGS, self._meetings(nodes, by_branch, post_rows)),
            RECRUITMENT.name: _table(RECRUITMENT, self._recruitment(nodes)),
            TRANSFERS.name: _table(TRANSFERS, self._transfers(by_branch)),
            STUDY.name: _table(STUDY, _study_rows(self, nodes, by_branch, post_rows)),
        }
        if not with_orgs:
            del tables[ORGS.name]
        return {name: t for name, t in tables.items() if t.rows or name == ORGS.name}

    def _fees(self, by_branch: dict[str, list[dict[str, str]]]) -> list[dict[str, str]]:
        """The 12 complete months before `today` of every member (from their admission month), paid
        in full on a day of the month; at the plant rate per branch one member with arrears of 3-8
        months (FEE-02/03/04), a partial payment (FEE-05) or a due off the band (FEE-09)."""

        rng, today, rate, truth = self.rng, self.today, self.plant_rate, self.truth
        now = today.year * 12 + today.month - 1
        rows: list[dict[str, str]] = []
        # a year of months repeats few amounts and days: each text made once
        money = functools.cache(yuan)
        day = functools.cache(lambda y, m, d: date(y, m, d).isoformat())
        for code, roster in by_branch.items():
            planted_no, kind = None, ""
            if roster and rng.random() < rate:
                veterans = [
                    r for r in roster if date.fromisoformat(r["joined_on"]) < add_months(today, -13)
                ]
                if veterans:
                    planted_no = rng.choice(veterans)["member_no"]
                    kind = rng.choice(["FEE-02", "FEE-03", "FEE-04", "FEE-05", "FEE-09"])
                    truth.add((kind, code))
            arrears = {"FEE-02": rng.choice([3, 4]), "FEE-03": 5, "FEE-04": rng.randint(6, 8)}.get(
                kind, 0
            )
            odd_month = now - rng.randint(1, 11)
            for r in roster:
                joined = date.fromisoformat(r["joined_on"])
                first = max(joined.year * 12 + joined.month - 1, now - 12)
                due = quote(
                    r["fee_category"], parse_yuan(r["fee_base"], "fee_base", "党费基数")
                ).monthly_fen
                planted = r["member_no"] == planted_no
                for idx in range(first, now):
                    y, m = divmod(idx, 12)
                    on, d = day(y, m + 1, rng.randint(3, 25)), due
                    p: int | None = due
                    if planted and kind in ("FEE-02", "FEE-03", "FEE-04") and idx >= now - arrears:
                        p, on = None, ""
                    elif planted and kind == "FEE-05" and idx == odd_month:
                        p = due // 2
                    elif planted and kind == "FEE-09" and idx == odd_month:
                        d = p = due + 100
                    rows.append(
                        {
                            "member_no": r["member_no"],
                            "month": f"{y:04d}-{m + 1:02d}",
                            "due": money(d),
                            "paid": "" if p is None else money(p),
                            "paid_on": on,
                        }
                    )
        return rows

    def _meetings(
        self,
        nodes: list[Node],
        by_branch: dict[str, list[dict[str, str]]],
        posts: list[dict[str, str]],
    ) -> list[dict[str, str]]:
        """Every meeting due in the scan window (the 24 months before `today`'s month,
        rules-contract):
        theme days and committee meetings (branches with a committee) monthly, general meetings and
        lessons quarterly, the life meeting and the appraisal in December, each group's meeting
        monthly;
        only periods that start on or after the organization's founding. At the plant rate per
        branch one
        period's meeting of one kind is left out (LIFE-01/02/04/05/06/07; LIFE-03 for a group) or a
        general meeting is held with half or fewer present (LIFE-11)."""
        rng, today, rate, truth = self.rng, self.today, self.plant_rate, self.truth
        start = add_months(today.replace(day=1), -24)
        committee_posts: dict[str, int] = {}
        for p in posts:
            if p["post"] != "group_leader":
                committee_posts[p["org_code"]] = committee_posts.get(p["org_code"], 0) + 1
        months = []
        d = start
        while add_months(d, 1) <= today.replace(day=1):
            months.append(d)
            d = add_months(d, 1)
        rows: list[dict[str, str]] = []

        def held(
            code: str, kind: str, day: date, topic: str, expected: int, low: bool = False
        ) -> None:
            attended = (
                expected // 2
                if low
                else max(expected // 2 + 1, expected - rng.randint(0, max(0, expected // 4)))
            )
            rows.append(
                {
                    "org_code": code,
                    "kind": kind,
                    "held_on": day.isoformat(),
                    "topic": topic,
                    "attended": str(attended),
                    "expected": str(expected),
                }
            )

        for n in nodes:
            if n.kind not in ("branch", "group"):
                continue
            roster = by_branch.get(
                n.code if n.kind == "branch" else (n.parent.code if n.parent else ""), []
            )
            size = max(len(roster), 1)
            if n.kind == "group":
                groups = (
                    sum(1 for c in (n.parent.children or []) if c.kind == "group")
                    if n.parent
                    else 1
                )
                size = max(size // max(groups, 1), 1)
            due = [m for m in months if m >= n.established_on]
            if not due:
                continue
            plan: list[tuple[str, date, str]] = []  # kind, day, period label
            theme_day = rng.randint(5, 25)
            for m in due:
                if n.kind == "group":
                    plan.append(
                        ("group_meeting", m.replace(day=min(theme_day + 2, 28)), f"{m:%Y-%m}")
                    )
                    continue
                plan.append(("theme_day", m.replace(day=theme_day), f"{m:%Y-%m}"))
                if committee_posts.get(n.code, 0) >= 3:
                    plan.append(
                        ("committee_meeting", m.replace(day=rng.randint(1, 10)), f"{m:%Y-%m}")
                    )
                q = f"{m.year}-Q{(m.month - 1) // 3 + 1}"
                if m.month % 3 == 1 and add_months(m, 3) <= today.replace(day=1):
                    plan.append(
                        ("general_meeting", m.replace(month=m.month + 1, day=rng.randint(1, 28)), q)
                    )
                    plan.append(("party_lecture", m.replace(month=m.month + 2, day=theme_day), q))
                if m.month == 1 and add_months(m, 12) <= today.replace(day=1):
                    plan.append(("life_meeting", date(m.year, 12, rng.randint(1, 20)), str(m.year)))
                    plan.append(
                        ("democratic_review", date(m.year, 12, rng.randint(21, 30)), str(m.year))
                    )
            plan = [p for p in plan if n.established_on <= p[1] < today]
            planted: tuple[str, str] | None = None
            if plan and rng.random() < rate:
                kind, _day, period = rng.choice(plan)
                rule = {
                    "general_meeting": "LIFE-01",
                    "committee_meeting": "LIFE-02",
                    "group_meeting": "LIFE-03",
                    "party_lecture": "LIFE-04",
                    "theme_day": "LIFE-05",
                    "life_meeting": "LIFE-06",
                    "democratic_review": "LIFE-07",
                }[kind]
                if kind == "general_meeting" and rng.random() < 0.3:
                    rule = "LIFE-11"
                planted = (kind, period) if rule != "LIFE-11" else None
                truth.add((rule, n.code))
                low_period = period if rule == "LIFE-11" else None
            else:
                low_period = None
            label = {
                "theme_day": "主题党日",
                "committee_meeting": "支委会",
                "group_meeting": "党小组会",
                "general_meeting": "党员大会",
                "party_lecture": "党课",
                "life_meeting": "组织生活会",
                "democratic_review": "民主评议党员",
            }
            for kind, day, period in plan:
                if planted == (kind, period):
                    continue
                expected = (
                    max(committee_posts.get(n.code, 3), 3) if kind == "committee_meeting" else size
                )
                held(
                    n.code,
                    kind,
                    day,
                    f"{period}{label[kind]}",
                    expected,
                    low=kind == "general_meeting" and period == low_period,
                )
        return rows

    def _transfers(self, by_branch: dict[str, list[dict[str, str]]]) -> list[dict[str, str]]:
        return _transfers_rows(self, by_branch)

    def _recruitment(self, nodes: list[Node]) -> list[dict[str, str]]:
        """People in the recruitment pipeline: in one branch of five, one to three at a stage whose
        next
        deadline has not passed (applicants, activists, development objects, just admitted,
        converted);
        at the plant rate per branch one record that breaks one contract rule
        (DEV-01/02/05/06/10/14/15)."""
        rng, today, rate, truth = self.rng, self.today, self.plant_rate, self.truth
        rows: list[dict[str, str]] = []
        cols = (
            "talked_on",
            "activist_on",
            "target_on",
            "reviewed_on",
            "trained_on",
            "publicized_on",
            "admitted_on",
            "approved_on",
            "oath_on",
            "full_on",
        )

        def days(n: int) -> timedelta:
            return timedelta(days=n)

        def record(
            code: str, region: str, d: dict[str, date | None], born: date | None = None
        ) -> None:
            self.person_seq += 1
            gender = "男" if rng.random() < 0.6 else "女"
            applied = d["applied_on"] or today
            birth = born or add_months(applied, -12 * rng.randint(19, 40)) - days(
                rng.randint(0, 300)
            )
            rows.append(
                {
                    "person_no": f"R{self.person_seq:08d}",
                    "name": self.person_name(gender),
                    "gender": gender,
                    "birth_date": birth.isoformat(),
                    "org_code": code,
                    **{c: (f"{d[c]:%Y-%m-%d}" if d.get(c) else "") for c in ("applied_on", *cols)},
                }
            )

        def pipeline(stage: str, admitted: date | None = None) -> dict[str, date | None]:
            """Dates of a regular record at `stage`, every deadline before today met."""
            if stage == "applicant":
                applied = today - days(rng.randint(1, 27))
                return {
                    "applied_on": applied,
                    "talked_on": min(applied + days(rng.randint(0, 20)), today)
                    if rng.random() < 0.5
                    else None,
                }
            if stage == "activist":
                activist = today - days(rng.randint(30, 300))
                applied = activist - days(rng.randint(60, 400))
                return {
                    "applied_on": applied,
                    "talked_on": applied + days(rng.randint(3, 25)),
                    "activist_on": activist,
                }
            if stage == "target":
                target = today - days(rng.randint(10, 150))
                activist = add_months(target, -12) - days(rng.randint(0, 200))
                applied = activist - days(rng.randint(60, 400))
                return {
                    "applied_on": applied,
                    "talked_on": applied + days(rng.randint(3, 25)),
                    "activist_on": activist,
                    "target_on": target,
                    "reviewed_on": min(target + days(20), today),
                    "publicized_on": None,
                }
            if admitted is None:
                admitted = (
                    today - days(rng.randint(5, 60))
                    if stage == "admitted"
                    else add_months(today, -12 - rng.randint(1, 30))
                )
            target = admitted - days(rng.randint(40, 120))
            activist = add_months(target, -12) - days(rng.randint(0, 200))
            applied = activist - days(rng.randint(60, 400))
            d: dict[str, date | None] = {
                "applied_on": applied,
                "talked_on": applied + days(rng.randint(3, 25)),
                "activist_on": activist,
                "target_on": target,
                "reviewed_on": target + days(10),
                "trained_on": target + days(20),
                "publicized_on": target + days(25),
                "admitted_on": admitted,
            }
            if stage == "full":
                approved = min(admitted + days(rng.randint(20, 80)), add_months(admitted, 3))
                d.update(
                    approved_on=approved,
                    oath_on=approved + days(rng.randint(1, 20)),
                    full_on=add_months(admitted, 12),
                )
            return d

        for n in nodes:
            if n.kind != "branch" or n.established_on > today - timedelta(days=5 * 365):
                continue
            if rng.random() < 0.2:
                for _ in range(rng.randint(1, 3)):
                    record(
                        n.code,
                        n.region,
                        pipeline(
                            rng.choice(["applicant", "activist", "target", "admitted", "full"])
                        ),
                    )
            if rng.random() >= rate:
                continue
            rule = rng.choice(
                ["DEV-01", "DEV-02", "DEV-05", "DEV-06", "DEV-10", "DEV-14", "DEV-15"]
            )
            truth.add((rule, n.code))
            if rule == "DEV-01":
                d = pipeline("applicant")
                record(
                    n.code,
                    n.region,
                    d,
                    born=add_months(d["applied_on"], -216)  # type: ignore[arg-type]
                    + days(rng.randint(1, 100)),
                )
            elif rule == "DEV-02":
                applied = today - days(rng.randint(70, 300))
                record(
                    n.code,
                    n.region,
                    {
                        "applied_on": applied,
                        "talked_on": add_months(applied, 1) + days(rng.randint(1, 30))
                        if rng.random() < 0.5
                        else None,
                    },
                )
            elif rule == "DEV-05":
                d = pipeline("target")
                d["target_on"] = add_months(d["activist_on"], 12) - days(rng.randint(1, 90))  # type: ignore[arg-type]
                d["reviewed_on"] = d["target_on"]
                record(n.code, n.region, d)
            elif rule == "DEV-06":
                d = pipeline("admitted")
                d["reviewed_on" if rng.random() < 0.5 else "trained_on"] = None
                record(n.code, n.region, d)
            elif rule == "DEV-10":
                d = pipeline("full")
                if rng.random() < 0.5:
                    d["approved_on"] = add_months(d["admitted_on"], 3) + days(rng.randint(1, 60))  # type: ignore[arg-type]
                    d["oath_on"] = d["approved_on"] + days(3)  # type: ignore[operator,assignment]
                else:
                    d = pipeline(
                        "admitted", admitted=add_months(today, -3) - days(rng.randint(2, 60))
                    )
                record(n.code, n.region, d)
            elif rule == "DEV-14":
                d = pipeline("full")
                d["full_on"] = add_months(d["admitted_on"], 12) - days(rng.randint(1, 60))  # type: ignore[arg-type]
                record(n.code, n.region, d)
            else:  # DEV-15: probation over more than a month ago, no conversion
                d = pipeline("full", admitted=add_months(today, -13) - days(rng.randint(2, 200)))
                d["approved_on"] = d["admitted_on"] + days(30)  # type: ignore[operator,assignment]
                d["oath_on"] = d["approved_on"] + days(5)  # type: ignore[operator,assignment]
                d["full_on"] = None
                record(n.code, n.region, d)
        return rows


def _transfers_rows(
    builder: CityBuilder, by_branch: dict[str, list[dict[str, str]]]
) -> list[dict[str, str]]:
    """Letters: in one branch of eight, a member received from another branch in the past year and,
    in
    one of ten, a letter out of the deployment issued in the last three weeks (both regular); at the
    plant rate per branch one letter past its validity without a receipt (TRF-02) or one pending for
    more than 30 days but still valid (TRF-03). One open letter per member."""
    rng, today, rate, truth = builder.rng, builder.today, builder.plant_rate, builder.truth
    codes = [c for c, roster in by_branch.items() if roster]
    rows: list[dict[str, str]] = []

    def row(
        m: dict[str, str],
        src: str,
        dst: str,
        name: str,
        issued: date,
        days: int,
        accepted: date | None,
    ) -> None:
        rows.append(
            {
                "member_no": m["member_no"],
                "from_org_code": src,
                "to_org_code": dst,
                "to_name": name,
                "issued_on": issued.isoformat(),
                "valid_days": str(days),
                "accepted_on": accepted.isoformat() if accepted else "",
            }
        )

    for code in codes:
        roster = by_branch[code]
        if len(roster) < 3:
            continue
        picks = rng.sample(roster, 3)
        if rng.random() < 0.125 and len(codes) > 1:
            src = rng.choice([c for c in codes if c != code])
            issued = today - timedelta(days=rng.randint(60, 330))
            earliest = max(date.fromisoformat(picks[0]["joined_on"]), issued - timedelta(days=1))
            if earliest < issued:
                row(
                    picks[0], src, code, "", issued, 90, issued + timedelta(days=rng.randint(3, 40))
                )
        if rng.random() < 0.1:
            row(
                picks[1],
                code,
                "",
                rng.choice(["厦门大学党委", "福州市鼓楼区委组织部", "深圳市南山区党群服务中心"]),
                today - timedelta(days=rng.randint(1, 20)),
                90,
                None,
            )
        if rng.random() >= rate:
            continue
        if rng.random() < 0.5:
            truth.add(("TRF-02", code))
            days = rng.choice([30, 60, 90])
            row(
                picks[2],
                code,
                "",
                "外省某党委",
                today - timedelta(days=days + rng.randint(1, 60)),
                days,
                None,
            )
        else:
            truth.add(("TRF-03", code))
            row(
                picks[2],
                code,
                rng.choice([c for c in codes if c != code] or [""]) if rng.random() < 0.5 else "",
                "外市某党委",
                today - timedelta(days=rng.randint(31, 80)),
                90,
                None,
            )
    for r in rows:  # a row inside the deployment names no outside organization
        if r["to_org_code"]:
            r["to_name"] = ""
    return rows


def _study_rows(
    builder: CityBuilder,
    nodes: list[Node],
    by_branch: dict[str, list[dict[str, str]]],
    posts: list[dict[str, str]],
) -> list[dict[str, str]]:
    """Study hours for the two complete years before `today` and the year so far: members 32-60
    hours,
    secretaries and committee members 56-90; at the plant rate per branch one member below 32 in the
    last complete year (EDU-01) or one leader below 56 (EDU-02)."""
    rng, today, rate, truth = builder.rng, builder.today, builder.plant_rate, builder.truth
    leaders = {p["member_no"] for p in posts if p["post"] != "group_leader"}
    established = {n.code: n.established_on for n in nodes}
    last = today.year - 1
    rows: list[dict[str, str]] = []
    part = (today.timetuple().tm_yday / 366) ** 0.8  # the year so far
    for code, roster in by_branch.items():
        plant = rng.random() < rate
        plant_rule = rng.choice(["EDU-01", "EDU-02"]) if plant else ""
        planted = False
        for m in roster:
            joined = date.fromisoformat(m["joined_on"])
            lead = m["member_no"] in leaders
            for year in (last - 1, last, today.year):
                start = date(year, 1, 1)
                if joined > start or established[code] > start:
                    continue
                hours = rng.randint(56, 90) if lead else rng.randint(32, 60)
                if year == last and not planted and plant and (plant_rule == "EDU-02") == lead:
                    hours = rng.randint(40, 55) if lead else rng.randint(0, 31)
                    truth.add((plant_rule, code))
                    planted = True
                if year == today.year:
                    hours = round(hours * part)
                rows.append({"member_no": m["member_no"], "year": str(year), "hours": str(hours)})
    return rows


def _org_row(n: Node) -> dict[str, str]:
    return {
        "code": n.code,
        "name": n.name,
        "parent_code": n.parent.code if n.parent else "",
        "kind": n.kind,
        "category": n.category,
        "established_on": n.established_on.isoformat(),
    }


def _table(spec, rows: list[dict[str, str]]) -> Table:  # type: ignore[no-untyped-def]

    t = Table(spec=spec, rows=rows, line_numbers=list(range(2, len(rows) + 2)))
    t.sha256 = hashlib.sha256(json.dumps(rows[:1000], ensure_ascii=False).encode()).hexdigest()
    return t


def generate(scale: str, seed: int, today: date) -> dict[str, Table]:
    return CityBuilder(scale, seed, today).tables()


def generate_with_truth(
    scale: str, seed: int, today: date, plant_rate: float = 0.03
) -> tuple[dict[str, Table], set[tuple[str, str]]]:
    """The tables and the ground truth: the (rule, organization code) irregularities planted."""
    builder = CityBuilder(scale, seed, today, plant_rate)
    return builder.tables(), builder.truth
