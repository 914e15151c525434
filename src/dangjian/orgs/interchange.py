"""orgs.csv, terms.csv and posts.csv in the interchange bundle (design.md §8).

orgs.csv: organizations get their materialized paths allocated in memory and are written with
bulk_create (an existing organization that changes parent is moved with the tree's own move);
terms.csv upserted by (organization, elected_on); posts.csv: current posts, a new secretary ends
the previous one. The organization index (`org_index`) is shared with the other apps' checks:
the database's organizations overlaid by this bundle's orgs.csv.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

from dangjian.core import pinyin
from dangjian.core.bundle import (
    BundleContext,
    BundleError,
    BundleFile,
    ExportScope,
    FileCounts,
    FileSpec,
    Issue,
    Table,
    register,
)
from dangjian.core.lookups import batches
from dangjian.members.constants import ON_ROLL_STATUSES, MemberStatus
from dangjian.members.models import Member
from dangjian.members.selectors import member_ids

from .constants import ALLOWED_PARENT_KINDS, OrgCategory, OrgChangeKind, OrgKind, PostKind
from .models import Organization, OrgChange, Post, Term

CODE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
BATCH = 2000

ORGS = FileSpec(
    "orgs.csv",
    "组织",
    ("code", "name", "parent_code", "kind", "category", "established_on"),
    {
        "code": 32,
        "name": 100,
        "parent_code": 32,
        "kind": 20,
        "category": 20,
        "established_on": 10,
    },
    {
        "code": "组织代码",
        "name": "名称",
        "parent_code": "上级组织代码",
        "kind": "组织类型",
        "category": "单位类别",
        "established_on": "成立日期",
    },
)
TERMS = FileSpec(
    "terms.csv",
    "届次",
    ("org_code", "elected_on", "term_years"),
    {"org_code": 32, "elected_on": 10, "term_years": 2},
    {"org_code": "组织代码", "elected_on": "选举日期", "term_years": "任期年数"},
)
POSTS = FileSpec(
    "posts.csv",
    "班子职务",
    ("org_code", "member_no", "post", "started_on"),
    {"org_code": 32, "member_no": 32, "post": 20, "started_on": 10},
    {
        "org_code": "组织代码",
        "member_no": "党员编号",
        "post": "职务",
        "started_on": "任职日期（可空）",
    },
    optional=("started_on",),
)


# ---------------------------------------------------------------- the organization index


@dataclass
class OrgRow:
    line: int
    code: str
    name: str
    parent_code: str
    kind: str
    category: str
    established_on: date


class OrgIndex:
    """Every organization by code — the database's, overlaid by orgs.csv once it is checked."""

    def __init__(self) -> None:
        # code → id, path, depth, numchild, kind, name, category, established_on, is_active,
        # parent_code
        self.db: dict[str, dict[str, Any]] = {}
        by_path: dict[str, str] = {}
        for o in Organization.objects.values(
            "id",
            "code",
            "path",
            "depth",
            "numchild",
            "kind",
            "name",
            "category",
            "established_on",
            "is_active",
        ).order_by("path"):
            by_path[o["path"]] = o["code"]
            o["parent_code"] = (
                by_path.get(o["path"][: -Organization.steplen], "") if o["depth"] > 1 else ""
            )
            self.db[o["code"]] = o
        self.parent_of: dict[str, str] = {c: o["parent_code"] for c, o in self.db.items()}
        self.kind_of: dict[str, str] = {c: o["kind"] for c, o in self.db.items()}
        self.file: dict[str, OrgRow] = {}

    def overlay(self, rows: list[OrgRow]) -> None:
        self.file = {o.code: o for o in rows}
        self.parent_of.update({o.code: o.parent_code for o in rows})
        self.kind_of.update({o.code: o.kind for o in rows})

    def exists(self, code: str) -> bool:
        return code in self.parent_of

    def in_scope(self, code: str, scope_paths: list[str] | None) -> bool:
        org = self.db.get(code)
        return (
            org is not None
            and org["is_active"]
            and any(org["path"].startswith(p) for p in scope_paths or [])
        )

    def ancestors_or_self(self, code: str) -> list[str]:
        chain = []
        cur = code
        guard = 0
        while cur and guard < 100:
            chain.append(cur)
            cur = self.parent_of.get(cur, "")
            guard += 1
        return chain

    def category(self, code: str) -> str:
        """The organization's category (orgs.csv's row over the database's), "" if unknown."""
        if code in self.file:
            return self.file[code].category
        o = self.db.get(code)
        return o["category"] if o else ""

    def established(self, code: str) -> date | None:
        if code in self.file:
            return self.file[code].established_on
        o = self.db.get(code)
        return o["established_on"] if o else None


def org_index(ctx: BundleContext) -> OrgIndex:
    """The index of this import (built once, from the database, on first use)."""
    index = ctx.shared.get("orgs.index")
    if index is None:
        index = ctx.shared["orgs.index"] = OrgIndex()
    return index


def org_ids(ctx: BundleContext) -> dict[str, int]:
    """Organization id by code, after orgs.csv is written (or from the database)."""
    ids = ctx.shared.get("orgs.ids")
    if ids is None:
        ids = ctx.shared["orgs.ids"] = dict(Organization.objects.values_list("code", "id"))
    return ids


# ---------------------------------------------------------------- orgs.csv


def check_orgs(ctx: BundleContext, table: Table) -> list[OrgRow]:
    f = table.label or ORGS.name
    index = org_index(ctx)
    rows: list[OrgRow] = []
    seen: dict[str, int] = {}
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        ok = True
        code = row["code"]
        if not code:
            ctx.err(f, line, "code", "组织代码不能为空")
            ok = False
        elif not CODE_RE.match(code):
            ctx.err(f, line, "code", f"组织代码“{code}”只能由字母、数字、-、_、. 组成")
            ok = False
        elif code in seen:
            ctx.err(f, line, "code", f"组织代码“{code}”与第{seen[code]}行重复")
            ok = False
        else:
            seen[code] = line
        if not row["name"]:
            ctx.err(f, line, "name", "组织名称不能为空")
            ok = False
        if row["kind"] not in OrgKind.values:
            ctx.err(
                f, line, "kind", f"组织类型“{row['kind']}”无效，应为：{', '.join(OrgKind.values)}"
            )
            ok = False
        if row["category"] not in OrgCategory.values:
            ctx.err(
                f,
                line,
                "category",
                f"单位类别“{row['category']}”无效，应为：{', '.join(OrgCategory.values)}",
            )
            ok = False
        est = ctx.date(f, line, "established_on", row["established_on"], "成立日期")
        if row["parent_code"] and row["parent_code"] == code:
            ctx.err(f, line, "parent_code", "上级组织不能是自己")
            ok = False
        if ok and est is not None:
            rows.append(
                OrgRow(
                    line, code, row["name"], row["parent_code"], row["kind"], row["category"], est
                )
            )
    index.overlay(rows)
    parent_of, kind_of = index.parent_of, index.kind_of
    for o in rows:
        if o.parent_code and o.parent_code not in parent_of:
            ctx.err(
                f,
                o.line,
                "parent_code",
                f"上级组织“{o.parent_code}”不存在（既不在文件中，也不在系统中）",
            )
            continue
        if o.parent_code:
            pk = kind_of[o.parent_code]
            if pk not in ALLOWED_PARENT_KINDS[o.kind]:
                ctx.err(
                    f,
                    o.line,
                    "kind",
                    f"{OrgKind(o.kind).label}不能设在{OrgKind(pk).label}（{o.parent_code}）之下",
                )
        elif o.kind == OrgKind.GROUP:
            ctx.err(f, o.line, "parent_code", "党小组必须有上级党支部")
    # cycles
    for o in rows:
        seen_codes = {o.code}
        cur = parent_of.get(o.code, "")
        while cur:
            if cur in seen_codes:
                ctx.err(f, o.line, "parent_code", f"上级关系形成循环（{o.code} → … → {cur}）")
                break
            seen_codes.add(cur)
            cur = parent_of.get(cur, "")
    return rows


def _parents_first(rows: list[OrgRow]) -> list[OrgRow]:
    order: list[OrgRow] = []
    placed: set[str] = set()
    pending = list(rows)
    file_codes = {o.code for o in rows}
    while pending:
        rest = []
        for o in pending:
            if not o.parent_code or o.parent_code not in file_codes or o.parent_code in placed:
                order.append(o)
                placed.add(o.code)
            else:
                rest.append(o)
        if len(rest) == len(pending):  # cannot happen after the cycle check
            raise BundleError([Issue(ORGS.name, rest[0].line, "parent_code", "上级关系形成循环")])
        pending = rest
    return order


def write_orgs(ctx: BundleContext, rows: list[OrgRow], counts: FileCounts) -> None:
    """Create, update and move organizations; then code → id for every organization."""
    steplen = Organization.steplen
    db = org_index(ctx).db
    actor = ctx.actor
    today = timezone.localdate()
    order = _parents_first(rows)
    moves = [o for o in order if o.code in db and db[o.code]["parent_code"] != o.parent_code]
    moved_codes = {o.code for o in moves}
    updates: list[Organization] = []
    changes: list[OrgChange] = []
    for o in order:
        if o.code in db:
            cur = db[o.code]
            diff = {
                k: [cur[k], getattr(o, k)]
                for k in ("name", "kind", "category", "established_on")
                if cur[k] != getattr(o, k)
            }
            if diff:
                updates.append(
                    Organization(
                        id=cur["id"],
                        name=o.name,
                        initials=pinyin.initials(o.name),
                        kind=o.kind,
                        category=o.category,
                        established_on=o.established_on,
                    )
                )
                changes.append(
                    OrgChange(
                        organization_id=cur["id"],
                        kind=OrgChangeKind.IMPORTED,
                        on=today,
                        data={k: [str(a), str(b)] for k, (a, b) in diff.items()},
                        actor=actor,
                    )
                )
                counts.updated += 1
            elif o.code not in moved_codes:
                counts.unchanged += 1
    if updates:
        Organization.objects.bulk_update(
            updates,
            ["name", "initials", "kind", "category", "established_on"],
            batch_size=BATCH,
        )

    new_rows = [o for o in order if o.code not in db]
    if moves:
        # Rare: an existing organization changes parent. Use the tree's own move, then create
        # the new ones one by one (correctness over speed for a restructuring bundle).
        for o in order:
            if o.code in moved_codes:
                node = Organization.objects.get(code=o.code)
                target = Organization.objects.get(code=o.parent_code) if o.parent_code else None
                if target is None:
                    raise BundleError(
                        [Issue(ORGS.name, o.line, "parent_code", "已有组织不能改为最上级组织")]
                    )
                Organization.objects.move(node, target, pos="last-child")
                changes.append(
                    OrgChange(
                        organization_id=node.pk,
                        kind=OrgChangeKind.MOVED,
                        on=today,
                        data={"from": db[o.code]["parent_code"], "to": o.parent_code},
                        actor=actor,
                    )
                )
                counts.updated += 1
            elif o.code not in db:
                fields = {
                    "code": o.code,
                    "name": o.name,
                    "kind": o.kind,
                    "category": o.category,
                    "established_on": o.established_on,
                }
                if o.parent_code:
                    node = Organization.objects.add_child(
                        Organization.objects.get(code=o.parent_code), fields
                    )
                else:
                    node = Organization.objects.add_root(fields)
                changes.append(
                    OrgChange(
                        organization_id=node.pk,
                        kind=OrgChangeKind.CREATED,
                        on=o.established_on,
                        data={"source": "import"},
                        actor=actor,
                    )
                )
                counts.created += 1
    elif new_rows:
        paths = {c: o["path"] for c, o in db.items()}
        depth = {c: o["depth"] for c, o in db.items()}
        next_step: dict[str, int] = defaultdict(int)  # parent code ("" = roots) → last used step
        for existing in db.values():
            parent = existing["parent_code"]
            step = Organization._str2int(existing["path"][-steplen:])
            next_step[parent] = max(next_step[parent], step)
        added_children: dict[str, int] = defaultdict(int)
        objs = []
        for o in new_rows:
            parent = o.parent_code
            next_step[parent] += 1
            key = Organization._int2str(next_step[parent])
            step_str = Organization.alphabet[0] * (steplen - len(key)) + key
            if len(step_str) > steplen:
                raise BundleError([Issue(ORGS.name, o.line, None, "下级组织数量超过上限")])
            path = (paths[parent] if parent else "") + step_str
            paths[o.code] = path
            depth[o.code] = (depth[parent] + 1) if parent else 1
            if parent:
                added_children[parent] += 1
            objs.append(
                Organization(
                    code=o.code,
                    name=o.name,
                    initials=pinyin.initials(o.name),
                    kind=o.kind,
                    category=o.category,
                    established_on=o.established_on,
                    path=path,
                    depth=depth[o.code],
                    numchild=0,
                )
            )
        for obj in objs:
            obj.numchild = added_children.get(obj.code, 0)
        Organization.objects.bulk_create(objs, batch_size=BATCH)
        counts.created += len(objs)
        existing_parent_updates = [
            Organization(id=db[c]["id"], numchild=db[c]["numchild"] + n)
            for c, n in added_children.items()
            if c in db
        ]
        if existing_parent_updates:
            Organization.objects.bulk_update(
                existing_parent_updates, ["numchild"], batch_size=BATCH
            )
        ids = (
            dict(
                Organization.objects.filter(code__in=[o.code for o in new_rows]).values_list(
                    "code", "id"
                )
            )
            if len(new_rows) < 5000
            else dict(Organization.objects.values_list("code", "id"))
        )
        changes.extend(
            OrgChange(
                organization_id=ids[o.code],
                kind=OrgChangeKind.CREATED,
                on=o.established_on,
                data={"source": "import"},
                actor=actor,
            )
            for o in new_rows
        )
    OrgChange.objects.bulk_create(changes, batch_size=BATCH)
    ctx.shared["orgs.ids"] = dict(Organization.objects.values_list("code", "id"))


def export_orgs(scope: ExportScope) -> Iterator[tuple[str, ...]]:
    orgs = Organization.objects.filter(is_active=True)
    if scope.root is not None:
        orgs = orgs.filter(path__under=scope.root.path)
    rows = list(
        orgs.order_by("path").values_list(
            "code", "name", "path", "depth", "kind", "category", "established_on"
        )
    )
    code_by_path = {r[2]: r[0] for r in rows}
    top_depth = scope.root.depth if scope.root is not None else 1

    def parent_code(path: str, depth: int) -> str:
        if depth <= top_depth:
            return ""
        return code_by_path.get(path[: -Organization.steplen], "")

    for code, name, path, depth, kind, category, est in rows:
        yield (code, name, parent_code(path, depth), kind, category, est.isoformat())


# ---------------------------------------------------------------- terms.csv


def check_terms(ctx: BundleContext, table: Table) -> list[tuple[int, str, date, int]]:
    f = table.label or TERMS.name
    index = org_index(ctx)
    out: list[tuple[int, str, date, int]] = []
    seen: dict[tuple[str, date], int] = {}
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        code = row["org_code"]
        ok = True
        if not index.exists(code):
            ctx.err(f, line, "org_code", f"组织“{code}”不存在")
            ok = False
        elected = ctx.date(f, line, "elected_on", row["elected_on"], "选举日期")
        try:
            years = int(row["term_years"])
            if not 1 <= years <= 10:
                raise ValueError
        except ValueError:
            ctx.err(f, line, "term_years", f"任期年数“{row['term_years']}”应为1到10之间的整数")
            ok = False
            years = 0
        if elected is None:
            continue
        if ok:
            est = index.established(code)
            if est and elected < est:
                ctx.err(f, line, "elected_on", f"选举日期早于组织成立日期（{est.isoformat()}）")
                ok = False
            if (code, elected) in seen:
                ctx.err(f, line, "elected_on", f"与第{seen[(code, elected)]}行重复")
                ok = False
            seen[(code, elected)] = line
        if ok:
            out.append((line, code, elected, years))
    return out


def write_terms(
    ctx: BundleContext, rows: list[tuple[int, str, date, int]], counts: FileCounts
) -> None:
    ids = org_ids(ctx)
    existing = {
        (oid, d): (pk, y)
        for pk, oid, d, y in Term.objects.values_list(
            "id", "organization_id", "elected_on", "term_years"
        )
    }
    creates, updates = [], []
    for _line, code, elected, years in rows:
        key = (ids[code], elected)
        if key not in existing:
            creates.append(Term(organization_id=key[0], elected_on=elected, term_years=years))
        elif existing[key][1] != years:
            updates.append(Term(id=existing[key][0], term_years=years))
        else:
            counts.unchanged += 1
    Term.objects.bulk_create(creates, batch_size=BATCH)
    Term.objects.bulk_update(updates, ["term_years"], batch_size=BATCH)
    counts.created += len(creates)
    counts.updated += len(updates)


def export_terms(scope: ExportScope) -> Iterator[tuple[Any, ...]]:
    terms = (
        Term.objects.filter(organization__in=scope.org_ids)
        .order_by("organization__code", "elected_on")
        .values_list("organization__code", "elected_on", "term_years")
    )
    return ((c, d.isoformat(), y) for c, d, y in terms)


# ---------------------------------------------------------------- posts.csv


def check_posts(ctx: BundleContext, table: Table) -> list[tuple[int, str, str, str, date | None]]:
    f = table.label or POSTS.name
    index = org_index(ctx)
    # the members of this bundle's members.csv (checked before this file), then the database's
    file_members = {m.member_no: m for m in ctx.rows.get("members.csv", [])}
    wanted = [r["member_no"] for r in table.rows if r["member_no"] not in file_members]
    db_members: dict[str, tuple[str, str]] = {}
    for batch in batches(wanted):
        for no, code, status in Member.objects.filter(member_no__any=batch).values_list(
            "member_no", "organization__code", "status"
        ):
            db_members[no] = (code, status)
    out: list[tuple[int, str, str, str, date | None]] = []
    seen: dict[tuple[str, str, str], int] = {}
    secretaries: dict[str, int] = {}
    today = timezone.localdate()
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        code, no, post = row["org_code"], row["member_no"], row["post"]
        ok = True
        started: date | None = None
        if row.get("started_on", ""):
            started = ctx.date(f, line, "started_on", row["started_on"], "任职日期")
            if started is None:
                ok = False
            elif started > today:
                ctx.err(f, line, "started_on", "任职日期不能晚于今天")
                ok = False
        if not index.exists(code):
            ctx.err(f, line, "org_code", f"组织“{code}”不存在")
            ok = False
        if post not in PostKind.values:
            ctx.err(f, line, "post", f"职务“{post}”无效，应为：{', '.join(PostKind.values)}")
            ok = False
        if no in file_members:
            m_org, m_status = file_members[no].org_code, file_members[no].status
        elif no in db_members:
            m_org, m_status = db_members[no]
        else:
            ctx.err(f, line, "member_no", f"党员“{no}”不存在")
            continue
        if not ok:
            continue
        kind_of = index.kind_of
        if post == PostKind.GROUP_LEADER and kind_of.get(code) != OrgKind.GROUP:
            ctx.err(f, line, "post", "党小组长只能在党小组任命")
            continue
        related = code in index.ancestors_or_self(m_org) or (
            kind_of.get(code) == OrgKind.GROUP and index.ancestors_or_self(code)[1:2] == [m_org]
        )
        if not related:
            ctx.err(f, line, "member_no", f"党员“{no}”不属于组织“{code}”或其下级组织")
            continue
        if m_status not in (MemberStatus.FULL, MemberStatus.PROBATIONARY):
            ctx.err(f, line, "member_no", "只有正式党员或预备党员可以任职")
            continue
        if (
            post in (PostKind.SECRETARY, PostKind.DEPUTY_SECRETARY)
            and m_status != MemberStatus.FULL
        ):
            ctx.err(f, line, "member_no", "预备党员不能担任书记、副书记")
            continue
        key = (code, no, post)
        if key in seen:
            ctx.err(f, line, None, f"与第{seen[key]}行重复")
            continue
        seen[key] = line
        if post == PostKind.SECRETARY:
            if code in secretaries:
                ctx.err(f, line, "post", f"组织“{code}”有两名书记（另见第{secretaries[code]}行）")
                continue
            secretaries[code] = line
        out.append((line, code, no, post, started))
    return out


def write_posts(
    ctx: BundleContext, rows: list[tuple[int, str, str, str, date | None]], counts: FileCounts
) -> None:
    """Current posts: a new post is created (a new secretary ends the one before); an existing
    one takes the row's start date when the row has one (an empty cell keeps what is recorded)."""
    today = timezone.localdate()
    oids = org_ids(ctx)
    mids = member_ids(p[2] for p in rows)
    current = {}
    current_start = {}
    for pk, oid, mid, post, began in Post.objects.filter(ended_on__isnull=True).values_list(
        "id", "organization_id", "member_id", "post", "started_on"
    ):
        current[(oid, mid, post)] = pk
        current_start[pk] = began
    current_secretary = {
        oid: (pk, mid) for (oid, mid, post), pk in current.items() if post == PostKind.SECRETARY
    }
    creates: list[Post] = []
    ended: list[int] = []
    dated: list[Post] = []
    for _line, code, no, post, started in rows:
        key = (oids[code], mids[no], post)
        if key in current:
            pk = current[key]
            if started is not None and current_start[pk] != started:
                dated.append(Post(pk=pk, started_on=started))
                counts.updated += 1
            else:
                counts.unchanged += 1
            continue
        if post == PostKind.SECRETARY and key[0] in current_secretary:
            ended.append(current_secretary[key[0]][0])  # the bundle names a new secretary
        creates.append(
            Post(organization_id=key[0], member_id=key[1], post=post, started_on=started)
        )
    if ended:
        Post.objects.filter(pk__in=ended).update(ended_on=today)
    Post.objects.bulk_update(dated, ["started_on"], batch_size=BATCH)
    Post.objects.bulk_create(creates, batch_size=BATCH)
    counts.created += len(creates)


def export_posts(scope: ExportScope) -> Any:
    return (
        Post.objects.filter(
            organization__in=scope.org_ids,
            ended_on__isnull=True,
            member__status__in=ON_ROLL_STATUSES,
        )
        .order_by("organization__code", "post", "member__member_no")
        .values_list("organization__code", "member__member_no", "post", "started_on")
    )


register(
    BundleFile(
        ORGS,
        check_orgs,
        write_orgs,
        export_orgs,
        export_empty=True,
        models=(Organization,),
    ),
    BundleFile(
        TERMS,
        check_terms,
        write_terms,
        export_terms,
        after=("orgs.csv",),
        export_empty=True,
        models=(Term,),
    ),
    BundleFile(
        POSTS,
        check_posts,
        write_posts,
        export_posts,
        after=("orgs.csv", "members.csv"),
        export_empty=True,
        models=(Post,),
    ),
)
