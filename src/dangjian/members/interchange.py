"""members.csv in the interchange bundle (design.md §8), also the web's roster upload.

Members are compared with the stored rows by blind index, so a re-import of the same file writes
nothing; new members are inserted in bulk, changed ones updated, each change with its history row.
A web upload (`scope_paths` set) names no record outside the uploader's subtrees.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from django.db.models import Field
from django.utils import timezone

from dangjian.core import crypto, idnumber, pinyin
from dangjian.core.bulk import fast_insert
from dangjian.core.bundle import (
    BundleContext,
    BundleFile,
    ExportScope,
    FileCounts,
    FileSpec,
    Table,
    Upload,
    register,
)
from dangjian.core.errors import FieldError
from dangjian.core.lookups import batches
from dangjian.orgs.constants import OrgKind
from dangjian.orgs.counters import counters_recount_touched
from dangjian.orgs.interchange import org_ids, org_index

from . import validation as v
from .constants import ON_ROLL_STATUSES, MemberEventKind, MemberStatus
from .models import Member, MemberEvent
from .selectors import member_ids
from .signals import members_added

BATCH = 2000
IMPORT_STATUSES = [MemberStatus.PROBATIONARY, MemberStatus.FULL, MemberStatus.SUSPENDED]

MEMBERS = FileSpec(
    "members.csv",
    "党员",
    (
        "member_no",
        "name",
        "gender",
        "birth_date",
        "id_number",
        "phone",
        "org_code",
        "status",
        "joined_on",
        "full_on",
        "fee_category",
        "fee_base",
    ),
    {
        "member_no": 32,
        "name": 50,
        "gender": 2,
        "birth_date": 10,
        "id_number": 18,
        "phone": 11,
        "org_code": 32,
        "status": 20,
        "joined_on": 10,
        "full_on": 10,
        "fee_category": 20,
        "fee_base": 15,
    },
    {
        "member_no": "党员编号",
        "name": "姓名",
        "gender": "性别",
        "birth_date": "出生日期",
        "id_number": "身份证号",
        "phone": "手机号",
        "org_code": "组织代码",
        "status": "党籍状态",
        "joined_on": "入党日期",
        "full_on": "转正日期",
        "fee_category": "党费类别",
        "fee_base": "党费基数",
    },
)

ROSTER_UPLOAD = Upload(
    kind="members",
    title="花名册导入",
    unit="人",
    steps=(
        "每行一名党员，所在组织填党支部的组织代码，只能是您管理范围内的组织。",
        "上传 .xlsx 或 UTF-8 编码的 .csv 文件（不超过20MB，不能含公式或宏）。",
    ),
    rules={
        "member_no": "必填，字母数字，全市唯一",
        "name": "必填，不超过50字",
        "gender": "男 或 女，须与身份证号一致",
        "birth_date": "YYYY-MM-DD，须与身份证号一致",
        "id_number": "18位，校验位正确",
        "phone": "11位手机号，可空",
        "org_code": "所在党支部的组织代码",
        "status": "probationary（预备）、full（正式）或 suspended（停止党籍）",
        "joined_on": "入党日期 YYYY-MM-DD",
        "full_on": "转正日期 YYYY-MM-DD，预备党员留空",
        "fee_category": (
            "employed 在职、retired 离退休、farmer 农民、student 学生、unemployed 下岗失业、other "
            "其他"
        ),
        "fee_base": "党费计算基数（元），两位小数",
    },
    example=(
        "M0001",
        "张三",
        "男",
        "1990-03-07",
        "350203199003070015",
        "13800000000",
        "（组织代码）",
        "full",
        "2015-06-01",
        "2016-06-01",
        "employed",
        "6000.00",
    ),
    sheet="花名册",
    audit_action="members.import",
    file_label="花名册文件（.xlsx 或 .csv，UTF-8）",
)


@dataclass
class MemberRow:
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


def file_members(ctx: BundleContext) -> dict[str, MemberRow]:
    """The members of this bundle's members.csv (checked before any file that names members)."""
    return {m.member_no: m for m in ctx.rows.get(MEMBERS.name, [])}


def known_members(ctx: BundleContext, nos: Iterable[str]) -> set[str]:
    """The numbers among `nos` of members in this bundle's members.csv or in the database."""
    wanted, in_file = set(nos), set(file_members(ctx))
    return (wanted & in_file) | set(member_ids(wanted - in_file))


def check_members(ctx: BundleContext, table: Table) -> list[MemberRow]:
    f = table.label or MEMBERS.name
    kind_of = org_index(ctx).kind_of
    rows: list[MemberRow] = []
    seen_no: dict[str, int] = {}
    seen_id: dict[str, int] = {}
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        n_before = len(ctx.issues)

        def field_check(col: str, fn: Any, *args: Any) -> Any:
            try:
                return fn(*args)
            except FieldError as exc:
                ctx.err(f, line, col, str(exc))  # noqa: B023
                return None

        member_no = field_check("member_no", v.check_member_no, row["member_no"])
        if member_no and member_no in seen_no:
            ctx.err(f, line, "member_no", f"党员编号“{member_no}”与第{seen_no[member_no]}行重复")
        elif member_no:
            seen_no[member_no] = line
        name = field_check("name", v.check_name, row["name"])
        gender = field_check("gender", v.check_choice, row["gender"], v.GENDERS, "性别")
        birth = ctx.date(f, line, "birth_date", row["birth_date"], "出生日期")
        id_number = field_check("id_number", v.check_id_number, row["id_number"])
        if id_number:
            if id_number in seen_id:
                ctx.err(f, line, "id_number", f"身份证号与第{seen_id[id_number]}行重复")
            else:
                seen_id[id_number] = line
        phone = field_check("phone", v.check_phone, row["phone"])
        org_code = row["org_code"]
        if not org_code:
            ctx.err(f, line, "org_code", "所在组织代码不能为空")
        elif org_code not in kind_of:
            ctx.err(f, line, "org_code", f"组织“{org_code}”不存在")
        elif kind_of[org_code] == OrgKind.GROUP:
            ctx.err(f, line, "org_code", f"党员应编入党支部，不能直接编入党小组“{org_code}”")
        elif ctx.scope_paths is not None and not org_index(ctx).in_scope(org_code, ctx.scope_paths):
            ctx.err(f, line, "org_code", f"组织“{org_code}”不在您的管理范围内")
        status = field_check("status", v.check_choice, row["status"], IMPORT_STATUSES, "党籍状态")
        joined = ctx.date(f, line, "joined_on", row["joined_on"], "入党日期")
        full_on = ctx.date(f, line, "full_on", row["full_on"], "转正日期", required=False)
        category = field_check(
            "fee_category", v.check_choice, row["fee_category"], v.FEE_CATEGORIES, "党费类别"
        )
        fee = field_check("fee_base", v.parse_money_fen, row["fee_base"], "党费基数")
        if len(ctx.issues) == n_before and birth is not None and joined is not None:
            for col, reason in v.check_consistency(
                birth_date=birth,
                id_number=id_number,
                gender=gender,
                joined_on=joined,
                status=status,
                full_on=full_on,
            ).items():
                ctx.err(f, line, col, reason)
        if len(ctx.issues) == n_before and birth is not None and joined is not None:
            rows.append(
                MemberRow(
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
        if len(ctx.issues) > 500:
            return rows
    if ctx.scope_paths is not None and rows:
        nos = [m.member_no for m in rows]
        by_no = {m.member_no: m for m in rows}
        for batch in batches(nos):
            for no, path in Member.objects.filter(member_no__any=batch).values_list(
                "member_no", "organization__path"
            ):
                if not any(path.startswith(p) for p in ctx.scope_paths):
                    ctx.err(
                        f,
                        by_no[no].line,
                        "member_no",
                        f"党员编号“{no}”已被您管理范围以外的组织使用",
                    )
    # An ID number already on another member's record.
    index_to_line = {crypto.blind_index(m.id_number): m for m in rows}
    if index_to_line:
        keys = list(index_to_line)
        for batch in batches(keys):
            for no, idx in Member.objects.filter(id_number_index__any=batch).values_list(
                "member_no", "id_number_index"
            ):
                m = index_to_line[idx]
                if m.member_no != no:
                    # A roster upload names no record outside the uploader's scope.
                    owner = f"党员编号“{no}”" if ctx.scope_paths is None else "另一名党员"
                    ctx.err(f, m.line, "id_number", f"该身份证号已属于{owner}")
    return rows


def _member_index(m: MemberRow) -> tuple[str, str]:
    return crypto.blind_index(m.id_number), crypto.blind_index(m.phone) if m.phone else ""


def _occupation(fee_category: str) -> str:
    return fee_category if fee_category in ("retired", "student", "farmer") else ""


# a member event's columns as the bulk paths write them (fast_insert)
EVENT_FIELDS = (
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
)


def write_members(ctx: BundleContext, rows: list[MemberRow], counts: FileCounts) -> None:
    actor = ctx.actor
    oids = org_ids(ctx)
    today = timezone.localdate()
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
    for batch in batches(nos):
        for r in Member.objects.filter(member_no__any=batch).values(*fields):
            existing[r["member_no"]] = r
    creates: list[dict[str, Any]] = []  # the new members' values (not model instances: 43,000
    # of them in a district's bundle, where building each instance took a tenth of the write)
    updates: list[Member] = []
    events: list[MemberEvent] = []
    update_fields: set[str] = set()
    touched: set[int] = set()  # organizations whose counters move
    now = timezone.now()
    for m in rows:
        id_index, phone_index = _member_index(m)
        org_id = oids[m.org_code]
        cur = existing.get(m.member_no)
        if cur is None:
            creates.append(
                {
                    "member_no": m.member_no,
                    "name": m.name,
                    "initials": pinyin.initials(m.name),
                    "gender": m.gender,
                    "birth_date": m.birth_date,
                    "id_number_encrypted": crypto.encrypt(m.id_number),
                    "id_number_index": id_index,
                    "id_number_masked": idnumber.mask(m.id_number),
                    "phone_encrypted": crypto.encrypt(m.phone),
                    "phone_index": phone_index,
                    "phone_masked": idnumber.mask_phone(m.phone) if m.phone else "",
                    "organization_id": org_id,
                    "status": m.status,
                    "joined_on": m.joined_on,
                    "full_on": m.full_on,
                    "fee_category": m.fee_category,
                    "fee_base_fen": m.fee_base_fen,
                    "occupation": _occupation(m.fee_category),
                    "created_at": now,
                    "updated_at": now,
                }
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
        if "name" in changed:
            obj.initials = pinyin.initials(m.name)
            changed["initials"] = True
        if "id_number_index" in changed:
            obj.id_number_encrypted = crypto.encrypt(m.id_number)
            obj.id_number_masked = idnumber.mask(m.id_number)
            changed["id_number_encrypted"] = changed["id_number_masked"] = True
        if "phone_index" in changed:
            obj.phone_encrypted = crypto.encrypt(m.phone)
            obj.phone_masked = idnumber.mask_phone(m.phone) if m.phone else ""
            changed["phone_encrypted"] = changed["phone_masked"] = True
        updates.append(obj)
        touched.update((cur["organization_id"], org_id))
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
        "initials",
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
    # what a bundle does not bring takes the model's default
    defaults = {f: cast(Field, Member._meta.get_field(f)).get_default() for f in member_fields}
    fast_insert(
        Member,
        member_fields,
        ([c.get(f, defaults[f]) for f in member_fields] for c in creates),
    )
    counts.created += len(creates)
    if updates:
        Member.objects.bulk_update(updates, sorted(update_fields), batch_size=BATCH)
        counts.updated += len(updates)
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
        new_ids = member_ids(c["member_no"] for c in creates)
        ctx.shared["members.first_new_id"] = min(new_ids.values())
        actor_id = actor.pk if actor is not None else None
        event_rows.extend(
            [
                new_ids[c["member_no"]],
                c["organization_id"],
                MemberEventKind.JOINED,
                c["joined_on"],
                "",
                c["status"],
                "数据包导入",
                {},
                actor_id,
                now,
            ]
            for c in creates
        )
    fast_insert(MemberEvent, EVENT_FIELDS, event_rows)
    if creates or updates:
        counters_recount_touched(touched | {c["organization_id"] for c in creates})


def finish_members(ctx: BundleContext) -> None:
    """Once every file is written: the apps above follow the members put on the roll (fees opens
    the months they owe that fees.csv did not bring)."""
    first = ctx.shared.get("members.first_new_id")
    if first is not None:
        members_added.send(sender=Member, first_id=first, today=ctx.as_of, defer=ctx.at_end)


def export_members(scope: ExportScope) -> Iterator[tuple[str, ...]]:
    """In full, personal data included: a bundle is a system-to-system transfer made by the CLI
    operator (audited), never offered to staff through the web."""
    members = (
        Member.objects.filter(status__in=ON_ROLL_STATUSES)
        if scope.whole
        else Member.objects.filter(organization_id__in=scope.org_ids, status__in=ON_ROLL_STATUSES)
    )
    rows = members.order_by("member_no").values_list(
        "member_no",
        "name",
        "gender",
        "birth_date",
        "id_number_encrypted",
        "phone_encrypted",
        "organization__code",
        "status",
        "joined_on",
        "full_on",
        "fee_category",
        "fee_base_fen",
    )
    for no, name, gender, birth, idn, phone, code, status, joined, full, cat, fee in rows.iterator(
        chunk_size=5000
    ):
        yield (
            no,
            name,
            gender,
            birth.isoformat(),
            crypto.decrypt(idn),
            crypto.decrypt(phone),
            code,
            status,
            joined.isoformat(),
            full.isoformat() if full else "",
            cat,
            v.fen_to_yuan(fee),
        )


register(
    BundleFile(
        MEMBERS,
        check_members,
        write_members,
        export_members,
        after=("orgs.csv",),
        export_empty=True,
        models=(Member, MemberEvent),
        upload=ROSTER_UPLOAD,
        finish=finish_members,
    )
)
