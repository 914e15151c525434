"""非公党建's bundle files (docs/interchange.md):

- enterprises.csv         credit_code, name, park_org_code, employees, org_code (its own party
                          organization, empty if none), covered_by_org_code (the joint branch it is
                          in, or empty)
- enterprise_members.csv  credit_code, member_no (a member employed there)
- instructors.csv         id, name, kind (full / part)
- assignments.csv         instructor_id, credit_code, since (the current assignments)
- visits.csv              instructor_id, credit_code, visited_on

The committee in charge of an enterprise is not a column: it is the organization above its own
party organization, else above its joint branch, else its park's joint committee. A branch named
in covered_by_org_code becomes a joint branch. Checked with the rest of the bundle (all or
nothing; every fault named by file, row and column); an import of what an export wrote changes
nothing, and exporting again gives the same files.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from dangjian.core.bundle import (
    BundleContext,
    BundleFile,
    ExportScope,
    FileCounts,
    FileSpec,
    Table,
    register,
)
from dangjian.core.creditcode import credit_code_clean
from dangjian.core.errors import DomainError
from dangjian.members.interchange import known_members
from dangjian.members.models import Member
from dangjian.members.selectors import member_ids
from dangjian.orgs.interchange import org_ids, org_index
from dangjian.orgs.models import Organization, Unit

from .models import Assignment, Enterprise, Instructor, InstructorKind, InstructorVisit, Park

ENTERPRISES = FileSpec(
    "enterprises.csv",
    "非公企业和社会组织",
    ("credit_code", "name", "park_org_code", "employees", "org_code", "covered_by_org_code"),
    {
        "credit_code": 18,
        "name": 100,
        "park_org_code": 32,
        "employees": 9,
        "org_code": 32,
        "covered_by_org_code": 32,
    },  # fmt: skip
    {
        "credit_code": "统一社会信用代码",
        "name": "名称",
        "park_org_code": "园区联合党委（组织代码，可空）",
        "employees": "从业人员数",
        "org_code": "单位党组织（组织代码，可空）",
        "covered_by_org_code": "所在联合党支部（组织代码，可空）",
    },
)
EMPLOYEES = FileSpec(
    "enterprise_members.csv",
    "在单位工作的党员",
    ("credit_code", "member_no"),
    {"credit_code": 18, "member_no": 32},
    {"credit_code": "统一社会信用代码", "member_no": "党员编号"},
)
INSTRUCTORS = FileSpec(
    "instructors.csv",
    "党建指导员",
    ("id", "name", "kind"),
    {"id": 32, "name": 50, "kind": 4},
    {"id": "编号", "name": "姓名", "kind": "类别（full专职/part兼职）"},
)
ASSIGNMENTS = FileSpec(
    "assignments.csv",
    "指导员联系企业",
    ("instructor_id", "credit_code", "since"),
    {"instructor_id": 32, "credit_code": 18, "since": 10},
    {"instructor_id": "指导员编号", "credit_code": "统一社会信用代码", "since": "联系开始日期"},
)
VISITS = FileSpec(
    "visits.csv",
    "指导员走访",
    ("instructor_id", "credit_code", "visited_on"),
    {"instructor_id": 32, "credit_code": 18, "visited_on": 10},
    {"instructor_id": "指导员编号", "credit_code": "统一社会信用代码", "visited_on": "走访日期"},
)


def _in_scope(scope: ExportScope) -> Q:
    if scope.org_ids is None:
        return Q()
    return Q(unit__committee_id__in=scope.org_ids) | Q(park__organization_id__in=scope.org_ids)


# ---------------------------------------------------------------- enterprises.csv


@dataclass
class EnterpriseRow:
    line: int
    credit_code: str
    name: str
    park: str
    employees: int
    org: str
    joint: str
    committee: str  # the committee in charge, derived


def check_enterprises(ctx: BundleContext, table: Table) -> list[EnterpriseRow]:
    f = table.label or ENTERPRISES.name
    index = org_index(ctx)
    out: list[EnterpriseRow] = []
    seen: dict[str, int] = {}
    owners: dict[str, int] = {}
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        c = {k: row[k].strip() for k in ENTERPRISES.columns}
        ok = True
        code = c["credit_code"].upper()
        try:
            code = credit_code_clean(code)
        except DomainError as exc:
            ctx.err(f, line, "credit_code", exc.message)
            ok = False
        else:
            if code in seen:
                ctx.err(f, line, "credit_code", f"统一社会信用代码{code}与第{seen[code]}行重复")
                ok = False
            seen.setdefault(code, line)
        if not c["name"]:
            ctx.err(f, line, "name", "名称不能为空")
            ok = False
        employees = c["employees"] or "0"
        if not employees.isdecimal() or int(employees) > 10_000_000:
            ctx.err(f, line, "employees", f"从业人员数“{c['employees']}”应为0至10000000的整数")
            ok = False
        for column, label in (
            ("park_org_code", "园区联合党委"),
            ("org_code", "单位党组织"),
            ("covered_by_org_code", "联合党支部"),
        ):
            if c[column] and not index.exists(c[column]):
                ctx.err(f, line, column, f"{label}“{c[column]}”不在组织树中")
                ok = False
        park, own, joint = c["park_org_code"], c["org_code"], c["covered_by_org_code"]
        if own and joint:
            ctx.err(f, line, "covered_by_org_code", "已单独建立党组织的单位不再填写所在联合党支部")
            ok = False
        if park and index.exists(park) and index.kind_of.get(park) != "committee":
            ctx.err(f, line, "park_org_code", f"“{park}”不是党委，不能作为园区联合党委")
            ok = False
        if own and index.exists(own) and index.kind_of.get(own) == "group":
            ctx.err(f, line, "org_code", f"“{own}”是党小组，不能作为单位党组织")
            ok = False
        if joint and index.exists(joint) and index.kind_of.get(joint) != "branch":
            ctx.err(f, line, "covered_by_org_code", f"“{joint}”不是党支部，不能作为联合党支部")
            ok = False
        if own and own in owners and ok:
            ctx.err(f, line, "org_code", f"党组织“{own}”已是第{owners[own]}行单位的党组织")
            ok = False
        if not (park or own or joint):
            ctx.err(
                f,
                line,
                "park_org_code",
                "园区、单位党组织和联合党支部至少填写一项（由此确定主管党组织）",
            )
            ok = False
        if not ok:
            continue
        if own:
            owners.setdefault(own, line)
        above = own or joint
        committee = (index.parent_of.get(above, "") or above) if above else park
        out.append(
            EnterpriseRow(line, code, c["name"], park, int(employees), own, joint, committee)
        )
    owned = {r.org for r in out if r.org}
    # the database's units outside this file: an organization one of them has as its own is not
    # another's, nor a joint branch (the file would silently change that unit's coverage)
    named = owned | {r.joint for r in out if r.joint}
    theirs = dict(
        Unit.objects.filter(organization__code__in=named, organization__is_joint=False)
        .exclude(credit_code__in=[r.credit_code for r in out])
        .values_list("organization__code", "credit_code")
    )
    bad = set()
    for r in out:
        if r.joint in owned:
            ctx.err(f, r.line, "covered_by_org_code", f"“{r.joint}”是另一单位单独建立的党组织")
            bad.add(r.line)
        for column, code in (("org_code", r.org), ("covered_by_org_code", r.joint)):
            if code and code in theirs:
                ctx.err(f, r.line, column, f"“{code}”已是单位{theirs[code]}单独建立的党组织")
                bad.add(r.line)
    return [r for r in out if r.line not in bad]


def write_enterprises(ctx: BundleContext, rows: list[EnterpriseRow], counts: FileCounts) -> None:
    if not rows:
        return
    ids = org_ids(ctx)
    joint = {ids[r.joint] for r in rows if r.joint}
    Organization.objects.filter(pk__in=joint, is_joint=False).update(is_joint=True)
    park_orgs = {ids[r.park] for r in rows if r.park}
    parks = dict(
        Park.objects.filter(organization_id__in=park_orgs).values_list("organization_id", "id")
    )
    names = dict(
        Organization.objects.filter(pk__in=park_orgs - set(parks)).values_list("id", "name")
    )
    taken = set(Park.objects.values_list("name", flat=True))
    for oid, name in sorted(names.items()):
        label = name.removeprefix("中共")[:50]
        while label in taken:
            label = f"{label[:45]}{oid}"[:50]
        taken.add(label)
        parks[oid] = Park.objects.create(name=label, organization_id=oid).pk
    units = {
        u.credit_code: u for u in Unit.objects.filter(credit_code__in=[r.credit_code for r in rows])
    }
    profiles = {e.pk: e for e in Enterprise.objects.filter(unit__in=units.values())}
    new_units, changed_units, new_profiles, changed_profiles = [], [], [], []
    for r in rows:
        org = ids[r.org] if r.org else ids[r.joint] if r.joint else None
        uvals = {"name": r.name, "committee_id": ids[r.committee], "organization_id": org}
        pvals = {"park_id": parks[ids[r.park]] if r.park else None, "employees": r.employees}
        u = units.get(r.credit_code)
        if u is None:
            u = Unit(kind="unit", credit_code=r.credit_code, category="private", **uvals)
            new_units.append((u, pvals))
            continue
        e = profiles.get(u.pk)
        unit_changed = any(getattr(u, k) != v for k, v in uvals.items())
        if unit_changed:
            for k, v in uvals.items():
                setattr(u, k, v)
            changed_units.append(u)
        if e is None:
            new_profiles.append(Enterprise(unit=u, **pvals))
        elif any(getattr(e, k) != v for k, v in pvals.items()):
            for k, v in pvals.items():
                setattr(e, k, v)
            changed_profiles.append(e)
        elif not unit_changed:
            counts.unchanged += 1
            continue
        counts.updated += 1
    Unit.objects.bulk_create([u for u, _ in new_units], batch_size=5000)
    created = {
        u.credit_code: u
        for u in Unit.objects.filter(credit_code__in=[u.credit_code for u, _ in new_units])
    }
    new_profiles += [Enterprise(unit=created[u.credit_code], **p) for u, p in new_units]
    Enterprise.objects.bulk_create(new_profiles, batch_size=5000)
    Unit.objects.bulk_update(
        changed_units, ["name", "committee_id", "organization_id"], batch_size=5000
    )
    Enterprise.objects.bulk_update(changed_profiles, ["park_id", "employees"], batch_size=5000)
    counts.created += len(new_units)


def export_enterprises(scope: ExportScope) -> Iterator[tuple[str, ...]]:
    for e in (
        Enterprise.objects.filter(_in_scope(scope))
        .order_by("unit__credit_code")
        .values_list(
            "unit__credit_code",
            "unit__name",
            "park__organization__code",
            "employees",
            "unit__organization__code",
            "unit__organization__is_joint",
        )
    ):
        code, name, park, employees, org, is_joint = e
        yield (
            code,
            name,
            park or "",
            str(employees),
            (org or "") if not is_joint else "",
            (org or "") if is_joint else "",
        )


def _enterprises_known(ctx: BundleContext, codes: set[str]) -> set[str]:
    known = {r.credit_code for r in ctx.rows.get(ENTERPRISES.name, [])}
    missing = codes - known
    if missing:
        known |= set(
            Enterprise.objects.filter(unit__credit_code__in=missing).values_list(
                "unit__credit_code", flat=True
            )
        )
    return known


def _enterprise_ids(codes: set[str]) -> dict[str, int]:
    return dict(
        Enterprise.objects.filter(unit__credit_code__in=codes).values_list(
            "unit__credit_code", "pk"
        )
    )


# ---------------------------------------------------------------- enterprise_members.csv


def check_employees(ctx: BundleContext, table: Table) -> list[tuple[int, str, str]]:
    f = table.label or EMPLOYEES.name
    codes = {r["credit_code"].strip().upper() for r in table.rows}
    known = _enterprises_known(ctx, codes)
    members = known_members(ctx, [r["member_no"].strip() for r in table.rows])
    out: list[tuple[int, str, str]] = []
    seen: dict[str, int] = {}
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        code, no = row["credit_code"].strip().upper(), row["member_no"].strip()
        ok = True
        if code not in known:
            ctx.err(f, line, "credit_code", f"单位“{code}”不在 enterprises.csv 或数据库中")
            ok = False
        if no not in members:
            ctx.err(f, line, "member_no", f"党员“{no}”不存在")
            ok = False
        elif no in seen:
            ctx.err(f, line, "member_no", f"党员{no}与第{seen[no]}行重复（一人登记一个单位）")
            ok = False
        if ok:
            seen[no] = line
            out.append((line, code, no))
    return out


def write_employees(
    ctx: BundleContext, rows: list[tuple[int, str, str]], counts: FileCounts
) -> None:
    if not rows:
        return
    units = dict(
        Unit.objects.filter(credit_code__in={r[1] for r in rows}).values_list("credit_code", "id")
    )
    ids = member_ids(r[2] for r in rows)
    have = dict(Member.objects.filter(pk__in=ids.values()).values_list("pk", "employer_id"))
    by_unit: dict[int, list[int]] = {}
    for _line, code, no in rows:
        if have.get(ids[no]) == units[code]:
            counts.unchanged += 1
            continue
        by_unit.setdefault(units[code], []).append(ids[no])
        counts.updated += 1
    for unit_id, members in by_unit.items():
        for i in range(0, len(members), 5000):
            Member.objects.filter(pk__in=members[i : i + 5000]).update(employer_id=unit_id)


def export_employees(scope: ExportScope) -> Iterator[tuple[str, ...]]:
    members = Member.objects.filter(
        employer__enterprise__in=Enterprise.objects.filter(_in_scope(scope))
    )
    if scope.member_ids is not None:
        members = members.filter(pk__in=scope.member_ids)
    yield from members.order_by("employer__credit_code", "member_no").values_list(
        "employer__credit_code", "member_no"
    )


# ---------------------------------------------------------------- instructors.csv


def check_instructors(ctx: BundleContext, table: Table) -> list[tuple[int, str, str, str]]:
    f = table.label or INSTRUCTORS.name
    out: list[tuple[int, str, str, str]] = []
    seen: dict[str, int] = {}
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        ref, name, kind = (row[k].strip() for k in ("id", "name", "kind"))
        ok = True
        if not ref:
            ctx.err(f, line, "id", "编号不能为空")
            ok = False
        elif ref in seen:
            ctx.err(f, line, "id", f"编号“{ref}”与第{seen[ref]}行重复")
            ok = False
        if not name:
            ctx.err(f, line, "name", "姓名不能为空")
            ok = False
        if kind not in InstructorKind.values:
            ctx.err(f, line, "kind", f"类别“{kind}”应为 full（专职）或 part（兼职）")
            ok = False
        if ok:
            seen[ref] = line
            out.append((line, ref, name, kind))
    return out


def _common_path(paths: list[str]) -> str:
    if not paths:
        return ""
    first, last = min(paths), max(paths)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[: n - n % Organization.steplen]


def write_instructors(
    ctx: BundleContext, rows: list[tuple[int, str, str, str]], counts: FileCounts
) -> None:
    """An instructor is in the charge of the organization above all the committees of the
    enterprises they are assigned to (the tree's root when none): set when first imported."""
    if not rows:
        return
    existing = {i.ref: i for i in Instructor.objects.filter(ref__in=[r[1] for r in rows])}
    # committees of the enterprises each new instructor is assigned to (assignments.csv)
    wanted = {r[1] for r in rows} - set(existing)
    by_ref: dict[str, set[str]] = {}
    table = ctx.tables.get(ASSIGNMENTS.name)
    for r in table.rows if table is not None else []:
        ref = r["instructor_id"].strip()
        if ref in wanted:
            by_ref.setdefault(ref, set()).add(r["credit_code"].strip().upper())
    codes = set().union(*by_ref.values()) if by_ref else set()
    paths = dict(
        Unit.objects.filter(credit_code__in=codes).values_list("credit_code", "committee__path")
    )
    root = Organization.objects.filter(depth=1).order_by("path").values_list("path", "id").first()
    by_path = dict(
        Organization.objects.filter(
            path__in={_common_path([paths[c] for c in cs if c in paths]) for cs in by_ref.values()}
        ).values_list("path", "id")
    )
    creates, updates = [], []
    for _line, ref, name, kind in rows:
        i = existing.get(ref)
        if i is None:
            common = _common_path([paths[c] for c in by_ref.get(ref, ()) if c in paths])
            org_id = by_path.get(common) or (root[1] if root else 0)
            creates.append(Instructor(ref=ref, name=name, kind=kind, organization_id=org_id))
        elif (i.name, i.kind) != (name, kind):
            i.name, i.kind = name, kind
            updates.append(i)
        else:
            counts.unchanged += 1
    Instructor.objects.bulk_create(creates, batch_size=5000)
    Instructor.objects.bulk_update(updates, ["name", "kind"], batch_size=5000)
    counts.created += len(creates)
    counts.updated += len(updates)


def _instructors_in(scope: ExportScope) -> Any:
    if scope.org_ids is None:
        return Instructor.objects.all()
    return Instructor.objects.filter(
        Q(organization_id__in=scope.org_ids)
        | Q(assignments__enterprise__in=Enterprise.objects.filter(_in_scope(scope)))
    ).distinct()


def export_instructors(scope: ExportScope) -> Iterator[tuple[str, ...]]:
    yield from (_instructors_in(scope).order_by("ref").values_list("ref", "name", "kind"))


def _instructors_known(ctx: BundleContext, refs: set[str]) -> set[str]:
    known = {r[1] for r in ctx.rows.get(INSTRUCTORS.name, [])}
    missing = refs - known
    if missing:
        known |= set(Instructor.objects.filter(ref__in=missing).values_list("ref", flat=True))
    return known


# ---------------------------------------------------------------- assignments.csv


def check_assignments(ctx: BundleContext, table: Table) -> list[tuple[int, str, str, date]]:
    f = table.label or ASSIGNMENTS.name
    refs = _instructors_known(ctx, {r["instructor_id"].strip() for r in table.rows})
    codes = _enterprises_known(ctx, {r["credit_code"].strip().upper() for r in table.rows})
    today = timezone.localdate()
    out: list[tuple[int, str, str, date]] = []
    pairs: dict[tuple[str, str], int] = {}
    holder: dict[str, tuple[str, int]] = {}
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        ref, code = row["instructor_id"].strip(), row["credit_code"].strip().upper()
        ok = True
        if ref not in refs:
            ctx.err(f, line, "instructor_id", f"指导员“{ref}”不在 instructors.csv 或数据库中")
            ok = False
        if code not in codes:
            ctx.err(f, line, "credit_code", f"单位“{code}”不在 enterprises.csv 或数据库中")
            ok = False
        since = ctx.date(f, line, "since", row["since"], "联系开始日期")
        if since is not None and since > today:
            ctx.err(f, line, "since", "联系开始日期不能晚于今天")
            ok = False
        if not ok or since is None:
            continue
        if (ref, code) in pairs:
            ctx.err(
                f, line, "instructor_id", f"指导员{ref}联系{code}与第{pairs[(ref, code)]}行重复"
            )
            continue
        if code in holder:
            ctx.err(
                f,
                line,
                "credit_code",
                f"单位{code}已由第{holder[code][1]}行的指导员{holder[code][0]}联系（一个单位同时只有一名指导员）",
            )
            continue
        pairs[(ref, code)] = line
        holder[code] = (ref, line)
        out.append((line, ref, code, since))
    ctx.shared["enterprises.assignments"] = {(r[1], r[2]): r[3] for r in out}
    return out


def write_assignments(
    ctx: BundleContext, rows: list[tuple[int, str, str, date]], counts: FileCounts
) -> None:
    """The current assignments: one the file names is kept (or started); another instructor's
    current assignment of that enterprise ends the day before."""
    if not rows:
        return
    ins = dict(Instructor.objects.filter(ref__in={r[1] for r in rows}).values_list("ref", "id"))
    ents = _enterprise_ids({r[2] for r in rows})
    current = {
        a.enterprise_id: a
        for a in Assignment.objects.filter(enterprise_id__in=ents.values(), until__isnull=True)
    }
    creates, ends = [], []
    for _line, ref, code, since in rows:
        a = current.get(ents[code])
        if a is not None and a.instructor_id == ins[ref] and a.since == since:
            counts.unchanged += 1
            continue
        if a is not None:
            a.until = max(since, a.since + timedelta(days=1)) - timedelta(days=1)
            ends.append(a)
        creates.append(Assignment(instructor_id=ins[ref], enterprise_id=ents[code], since=since))
    Assignment.objects.bulk_update(ends, ["until"], batch_size=5000)
    Assignment.objects.bulk_create(creates, batch_size=5000)
    counts.created += len(creates)


def export_assignments(scope: ExportScope) -> Iterator[tuple[str, ...]]:
    for ref, code, since in (
        Assignment.objects.filter(
            until__isnull=True, enterprise__in=Enterprise.objects.filter(_in_scope(scope))
        )
        .order_by("enterprise__unit__credit_code", "instructor__ref")
        .values_list("instructor__ref", "enterprise__unit__credit_code", "since")
    ):
        yield (ref, code, since.isoformat())


# ---------------------------------------------------------------- visits.csv


def check_visits(ctx: BundleContext, table: Table) -> list[tuple[int, str, str, date]]:
    f = table.label or VISITS.name
    refs = _instructors_known(ctx, {r["instructor_id"].strip() for r in table.rows})
    codes = _enterprises_known(ctx, {r["credit_code"].strip().upper() for r in table.rows})
    in_file: dict[tuple[str, str], date] = ctx.shared.get("enterprises.assignments", {})
    first: dict[tuple[str, str], date] = {}
    for ref, code, since in Assignment.objects.filter(
        instructor__ref__in=refs, enterprise__unit__credit_code__in=codes
    ).values_list("instructor__ref", "enterprise__unit__credit_code", "since"):
        first[(ref, code)] = min(since, first.get((ref, code), since))
    for key, began in in_file.items():
        first[key] = min(began, first.get(key, began))
    out: list[tuple[int, str, str, date]] = []
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        ref, code = row["instructor_id"].strip(), row["credit_code"].strip().upper()
        ok = True
        if ref not in refs:
            ctx.err(f, line, "instructor_id", f"指导员“{ref}”不在 instructors.csv 或数据库中")
            ok = False
        if code not in codes:
            ctx.err(f, line, "credit_code", f"单位“{code}”不在 enterprises.csv 或数据库中")
            ok = False
        on = ctx.date(f, line, "visited_on", row["visited_on"], "走访日期")
        if not ok or on is None:
            continue
        start = first.get((ref, code))
        if start is None:
            ctx.err(f, line, "instructor_id", f"指导员{ref}没有联系单位{code}")
            continue
        if on < start:
            ctx.err(f, line, "visited_on", f"走访日期早于联系开始日期（{start.isoformat()}）")
            continue
        out.append((line, ref, code, on))
    return out


def write_visits(
    ctx: BundleContext, rows: list[tuple[int, str, str, date]], counts: FileCounts
) -> None:
    """Visits are added: each (instructor, enterprise, date) as many times as the file has it,
    less those already recorded (re-importing a file adds nothing)."""
    if not rows:
        return
    ins = dict(Instructor.objects.filter(ref__in={r[1] for r in rows}).values_list("ref", "id"))
    ents = _enterprise_ids({r[2] for r in rows})
    wanted = Counter((ins[r[1]], ents[r[2]], r[3]) for r in rows)
    have = Counter(
        InstructorVisit.objects.filter(instructor_id__in=ins.values()).values_list(
            "instructor_id", "enterprise_id", "visited_on"
        )
    )
    creates = []
    for (i, e, on), n in sorted(wanted.items()):
        extra = n - have.get((i, e, on), 0)
        counts.unchanged += min(n, have.get((i, e, on), 0))
        creates += [
            InstructorVisit(instructor_id=i, enterprise_id=e, visited_on=on, met="", topics=[])
            for _ in range(max(extra, 0))
        ]
    InstructorVisit.objects.bulk_create(creates, batch_size=5000)
    counts.created += len(creates)


def export_visits(scope: ExportScope) -> Iterator[tuple[str, ...]]:
    for ref, code, on in (
        InstructorVisit.objects.filter(enterprise__in=Enterprise.objects.filter(_in_scope(scope)))
        .order_by("enterprise__unit__credit_code", "visited_on", "instructor__ref", "pk")
        .values_list("instructor__ref", "enterprise__unit__credit_code", "visited_on")
    ):
        yield (ref, code, on.isoformat())


register(
    BundleFile(
        ENTERPRISES,
        check_enterprises,
        write_enterprises,
        export_enterprises,
        after=("orgs.csv",),
        models=(Unit, Enterprise),
    ),
    BundleFile(
        EMPLOYEES,
        check_employees,
        write_employees,
        export_employees,
        after=("enterprises.csv", "members.csv"),
    ),
    BundleFile(
        INSTRUCTORS,
        check_instructors,
        write_instructors,
        export_instructors,
        after=("enterprises.csv",),
    ),
    BundleFile(
        ASSIGNMENTS,
        check_assignments,
        write_assignments,
        export_assignments,
        after=("instructors.csv", "enterprises.csv"),
    ),
    BundleFile(
        VISITS,
        check_visits,
        write_visits,
        export_visits,
        after=("assignments.csv",),
        models=(InstructorVisit,),
    ),
)
