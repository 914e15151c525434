"""城市党建学院's bundle files (docs/interchange.md):

- classes.csv     code, kind (activist / development / new_member / secretary / worker /
                  instructor, or a kind the deployment added), organizer_org_code, starts_on,
                  ends_on, hours
- enrolments.csv  class_code, member_no or person_no (a person of recruitment.csv), attendance_pct,
                  exam_score (empty: no exam), completed (yes / no)

Only the roster is exchanged: an enrolment row is an accepted trainee with the outcome of the
class. A member's completed class is concentrated training for EDU-02/03/04 (by its kind's
purpose) and its hours count towards the year's study hours, as when recorded here. Checked with
the rest of the bundle (all or nothing; every fault named by file, row and column); an import of
what an export wrote changes nothing, and exporting again gives the same files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Count, Q
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
from dangjian.members.interchange import known_members
from dangjian.members.models import Member
from dangjian.orgs.interchange import org_ids, org_index
from dangjian.recruitment.models import Candidate

from .models import ClassKind, ClassStatus, Enrolment, EnrolmentStatus, Nominee, TrainingClass

CLASSES = FileSpec(
    "classes.csv",
    "培训班次",
    ("code", "kind", "organizer_org_code", "starts_on", "ends_on", "hours"),
    {
        "code": 32,
        "kind": 20,
        "organizer_org_code": 32,
        "starts_on": 10,
        "ends_on": 10,
        "hours": 6,
    },  # fmt: skip
    {
        "code": "班次编号",
        "kind": "班次类型（activist积极分子/development发展对象/new_member新党员/secretary支部书记/"
        "worker党务工作者/instructor党建指导员）",
        "organizer_org_code": "举办单位（组织代码）",
        "starts_on": "开班日期",
        "ends_on": "结业日期",
        "hours": "学时",
    },
)
ENROLMENTS = FileSpec(
    "enrolments.csv",
    "培训学员",
    ("class_code", "member_no", "person_no", "attendance_pct", "exam_score", "completed"),
    {
        "class_code": 32,
        "member_no": 32,
        "person_no": 32,
        "attendance_pct": 5,
        "exam_score": 3,
        "completed": 3,
    },  # fmt: skip
    {
        "class_code": "班次编号",
        "member_no": "党员编号（党员学员）",
        "person_no": "人员编号（recruitment.csv中的发展对象等）",
        "attendance_pct": "出勤率（0-100，可空）",
        "exam_score": "考试成绩（0-100，可空）",
        "completed": "是否结业（yes/no）",
    },
)


def _num(value: Decimal) -> str:
    return f"{value:.1f}"


# ---------------------------------------------------------------- classes.csv


@dataclass
class ClassRow:
    line: int
    code: str
    kind: str
    organizer: str
    starts_on: date
    ends_on: date
    hours: Decimal


def check_classes(ctx: BundleContext, table: Table) -> list[ClassRow]:
    f = table.label or CLASSES.name
    index = org_index(ctx)
    kinds = set(ClassKind.objects.values_list("code", flat=True))
    live = {
        code: (status, org, n)
        for code, status, org, n in TrainingClass.objects.filter(
            code__in=[r["code"].strip() for r in table.rows]
        )
        .annotate(n=Count("enrolments"))
        .values_list("code", "status", "organizer__code", "n")
    }
    out: list[ClassRow] = []
    seen: dict[str, int] = {}
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        c = {k: row[k].strip() for k in CLASSES.columns}
        ok = True
        if not c["code"]:
            ctx.err(f, line, "code", "班次编号不能为空")
            ok = False
        elif c["code"] in seen:
            ctx.err(f, line, "code", f"班次编号{c['code']}与第{seen[c['code']]}行重复")
            ok = False
        seen.setdefault(c["code"], line)
        if c["kind"] not in kinds:
            ctx.err(
                f, line, "kind", f"班次类型“{c['kind']}”不存在（可用：{'、'.join(sorted(kinds))}）"
            )
            ok = False
        org = c["organizer_org_code"]
        if not index.exists(org):
            ctx.err(f, line, "organizer_org_code", f"举办单位“{org}”不在组织树中")
            ok = False
        elif index.kind_of.get(org) == "group":
            ctx.err(f, line, "organizer_org_code", f"“{org}”是党小组，不能举办培训班")
            ok = False
        starts = ctx.date(f, line, "starts_on", c["starts_on"], "开班日期")
        ends = ctx.date(f, line, "ends_on", c["ends_on"], "结业日期")
        if starts and ends and ends < starts:
            ctx.err(f, line, "ends_on", "结业日期早于开班日期")
            ok = False
        try:
            hours = Decimal(c["hours"] or "0")
            if not Decimal(0) <= hours <= Decimal(999) or hours != hours.quantize(Decimal("0.1")):
                raise InvalidOperation
        except InvalidOperation:
            ctx.err(f, line, "hours", f"学时“{c['hours']}”应为0至999的数字（最多一位小数）")
            ok = False
        if ok and starts and ends and c["code"] in live:
            status, old_org, n = live[c["code"]]
            if status != ClassStatus.CLOSED:
                ctx.err(f, line, "code", f"班次“{c['code']}”正在平台上办理，不能由数据包修改")
                ok = False
            elif old_org != org and n:
                ctx.err(f, line, "organizer_org_code", "班次已有学员，不能改换举办单位")
                ok = False
        if ok and starts and ends:
            out.append(ClassRow(line, c["code"], c["kind"], org, starts, ends, hours))
    return out


def write_classes(ctx: BundleContext, rows: list[ClassRow], counts: FileCounts) -> None:
    if not rows:
        return
    ids = org_ids(ctx)
    kinds = {k.code: k for k in ClassKind.objects.all()}
    have = {k.code: k for k in TrainingClass.objects.filter(code__in=[r.code for r in rows])}
    today = timezone.localdate()
    creates, updates = [], []
    for r in rows:
        vals = {
            "kind_id": kinds[r.kind].pk,
            "organizer_id": ids[r.organizer],
            "starts_on": r.starts_on,
            "ends_on": r.ends_on,
            "hours": r.hours,
        }
        k = have.get(r.code)
        if k is None:
            creates.append(
                TrainingClass(
                    code=r.code,
                    title=f"{kinds[r.kind].name}（{r.code}）"[:100],
                    status=ClassStatus.CLOSED if r.ends_on < today else ClassStatus.OPEN,
                    closed_on=r.ends_on if r.ends_on < today else None,
                    **vals,
                )
            )
        elif any(getattr(k, n) != v for n, v in vals.items()):
            for n, v in vals.items():
                setattr(k, n, v)
            updates.append(k)
        else:
            counts.unchanged += 1
    TrainingClass.objects.bulk_create(creates, batch_size=2000)
    TrainingClass.objects.bulk_update(
        updates, ["kind_id", "organizer_id", "starts_on", "ends_on", "hours"], batch_size=2000
    )
    counts.created += len(creates)
    counts.updated += len(updates)


def _classes_in(scope: ExportScope) -> Any:
    qs = TrainingClass.objects.all()
    return qs if scope.org_ids is None else qs.filter(organizer_id__in=scope.org_ids)


def export_classes(scope: ExportScope) -> Iterator[tuple[str, ...]]:
    for code, kind, org, starts, ends, hours in (
        _classes_in(scope)
        .order_by("code")
        .values_list("code", "kind__code", "organizer__code", "starts_on", "ends_on", "hours")
    ):
        yield (code, kind, org, starts.isoformat(), ends.isoformat(), _num(hours))


# ---------------------------------------------------------------- enrolments.csv


@dataclass
class EnrolmentRow:
    line: int
    klass: str
    member_no: str
    person_no: str
    pct: Decimal | None
    score: int | None
    completed: bool


def check_enrolments(ctx: BundleContext, table: Table) -> list[EnrolmentRow]:
    f = table.label or ENROLMENTS.name
    today = timezone.localdate()
    # a roster is exchanged for a class that is over: from this file (ended) or the database
    # (assessed); a class under way is run on the platform
    ended = {r.code: r.ends_on < today for r in ctx.rows.get(CLASSES.name, [])}
    wanted = {r["class_code"].strip() for r in table.rows} - set(ended)
    ended |= {
        code: status == ClassStatus.CLOSED
        for code, status in TrainingClass.objects.filter(code__in=wanted).values_list(
            "code", "status"
        )
    }
    codes = set(ended)
    # what the platform already has for these classes: the status of each person's enrolment and
    # whether a valid certificate was issued
    have: dict[tuple[str, str], tuple[str, bool]] = {}
    for code, no, pno, status, cert, revoked in Enrolment.objects.filter(
        klass__code__in=codes
    ).values_list(
        "klass__code",
        "member__member_no",
        "candidate__person_no",
        "status",
        "certificate__id",
        "certificate__revoked_at",
    ):
        have[(code, no or f"#{pno}")] = (status, cert is not None and revoked is None)
    members = known_members(ctx, [r["member_no"].strip() for r in table.rows if r["member_no"]])
    people = {r.person_no for r in ctx.rows.get("recruitment.csv", [])}
    asked = {r["person_no"].strip() for r in table.rows if r["person_no"].strip()} - people
    people |= set(Candidate.objects.filter(person_no__in=asked).values_list("person_no", flat=True))
    out: list[EnrolmentRow] = []
    seen: dict[tuple[str, str, str], int] = {}
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        c = {k: row[k].strip() for k in ENROLMENTS.columns}
        ok = True
        if c["class_code"] not in codes:
            ctx.err(f, line, "class_code", f"班次“{c['class_code']}”不在 classes.csv 或数据库中")
            ok = False
        if bool(c["member_no"]) == bool(c["person_no"]):
            ctx.err(f, line, "member_no", "党员编号和人员编号须填写且只填写一项")
            ok = False
        elif c["member_no"] and c["member_no"] not in members:
            ctx.err(f, line, "member_no", f"党员“{c['member_no']}”不在 members.csv 或数据库中")
            ok = False
        elif c["person_no"] and c["person_no"] not in people:
            ctx.err(f, line, "person_no", f"人员“{c['person_no']}”不在 recruitment.csv 或数据库中")
            ok = False
        if ok and not ended[c["class_code"]]:
            ctx.err(f, line, "class_code", "班次尚未结束或正在平台上办理，学员名单请在平台上办理")
            ok = False
        known = have.get((c["class_code"], c["member_no"] or f"#{c['person_no']}"))
        if ok and known is not None and known[0] != EnrolmentStatus.ACCEPTED:
            ctx.err(f, line, "class_code", "该学员在平台上未被录取或已撤回，不能由数据包改写")
            ok = False
        if ok and known is not None and known[1] and c["completed"] == "no":
            ctx.err(f, line, "completed", "该学员已有有效的结业证书，请先在平台上撤销证书")
            ok = False
        key = (c["class_code"], c["member_no"], c["person_no"])
        if key in seen:
            ctx.err(f, line, "class_code", f"与第{seen[key]}行是同一班次的同一学员")
            ok = False
        seen.setdefault(key, line)
        pct: Decimal | None = None
        if c["attendance_pct"]:
            try:
                pct = Decimal(c["attendance_pct"])
                if not Decimal(0) <= pct <= Decimal(100) or pct != pct.quantize(Decimal("0.1")):
                    raise InvalidOperation
            except InvalidOperation:
                ctx.err(
                    f,
                    line,
                    "attendance_pct",
                    f"出勤率“{c['attendance_pct']}”应为0至100（最多一位小数）",
                )
                ok = False
        score: int | None = None
        if c["exam_score"]:
            if not c["exam_score"].isdecimal() or int(c["exam_score"]) > 100:
                ctx.err(f, line, "exam_score", f"考试成绩“{c['exam_score']}”应为0至100的整数")
                ok = False
            else:
                score = int(c["exam_score"])
        if c["completed"] not in ("yes", "no"):
            ctx.err(f, line, "completed", f"是否结业“{c['completed']}”应为yes或no")
            ok = False
        if ok:
            out.append(
                EnrolmentRow(
                    line,
                    c["class_code"],
                    c["member_no"],
                    c["person_no"],
                    pct,
                    score,
                    c["completed"] == "yes",
                )
            )
    return out


def write_enrolments(ctx: BundleContext, rows: list[EnrolmentRow], counts: FileCounts) -> None:
    if not rows:
        return
    classes = dict(
        TrainingClass.objects.filter(code__in={r.klass for r in rows}).values_list("code", "id")
    )
    members = {
        m["member_no"]: m
        for m in Member.objects.filter(
            member_no__in={r.member_no for r in rows if r.member_no}
        ).values("id", "member_no", "name", "organization_id", "status")
    }
    people = {
        p["person_no"]: p
        for p in Candidate.objects.filter(
            person_no__in={r.person_no for r in rows if r.person_no}
        ).values("id", "person_no", "name", "organization_id")
    }
    have = {
        (e.klass_id, e.member_id, e.candidate_id): e
        for e in Enrolment.objects.filter(klass_id__in=classes.values())
    }
    now = timezone.now()
    creates, updates = [], []
    for r in rows:
        k = classes[r.klass]
        m = members.get(r.member_no) if r.member_no else None
        p = people.get(r.person_no) if r.person_no else None
        person = m or p
        if person is None:  # checked: one of the two is in the file or the database
            continue
        key = (k, m["id"] if m else None, p["id"] if p else None)
        vals = {
            "attendance_pct": r.pct,
            "exam_score": r.score,
            "completed": r.completed,
            "status": EnrolmentStatus.ACCEPTED,
        }
        e = have.get(key)
        if e is None:
            creates.append(
                Enrolment(
                    klass_id=k,
                    member_id=key[1],
                    candidate_id=key[2],
                    name=person["name"],
                    nominee=(
                        Nominee.PROBATIONARY
                        if m and m["status"] == "probationary"
                        else Nominee.MEMBER
                        if m
                        else Nominee.DEVELOPMENT
                    ),
                    nominated_by_id=person["organization_id"],
                    nominated_at=now,
                    decided_at=now,
                    **vals,
                )
            )
        elif any(getattr(e, n) != v for n, v in vals.items()):
            for n, v in vals.items():
                setattr(e, n, v)
            updates.append(e)
        else:
            counts.unchanged += 1
    Enrolment.objects.bulk_create(creates, batch_size=5000)
    Enrolment.objects.bulk_update(
        updates, ["attendance_pct", "exam_score", "completed", "status"], batch_size=5000
    )
    counts.created += len(creates)
    counts.updated += len(updates)


def export_enrolments(scope: ExportScope) -> Iterator[tuple[str, ...]]:
    qs = Enrolment.objects.filter(klass__in=_classes_in(scope), status=EnrolmentStatus.ACCEPTED)
    if scope.org_ids is not None:
        qs = qs.filter(
            Q(member_id__in=scope.member_ids) | Q(candidate__organization_id__in=scope.org_ids)
        )
    for code, no, pno, pct, score, done in qs.order_by(
        "klass__code", "member__member_no", "candidate__person_no"
    ).values_list(
        "klass__code",
        "member__member_no",
        "candidate__person_no",
        "attendance_pct",
        "exam_score",
        "completed",
    ):
        yield (
            code,
            no or "",
            pno or "",
            _num(pct) if pct is not None else "",
            str(score) if score is not None else "",
            "yes" if done else "no",
        )


register(
    BundleFile(
        CLASSES,
        check_classes,
        write_classes,
        export_classes,
        after=("orgs.csv",),
        models=(TrainingClass,),
    ),
    BundleFile(
        ENROLMENTS,
        check_enrolments,
        write_enrolments,
        export_enrolments,
        after=("classes.csv", "members.csv", "recruitment.csv"),
        models=(Enrolment,),
    ),
)
