"""Import of an interchange bundle: validate everything first, then write all of it or nothing.

Bulk path (design.md 5): organizations get their materialized paths allocated in memory and are
written with bulk_create; members are compared by blind index so a re-import of the same bundle
writes nothing; one audit event records the whole operation (files, hashes, counts).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from dangjian.audit.services import audit_record
from dangjian.core import crypto, idnumber
from dangjian.core.bulk import analyze, fast_insert
from dangjian.members import validation as v
from dangjian.members.constants import MemberEventKind, MemberStatus
from dangjian.members.models import Member, MemberEvent
from dangjian.orgs.constants import (
    ALLOWED_PARENT_KINDS,
    OrgCategory,
    OrgChangeKind,
    OrgKind,
    PostKind,
)
from dangjian.orgs.counters import counters_recount
from dangjian.orgs.models import Organization, OrgChange, Post, Term

from .reader import BundleError, Issue, Table, read_csv
from .schema import (
    FEES,
    LATER,
    MEETINGS,
    MEMBERS,
    ORGS,
    POSTS,
    RECRUITMENT,
    STUDY,
    SUPPORTED,
    TERMS,
    TRANSFERS,
)

CODE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
BATCH = 2000
IMPORT_STATUSES = [MemberStatus.PROBATIONARY, MemberStatus.FULL, MemberStatus.SUSPENDED]


@dataclass
class FileCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportResult:
    counts: dict[str, FileCounts] = field(default_factory=dict)

    def summary(self) -> str:
        parts = []
        for name, c in self.counts.items():
            parts.append(f"{name}：新增{c.created}，更新{c.updated}，未变{c.unchanged}")
        return "；".join(parts)


def member_ids(nos: Any) -> dict[str, int]:
    """Member ids by member number, in chunks of 5,000 numbers (a city's file names 250,000)."""
    wanted = sorted(set(nos))
    out: dict[str, int] = {}
    for i in range(0, len(wanted), 5000):
        out.update(
            Member.objects.filter(member_no__in=wanted[i : i + 5000]).values_list("member_no", "id")
        )
    return out


def read_bundle_dir(directory: str | Path) -> dict[str, Table]:
    """Read every file of a bundle folder; refuse files this version does not support."""
    path = Path(directory)
    if not path.is_dir():
        raise BundleError([Issue(str(directory), None, None, "目录不存在")])
    issues: list[Issue] = []
    tables: dict[str, Table] = {}
    for entry in sorted(path.iterdir()):
        name = entry.name
        if name.startswith("."):
            continue
        if name in LATER:
            issues.append(
                Issue(
                    name,
                    None,
                    None,
                    f"本版本尚不支持导入“{LATER[name]}”数据（{name}），请移除该文件后重试",
                )
            )
            continue
        if name not in SUPPORTED:
            issues.append(Issue(name, None, None, "不是数据包 v1 中的文件，请移除"))
            continue
        try:
            tables[name] = read_csv(entry.read_bytes(), SUPPORTED[name])
        except BundleError as exc:
            issues.extend(exc.issues)
    if not tables and not issues:
        issues.append(
            Issue(
                str(directory),
                None,
                None,
                "目录中没有可导入的文件（orgs.csv、terms.csv、posts.csv、members.csv）",
            )
        )
    if issues:
        raise BundleError(issues)
    return tables


# ---------------------------------------------------------------- validation


@dataclass
class _OrgRow:
    line: int
    code: str
    name: str
    parent_code: str
    kind: str
    category: str
    established_on: date


@dataclass
class _MemberRow:
    line: int
    member_no: str
    name: str
    gender: str
    birth_date: date
    id_number: str
    phone: str
    org_code: str
    status: str
    joined_on: date
    full_on: date | None
    fee_category: str
    fee_base_fen: int


class _Validator:
    def __init__(self, tables: dict[str, Table], scope_paths: list[str] | None = None) -> None:
        self.tables = tables
        self.scope_paths = scope_paths
        self.issues: list[Issue] = []
        # Existing organizations: code -> (id, path, depth, numchild, kind, parent_code, name, category, established_on, is_active)
        self.db_orgs: dict[str, dict[str, Any]] = {}
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
            self.db_orgs[o["code"]] = o
        # Parent and kind of every organization: the database's, overlaid by orgs.csv in check_orgs.
        self.parent_of: dict[str, str] = {c: o["parent_code"] for c, o in self.db_orgs.items()}
        self.kind_of: dict[str, str] = {c: o["kind"] for c, o in self.db_orgs.items()}
        self.file_orgs: dict[str, _OrgRow] = {}
        self.orgs: list[_OrgRow] = []
        self.members: list[_MemberRow] = []
        self.terms: list[tuple[int, str, date, int]] = []
        self.posts: list[tuple[int, str, str, str]] = []
        self.fees: list[Any] = []
        self.meetings: list[Any] = []
        self.recruitment: list[Any] = []
        self.transfers: list[Any] = []
        self.study: list[Any] = []

    def known_members(self, nos: Any) -> set[str]:
        """The numbers among `nos` of members in this bundle's members.csv or already in the database."""
        wanted, in_file = set(nos), {m.member_no for m in self.members}
        return (wanted & in_file) | set(member_ids(wanted - in_file))

    def err(self, file: str, line: int | None, column: str | None, reason: str) -> None:
        self.issues.append(Issue(file, line, column, reason))

    def _date(
        self, file: str, line: int, col: str, value: str, label: str, required: bool = True
    ) -> date | None:
        try:
            return v.parse_date(value, label, required=required)
        except v.FieldError as exc:
            self.err(file, line, col, str(exc))
            return None

    # orgs
    def check_orgs(self) -> None:
        table = self.tables.get(ORGS.name)
        if table is None:
            return
        f = table.label or ORGS.name
        seen: dict[str, int] = {}
        for row, line in zip(table.rows, table.line_numbers, strict=True):
            ok = True
            code = row["code"]
            if not code:
                self.err(f, line, "code", "组织代码不能为空")
                ok = False
            elif not CODE_RE.match(code):
                self.err(f, line, "code", f"组织代码“{code}”只能由字母、数字、-、_、. 组成")
                ok = False
            elif code in seen:
                self.err(f, line, "code", f"组织代码“{code}”与第{seen[code]}行重复")
                ok = False
            else:
                seen[code] = line
            if not row["name"]:
                self.err(f, line, "name", "组织名称不能为空")
                ok = False
            if row["kind"] not in OrgKind.values:
                self.err(
                    f,
                    line,
                    "kind",
                    f"组织类型“{row['kind']}”无效，应为：{', '.join(OrgKind.values)}",
                )
                ok = False
            if row["category"] not in OrgCategory.values:
                self.err(
                    f,
                    line,
                    "category",
                    f"单位类别“{row['category']}”无效，应为：{', '.join(OrgCategory.values)}",
                )
                ok = False
            est = self._date(f, line, "established_on", row["established_on"], "成立日期")
            if row["parent_code"] and row["parent_code"] == code:
                self.err(f, line, "parent_code", "上级组织不能是自己")
                ok = False
            if ok and est is not None:
                self.orgs.append(
                    _OrgRow(
                        line,
                        code,
                        row["name"],
                        row["parent_code"],
                        row["kind"],
                        row["category"],
                        est,
                    )
                )
        file_codes = {o.code: o for o in self.orgs}
        parent_of = {c: o["parent_code"] for c, o in self.db_orgs.items()}
        parent_of.update({o.code: o.parent_code for o in self.orgs})
        kind_of = {c: o["kind"] for c, o in self.db_orgs.items()}
        kind_of.update({o.code: o.kind for o in self.orgs})
        for o in self.orgs:
            if o.parent_code and o.parent_code not in parent_of:
                self.err(
                    f,
                    o.line,
                    "parent_code",
                    f"上级组织“{o.parent_code}”不存在（既不在文件中，也不在系统中）",
                )
                continue
            if o.parent_code:
                pk = kind_of[o.parent_code]
                if pk not in ALLOWED_PARENT_KINDS[o.kind]:
                    self.err(
                        f,
                        o.line,
                        "kind",
                        f"{OrgKind(o.kind).label}不能设在{OrgKind(pk).label}（{o.parent_code}）之下",
                    )
            elif o.kind == OrgKind.GROUP:
                self.err(f, o.line, "parent_code", "党小组必须有上级党支部")
        # cycles
        for o in self.orgs:
            seen_codes = {o.code}
            cur = parent_of.get(o.code, "")
            while cur:
                if cur in seen_codes:
                    self.err(f, o.line, "parent_code", f"上级关系形成循环（{o.code} → … → {cur}）")
                    break
                seen_codes.add(cur)
                cur = parent_of.get(cur, "")
        self.parent_of = parent_of
        self.kind_of = kind_of
        self.file_orgs = file_codes

    def _in_scope(self, code: str) -> bool:
        org = self.db_orgs.get(code)
        return (
            org is not None
            and org["is_active"]
            and any(org["path"].startswith(p) for p in self.scope_paths or [])
        )

    def org_exists(self, code: str) -> bool:
        return code in self.parent_of

    def ancestors_or_self(self, code: str) -> list[str]:
        chain = []
        cur = code
        guard = 0
        parent_of = self.parent_of
        while cur and guard < 100:
            chain.append(cur)
            cur = parent_of.get(cur, "")
            guard += 1
        return chain

    def established(self, code: str) -> date | None:
        if code in self.file_orgs:
            return self.file_orgs[code].established_on
        o = self.db_orgs.get(code)
        return o["established_on"] if o else None

    # members
    def check_members(self) -> None:
        table = self.tables.get(MEMBERS.name)
        if table is None:
            return
        f = table.label or MEMBERS.name
        seen_no: dict[str, int] = {}
        seen_id: dict[str, int] = {}
        kind_of = self.kind_of
        for row, line in zip(table.rows, table.line_numbers, strict=True):
            n_before = len(self.issues)

            def field_check(col: str, fn: Any, *args: Any) -> Any:
                try:
                    return fn(*args)
                except v.FieldError as exc:
                    self.err(f, line, col, str(exc))  # noqa: B023
                    return None

            member_no = field_check("member_no", v.check_member_no, row["member_no"])
            if member_no and member_no in seen_no:
                self.err(
                    f, line, "member_no", f"党员编号“{member_no}”与第{seen_no[member_no]}行重复"
                )
            elif member_no:
                seen_no[member_no] = line
            name = field_check("name", v.check_name, row["name"])
            gender = field_check("gender", v.check_choice, row["gender"], v.GENDERS, "性别")
            birth = self._date(f, line, "birth_date", row["birth_date"], "出生日期")
            id_number = field_check("id_number", v.check_id_number, row["id_number"])
            if id_number:
                if id_number in seen_id:
                    self.err(f, line, "id_number", f"身份证号与第{seen_id[id_number]}行重复")
                else:
                    seen_id[id_number] = line
            phone = field_check("phone", v.check_phone, row["phone"])
            org_code = row["org_code"]
            if not org_code:
                self.err(f, line, "org_code", "所在组织代码不能为空")
            elif org_code not in kind_of:
                self.err(f, line, "org_code", f"组织“{org_code}”不存在")
            elif kind_of[org_code] == OrgKind.GROUP:
                self.err(f, line, "org_code", f"党员应编入党支部，不能直接编入党小组“{org_code}”")
            elif self.scope_paths is not None and not self._in_scope(org_code):
                self.err(f, line, "org_code", f"组织“{org_code}”不在您的管理范围内")
            status = field_check(
                "status", v.check_choice, row["status"], IMPORT_STATUSES, "党籍状态"
            )
            joined = self._date(f, line, "joined_on", row["joined_on"], "入党日期")
            full_on = self._date(f, line, "full_on", row["full_on"], "转正日期", required=False)
            category = field_check(
                "fee_category", v.check_choice, row["fee_category"], v.FEE_CATEGORIES, "党费类别"
            )
            fee = field_check("fee_base", v.parse_money_fen, row["fee_base"], "党费基数")
            if len(self.issues) == n_before and birth is not None and joined is not None:
                for col, reason in v.check_consistency(
                    birth_date=birth,
                    id_number=id_number,
                    gender=gender,
                    joined_on=joined,
                    status=status,
                    full_on=full_on,
                ).items():
                    self.err(f, line, col, reason)
            if len(self.issues) == n_before and birth is not None and joined is not None:
                self.members.append(
                    _MemberRow(
                        line,
                        member_no,
                        name,
                        gender,
                        birth,
                        id_number,
                        phone or "",
                        org_code,
                        status,
                        joined,
                        full_on,
                        category,
                        fee,
                    )
                )
            if len(self.issues) > 500:
                return
        if self.scope_paths is not None and self.members:
            nos = [m.member_no for m in self.members]
            by_no = {m.member_no: m for m in self.members}
            for i in range(0, len(nos), 5000):
                for no, path in Member.objects.filter(member_no__in=nos[i : i + 5000]).values_list(
                    "member_no", "organization__path"
                ):
                    if not any(path.startswith(p) for p in self.scope_paths):
                        self.err(
                            f,
                            by_no[no].line,
                            "member_no",
                            f"党员编号“{no}”已被您管理范围以外的组织使用",
                        )
        # An ID number already on another member's record.
        index_to_line = {crypto.blind_index(m.id_number): m for m in self.members}
        if index_to_line:
            keys = list(index_to_line)
            for i in range(0, len(keys), 5000):
                for no, idx in Member.objects.filter(
                    id_number_index__in=keys[i : i + 5000]
                ).values_list("member_no", "id_number_index"):
                    m = index_to_line[idx]
                    if m.member_no != no:
                        # A roster import names no record outside the importer's scope.
                        owner = f"党员编号“{no}”" if self.scope_paths is None else "另一名党员"
                        self.err(f, m.line, "id_number", f"该身份证号已属于{owner}")

    def check_terms(self) -> None:
        table = self.tables.get(TERMS.name)
        if table is None:
            return
        f = table.label or TERMS.name
        seen: dict[tuple[str, date], int] = {}
        for row, line in zip(table.rows, table.line_numbers, strict=True):
            code = row["org_code"]
            ok = True
            if not self.org_exists(code):
                self.err(f, line, "org_code", f"组织“{code}”不存在")
                ok = False
            elected = self._date(f, line, "elected_on", row["elected_on"], "选举日期")
            try:
                years = int(row["term_years"])
                if not 1 <= years <= 10:
                    raise ValueError
            except ValueError:
                self.err(f, line, "term_years", f"任期年数“{row['term_years']}”应为1到10之间的整数")
                ok = False
                years = 0
            if elected is None:
                continue
            if ok:
                est = self.established(code)
                if est and elected < est:
                    self.err(
                        f, line, "elected_on", f"选举日期早于组织成立日期（{est.isoformat()}）"
                    )
                    ok = False
                if (code, elected) in seen:
                    self.err(f, line, "elected_on", f"与第{seen[(code, elected)]}行重复")
                    ok = False
                seen[(code, elected)] = line
            if ok:
                self.terms.append((line, code, elected, years))

    def check_posts(self) -> None:
        table = self.tables.get(POSTS.name)
        if table is None:
            return
        f = table.label or POSTS.name
        file_members = {m.member_no: m for m in self.members}
        wanted = [r["member_no"] for r in table.rows if r["member_no"] not in file_members]
        db_members: dict[str, tuple[str, str]] = {}
        for i in range(0, len(wanted), 5000):
            for no, code, status in Member.objects.filter(
                member_no__in=wanted[i : i + 5000]
            ).values_list("member_no", "organization__code", "status"):
                db_members[no] = (code, status)
        seen: dict[tuple[str, str, str], int] = {}
        secretaries: dict[str, int] = {}
        for row, line in zip(table.rows, table.line_numbers, strict=True):
            code, no, post = row["org_code"], row["member_no"], row["post"]
            ok = True
            if not self.org_exists(code):
                self.err(f, line, "org_code", f"组织“{code}”不存在")
                ok = False
            if post not in PostKind.values:
                self.err(f, line, "post", f"职务“{post}”无效，应为：{', '.join(PostKind.values)}")
                ok = False
            if no in file_members:
                m_org, m_status = file_members[no].org_code, file_members[no].status
            elif no in db_members:
                m_org, m_status = db_members[no]
            else:
                self.err(f, line, "member_no", f"党员“{no}”不存在")
                continue
            if not ok:
                continue
            kind_of = self.kind_of
            if post == PostKind.GROUP_LEADER and kind_of.get(code) != OrgKind.GROUP:
                self.err(f, line, "post", "党小组长只能在党小组任命")
                continue
            related = code in self.ancestors_or_self(m_org) or (
                kind_of.get(code) == OrgKind.GROUP and self.ancestors_or_self(code)[1:2] == [m_org]
            )
            if not related:
                self.err(f, line, "member_no", f"党员“{no}”不属于组织“{code}”或其下级组织")
                continue
            if m_status not in (MemberStatus.FULL, MemberStatus.PROBATIONARY):
                self.err(f, line, "member_no", "只有正式党员或预备党员可以任职")
                continue
            if (
                post in (PostKind.SECRETARY, PostKind.DEPUTY_SECRETARY)
                and m_status != MemberStatus.FULL
            ):
                self.err(f, line, "member_no", "预备党员不能担任书记、副书记")
                continue
            key = (code, no, post)
            if key in seen:
                self.err(f, line, None, f"与第{seen[key]}行重复")
                continue
            seen[key] = line
            if post == PostKind.SECRETARY:
                if code in secretaries:
                    self.err(
                        f, line, "post", f"组织“{code}”有两名书记（另见第{secretaries[code]}行）"
                    )
                    continue
                secretaries[code] = line
            self.posts.append((line, code, no, post))


def validate(tables: dict[str, Table], scope_paths: list[str] | None = None) -> _Validator:
    val = _Validator(tables, scope_paths)
    val.check_orgs()
    val.check_members()
    val.check_terms()
    val.check_posts()
    if FEES.name in tables:
        from dangjian.fees.interchange import check_fees

        val.fees = check_fees(val, tables[FEES.name], FEES.name)
    if MEETINGS.name in tables:
        from dangjian.meetings.interchange import check_meetings

        val.meetings = check_meetings(val, tables[MEETINGS.name], MEETINGS.name)
    if RECRUITMENT.name in tables:
        from dangjian.recruitment.interchange import check_recruitment

        val.recruitment = check_recruitment(val, tables[RECRUITMENT.name], RECRUITMENT.name)
    if TRANSFERS.name in tables:
        from dangjian.transfers.interchange import check_transfers

        val.transfers = check_transfers(val, tables[TRANSFERS.name], TRANSFERS.name)
    if STUDY.name in tables:
        from dangjian.learning.interchange import check_study

        val.study = check_study(val, tables[STUDY.name], STUDY.name)
    if val.issues:
        raise BundleError(val.issues)
    return val


# ---------------------------------------------------------------- writing


def _write_orgs(val: _Validator, actor: Any, counts: FileCounts) -> dict[str, int]:
    """Create, update and move organizations; returns code -> id for every organization."""
    steplen = Organization.steplen
    db = val.db_orgs
    today = timezone.localdate()
    # order file rows parents-first
    order: list[_OrgRow] = []
    placed: set[str] = set()
    pending = list(val.orgs)
    file_codes = {o.code for o in val.orgs}
    while pending:
        rest = []
        for o in pending:
            if not o.parent_code or o.parent_code not in file_codes or o.parent_code in placed:
                order.append(o)
                placed.add(o.code)
            else:
                rest.append(o)
        if len(rest) == len(pending):  # cannot happen after cycle check
            raise BundleError([Issue(ORGS.name, rest[0].line, "parent_code", "上级关系形成循环")])
        pending = rest

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
            updates, ["name", "kind", "category", "established_on"], batch_size=BATCH
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
        next_step: dict[str, int] = defaultdict(int)  # parent code ("" = roots) -> last used step
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
                    kind=o.kind,
                    category=o.category,
                    established_on=o.established_on,
                    path=path,
                    depth=depth[o.code],
                    numchild=0,
                )
            )
        for o in objs:
            o.numchild = added_children.get(o.code, 0)
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
    return dict(Organization.objects.values_list("code", "id"))


def _member_index(m: _MemberRow) -> tuple[str, str]:
    return crypto.blind_index(m.id_number), crypto.blind_index(m.phone) if m.phone else ""


def _write_members(
    val: _Validator, org_ids: dict[str, int], actor: Any, counts: FileCounts
) -> None:
    today = timezone.localdate()
    rows = val.members
    existing: dict[str, dict[str, Any]] = {}
    nos = [m.member_no for m in rows]
    fields = (
        "id",
        "member_no",
        "name",
        "gender",
        "birth_date",
        "id_number_index",
        "phone_index",
        "organization_id",
        "status",
        "joined_on",
        "full_on",
        "fee_category",
        "fee_base_fen",
    )
    for i in range(0, len(nos), 5000):
        for r in Member.objects.filter(member_no__in=nos[i : i + 5000]).values(*fields):
            existing[r["member_no"]] = r
    creates: list[Member] = []
    updates: list[Member] = []
    events: list[MemberEvent] = []
    update_fields: set[str] = set()
    now = timezone.now()
    for m in rows:
        id_index, phone_index = _member_index(m)
        org_id = org_ids[m.org_code]
        cur = existing.get(m.member_no)
        if cur is None:
            creates.append(
                Member(
                    member_no=m.member_no,
                    name=m.name,
                    gender=m.gender,
                    birth_date=m.birth_date,
                    id_number_encrypted=crypto.encrypt(m.id_number),
                    id_number_index=id_index,
                    id_number_masked=idnumber.mask(m.id_number),
                    phone_encrypted=crypto.encrypt(m.phone),
                    phone_index=phone_index,
                    phone_masked=idnumber.mask_phone(m.phone) if m.phone else "",
                    organization_id=org_id,
                    status=m.status,
                    joined_on=m.joined_on,
                    full_on=m.full_on,
                    fee_category=m.fee_category,
                    fee_base_fen=m.fee_base_fen,
                    occupation="retired"
                    if m.fee_category == "retired"
                    else (
                        "student"
                        if m.fee_category == "student"
                        else ("farmer" if m.fee_category == "farmer" else "")
                    ),
                )
            )
            continue
        new = {
            "name": m.name,
            "gender": m.gender,
            "birth_date": m.birth_date,
            "id_number_index": id_index,
            "phone_index": phone_index,
            "organization_id": org_id,
            "status": m.status,
            "joined_on": m.joined_on,
            "full_on": m.full_on,
            "fee_category": m.fee_category,
            "fee_base_fen": m.fee_base_fen,
        }
        changed = {k: val_ for k, val_ in new.items() if cur[k] != val_}
        if not changed:
            counts.unchanged += 1
            continue
        obj = Member(id=cur["id"], updated_at=now, **new)
        if "id_number_index" in changed:
            obj.id_number_encrypted = crypto.encrypt(m.id_number)
            obj.id_number_masked = idnumber.mask(m.id_number)
            changed["id_number_encrypted"] = changed["id_number_masked"] = True
        if "phone_index" in changed:
            obj.phone_encrypted = crypto.encrypt(m.phone)
            obj.phone_masked = idnumber.mask_phone(m.phone) if m.phone else ""
            changed["phone_encrypted"] = changed["phone_masked"] = True
        updates.append(obj)
        update_fields.update(changed)
        update_fields.add("updated_at")
        shown = {
            k: [str(cur[k]), str(new[k])]
            for k in changed
            if k in new and k not in ("id_number_index", "phone_index")
        }
        if "id_number_index" in changed:
            shown["id_number"] = ["（已变更）", idnumber.mask(m.id_number)]
        if "phone_index" in changed:
            shown["phone"] = ["（已变更）", idnumber.mask_phone(m.phone) if m.phone else ""]
        kind = (
            MemberEventKind.MOVED
            if "organization_id" in changed
            else (MemberEventKind.STATUS if "status" in changed else MemberEventKind.EDITED)
        )
        events.append(
            MemberEvent(
                member_id=cur["id"],
                organization_id=org_id,
                kind=kind,
                on=today,
                from_status=cur["status"] if "status" in changed else "",
                to_status=m.status if "status" in changed else "",
                reason="数据包导入",
                data=shown,
                actor=actor,
            )
        )
    member_fields = [
        "member_no",
        "name",
        "gender",
        "birth_date",
        "id_number_encrypted",
        "id_number_index",
        "id_number_masked",
        "phone_encrypted",
        "phone_index",
        "phone_masked",
        "organization_id",
        "status",
        "joined_on",
        "full_on",
        "left_on",
        "fee_category",
        "fee_base_fen",
        "ethnicity",
        "education",
        "occupation",
        "work_unit",
        "created_at",
        "updated_at",
    ]
    fast_insert(
        Member,
        member_fields,
        (
            [getattr(c, f) if f not in ("created_at", "updated_at") else now for f in member_fields]
            for c in creates
        ),
    )
    counts.created += len(creates)
    if updates:
        Member.objects.bulk_update(updates, sorted(update_fields), batch_size=BATCH)
        counts.updated += len(updates)
    event_fields = [
        "member_id",
        "organization_id",
        "kind",
        "on",
        "from_status",
        "to_status",
        "reason",
        "data",
        "actor_id",
        "created_at",
    ]
    event_rows: list[list[Any]] = [
        [
            e.member_id,
            e.organization_id,
            e.kind,
            e.on,
            e.from_status,
            e.to_status,
            e.reason,
            e.data,
            e.actor_id,
            now,
        ]
        for e in events
    ]
    if creates:
        new_ids: dict[str, int] = {}
        created_nos = [c.member_no for c in creates]
        for i in range(0, len(created_nos), 5000):
            new_ids.update(
                Member.objects.filter(member_no__in=created_nos[i : i + 5000]).values_list(
                    "member_no", "id"
                )
            )
        actor_id = actor.pk if actor is not None else None
        event_rows.extend(
            [
                new_ids[c.member_no],
                c.organization_id,
                MemberEventKind.JOINED,
                c.joined_on,
                "",
                c.status,
                "数据包导入",
                {},
                actor_id,
                now,
            ]
            for c in creates
        )
    fast_insert(MemberEvent, event_fields, event_rows)


def _write_terms(val: _Validator, org_ids: dict[str, int], counts: FileCounts) -> None:
    existing = {
        (oid, d): (pk, y)
        for pk, oid, d, y in Term.objects.values_list(
            "id", "organization_id", "elected_on", "term_years"
        )
    }
    creates, updates = [], []
    for _line, code, elected, years in val.terms:
        key = (org_ids[code], elected)
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


def _write_posts(val: _Validator, org_ids: dict[str, int], counts: FileCounts) -> None:
    today = timezone.localdate()
    ids = member_ids(p[2] for p in val.posts)
    current = {
        (oid, mid, post): pk
        for pk, oid, mid, post in Post.objects.filter(ended_on__isnull=True).values_list(
            "id", "organization_id", "member_id", "post"
        )
    }
    current_secretary = {
        oid: (pk, mid) for (oid, mid, post), pk in current.items() if post == PostKind.SECRETARY
    }
    creates: list[Post] = []
    ended: list[int] = []
    for _line, code, no, post in val.posts:
        key = (org_ids[code], ids[no], post)
        if key in current:
            counts.unchanged += 1
            continue
        if post == PostKind.SECRETARY and key[0] in current_secretary:
            ended.append(current_secretary[key[0]][0])  # the bundle names a new secretary
        creates.append(Post(organization_id=key[0], member_id=key[1], post=post))
    if ended:
        Post.objects.filter(pk__in=ended).update(ended_on=today)
    Post.objects.bulk_create(creates, batch_size=BATCH)
    counts.created += len(creates)


def import_tables(
    tables: dict[str, Table],
    *,
    actor: Any = None,
    source: str = "bundle",
    scope_paths: list[str] | None = None,
) -> ImportResult:
    """Validate all files, then write all of them in one transaction (or nothing).

    `scope_paths` (web roster import) limits the rows to the importing user's subtrees.
    """
    with transaction.atomic(durable=True):
        val = validate(tables, scope_paths)
        result = ImportResult()
        for name in (
            ORGS.name,
            MEMBERS.name,
            TERMS.name,
            POSTS.name,
            FEES.name,
            MEETINGS.name,
            RECRUITMENT.name,
            TRANSFERS.name,
            STUDY.name,
        ):
            if name in tables:
                result.counts[name] = FileCounts()
        org_ids = (
            _write_orgs(val, actor, result.counts.get(ORGS.name, FileCounts()))
            if ORGS.name in tables
            else dict(Organization.objects.values_list("code", "id"))
        )
        if MEMBERS.name in tables:
            _write_members(val, org_ids, actor, result.counts[MEMBERS.name])
        if TERMS.name in tables:
            _write_terms(val, org_ids, result.counts[TERMS.name])
        if POSTS.name in tables:
            _write_posts(val, org_ids, result.counts[POSTS.name])
        if FEES.name in tables:
            from dangjian.fees.interchange import write_fees

            write_fees(val.fees, result.counts[FEES.name])
        if MEETINGS.name in tables:
            from dangjian.meetings.interchange import write_meetings

            write_meetings(val.meetings, org_ids, result.counts[MEETINGS.name])
        if RECRUITMENT.name in tables:
            from dangjian.recruitment.interchange import write_recruitment

            write_recruitment(val.recruitment, org_ids, result.counts[RECRUITMENT.name])
        if TRANSFERS.name in tables:
            from dangjian.transfers.interchange import write_transfers

            write_transfers(val.transfers, org_ids, result.counts[TRANSFERS.name])
        if STUDY.name in tables:
            from dangjian.learning.interchange import write_study

            write_study(val.study, result.counts[STUDY.name])
        members = result.counts.get(MEMBERS.name)
        if members is not None and (members.created or members.updated):
            counters_recount()
        created = sum(c.created for c in result.counts.values())
        if created >= 10000:
            from dangjian.fees.models import FeeMonth, FeeRollup
            from dangjian.learning.models import StudyYear
            from dangjian.meetings.models import Meeting
            from dangjian.recruitment.models import Candidate
            from dangjian.transfers.models import Transfer

            analyze(
                [
                    Organization,
                    Member,
                    MemberEvent,
                    Term,
                    Post,
                    FeeMonth,
                    FeeRollup,
                    Meeting,
                    Candidate,
                    Transfer,
                    StudyYear,
                ]
            )
        audit_record(
            actor=actor,
            action="members.import" if source.startswith("roster:") else "interchange.import",
            object_type="interchange.bundle",
            object_repr=source,
            data={
                "files": {n: {"sha256": t.sha256, "rows": len(t.rows)} for n, t in tables.items()},
                "counts": {n: vars(c) for n, c in result.counts.items()},
            },
        )
    return result


def import_bundle_dir(directory: str | Path, *, actor: Any = None) -> ImportResult:
    return import_tables(
        read_bundle_dir(directory), actor=actor, source=f"bundle:{Path(directory).name}"
    )
