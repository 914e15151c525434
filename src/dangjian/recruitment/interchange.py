"""recruitment.csv in the interchange bundle: one row per person (person_no) with the dates of the
main steps. Validated with the rest of the bundle (all or nothing); upserted by person_no; rows that
reached approval link to the member with the same number. Irregular intervals are accepted (the
DEV rules report them); impossible records are refused: a step before the application, an approval
or conversion before the admission meeting, an applicant not yet born, a date in the future."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

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
from dangjian.members import validation as v
from dangjian.members.models import Member
from dangjian.orgs.interchange import org_ids, org_index

from .models import Candidate
from .versions import default_version

DATES = (
    "applied_on",
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
LABELS = {
    "applied_on": "递交申请日期",
    "talked_on": "谈话日期",
    "activist_on": "确定积极分子日期",
    "target_on": "确定发展对象日期",
    "reviewed_on": "政治审查日期",
    "trained_on": "集中培训日期",
    "publicized_on": "公示日期",
    "admitted_on": "支部大会接收日期",
    "approved_on": "上级审批日期",
    "oath_on": "入党宣誓日期",
    "full_on": "转正日期",
}


_STEP_COLUMNS = (
    "applied_on",
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
RECRUITMENT = FileSpec(
    "recruitment.csv",
    "发展党员",
    ("person_no", "name", "gender", "birth_date", "org_code", *_STEP_COLUMNS),
    {
        "person_no": 32,
        "name": 50,
        "gender": 2,
        "birth_date": 10,
        "org_code": 32,
        **dict.fromkeys(_STEP_COLUMNS, 10),
    },
    {
        "person_no": "人员编号",
        "name": "姓名",
        "gender": "性别",
        "birth_date": "出生日期",
        "org_code": "组织代码",
        "applied_on": "递交申请日期",
        "talked_on": "谈话日期",
        "activist_on": "确定积极分子日期",
        "target_on": "确定发展对象日期",
        "reviewed_on": "政治审查日期",
        "trained_on": "集中培训日期",
        "publicized_on": "公示日期",
        "admitted_on": "支部大会接收日期",
        "approved_on": "上级审批日期",
        "oath_on": "入党宣誓日期",
        "full_on": "转正日期",
    },
)


@dataclass
class CandidateRow:
    line: int
    person_no: str
    name: str
    gender: str
    birth_date: date
    org_code: str
    dates: dict[str, date | None]


def check_recruitment(ctx: BundleContext, table: Table) -> list[CandidateRow]:
    f = table.label or RECRUITMENT.name
    orgs = org_index(ctx)
    today = timezone.localdate()
    out: list[CandidateRow] = []
    seen: dict[str, int] = {}
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        ok = True
        try:
            no = v.check_member_no(row["person_no"])
        except v.FieldError as exc:
            ctx.err(f, line, "person_no", str(exc))
            ok, no = False, row["person_no"]
        if no in seen:
            ctx.err(f, line, "person_no", f"与第{seen[no]}行重复")
            ok = False
        seen.setdefault(no, line)
        try:
            name = v.check_name(row["name"])
        except v.FieldError as exc:
            ctx.err(f, line, "name", str(exc))
            ok, name = False, ""
        gender = row["gender"].strip()
        if gender not in ("男", "女"):
            ctx.err(f, line, "gender", f"性别“{gender}”应为男或女")
            ok = False
        born = ctx.date(f, line, "birth_date", row["birth_date"], "出生日期")
        code = row["org_code"].strip()
        if not orgs.exists(code):
            ctx.err(f, line, "org_code", f"组织“{code}”不存在")
            ok = False
        dates: dict[str, date | None] = {}
        for col in DATES:
            d = ctx.date(f, line, col, row[col], LABELS[col], required=col == "applied_on")
            if row[col].strip() and d is None or col == "applied_on" and d is None:
                ok = False
            elif d is not None and d > today:
                ctx.err(f, line, col, f"{LABELS[col]}不能晚于今天")
                ok = False
                d = None
            dates[col] = d
        applied = dates["applied_on"]
        if born is None:
            ok = False
        elif applied is not None and born >= applied:
            ctx.err(f, line, "birth_date", "出生日期应早于递交申请日期")
            ok = False
        if applied is not None:
            for col in DATES[1:]:
                if dates[col] is not None and dates[col] < applied:  # type: ignore[operator]
                    ctx.err(f, line, col, f"{LABELS[col]}早于递交申请日期")
                    ok = False
        admitted = dates["admitted_on"]
        for col in ("approved_on", "oath_on", "full_on"):
            if dates[col] is not None and (admitted is None or dates[col] < admitted):  # type: ignore[operator]
                ctx.err(
                    f,
                    line,
                    col,
                    f"{LABELS[col]}须在支部大会接收之后（接收日期"
                    f"{'为空' if admitted is None else '为' + admitted.isoformat()}）",
                )
                ok = False
        if ok and born is not None:
            out.append(CandidateRow(line, no, name, gender, born, code, dates))
    return out


def write_recruitment(ctx: BundleContext, rows: list[CandidateRow], counts: FileCounts) -> None:
    ids_by_code = org_ids(ctx)
    if not rows:
        return
    existing = {
        c.person_no: c for c in Candidate.objects.filter(person_no__in=[r.person_no for r in rows])
    }
    members = dict(
        Member.objects.filter(
            member_no__in=[r.person_no for r in rows if r.dates["approved_on"]]
        ).values_list("member_no", "id")
    )
    version = default_version()
    creates, updates = [], []
    fields = ["name", "gender", "birth_date", "organization_id", *DATES, "member_id"]
    for r in rows:
        values: dict[str, Any] = {
            "name": r.name,
            "gender": r.gender,
            "birth_date": r.birth_date,
            "organization_id": ids_by_code[r.org_code],
            **r.dates,
            "member_id": members.get(r.person_no) if r.dates["approved_on"] else None,
        }
        c = existing.get(r.person_no)
        if c is None:
            creates.append(
                Candidate(person_no=r.person_no, rule_version=version, source="import", **values)
            )
        elif any(getattr(c, k) != val for k, val in values.items()):
            for k, val in values.items():
                setattr(c, k, val)
            updates.append(c)
        else:
            counts.unchanged += 1
    Candidate.objects.bulk_create(creates, batch_size=2000)
    Candidate.objects.bulk_update(updates, fields, batch_size=2000)
    counts.created += len(creates)
    counts.updated += len(updates)


def export_recruitment(scope: ExportScope) -> Iterator[tuple[str, ...]]:
    org_ids = scope.org_ids
    qs = (
        Candidate.objects.all()
        if org_ids is None
        else Candidate.objects.filter(organization_id__in=org_ids)
    )
    for r in (
        qs.order_by("person_no")
        .values("person_no", "name", "gender", "birth_date", "organization__code", *DATES)
        .iterator(chunk_size=5000)
    ):
        yield (
            r["person_no"],
            r["name"],
            r["gender"],
            r["birth_date"].isoformat(),
            r["organization__code"],
            *((r[c].isoformat() if r[c] else "") for c in DATES),
        )


register(
    BundleFile(
        RECRUITMENT,
        check_recruitment,
        write_recruitment,
        export_recruitment,
        after=("orgs.csv",),
        models=(Candidate,),
    )
)
