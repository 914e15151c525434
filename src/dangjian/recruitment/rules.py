"""Recruitment rules (rules.md §4; rules-contract.md "Recruitment"): one set-based query per rule
and
rule version in use (each record follows its own version's intervals). "Month + n" is calendar
arithmetic in SQL (core.sqldates.AddMonths), the same as the contract's. A finding's `member` is the
record's person number; its organization is the record's."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from dangjian.compliance.engine import Citation, Hit, ScanContext, rule
from dangjian.core.dates import add_months
from dangjian.core.sqldates import AddMonths

from .models import Candidate, StepException
from .selectors import holidays, working_days
from .versions import params

PC = "中国共产党章程"
FZ = "中国共产党发展党员工作细则"


def _d(x: date | None) -> str:
    return f"{x:%Y年%m月%d日}" if x else ""


def _by_version(ctx: ScanContext) -> Iterator[tuple[dict[str, Any], QuerySet[Candidate]]]:
    base = Candidate.objects.order_by()
    if ctx.scope_path:
        base = base.filter(organization__path__under=ctx.scope_path)
    for version in base.values_list("rule_version", flat=True).distinct():
        yield params(version), base.filter(rule_version=version)


OPEN = Q(closed_on__isnull=True, cancelled_on__isnull=True)
FIELDS = (
    "id",
    "organization_id",
    "person_no",
    "name",
    "birth_date",
    "applied_on",
    "talked_on",
    "activist_on",
    "target_on",
    "reviewed_on",
    "trained_on",
    "prereviewed_on",
    "admitted_on",
    "approved_on",
    "oath_on",
    "full_on",
    "conversion_meeting_on",
    "conversion_approved_on",
    "extension_months",
    "leaving_on",
)


def _hits(qs: QuerySet[Candidate], say: Any, severity: str | None = None) -> Iterable[Hit]:
    for r in qs.values(*FIELDS):
        yield Hit(
            r["organization_id"],
            f"{r['name']}：{say(r)}",
            person=r["person_no"],
            subject=f"c{r['id']}",
            severity=severity,
        )


def _excepted(step: int) -> Exists:
    return Exists(StepException.objects.filter(candidate_id=OuterRef("pk"), step=step))


@rule(
    "DEV-01",
    title="申请人递交申请时未满18周岁",
    category="recruitment",
    severity="high",
    citation=Citation(PC, "第一条；细则第五条", "V"),
    expects="年满十八岁的中国工人、农民、军人、知识分子和其他社会阶层的先进分子，可以申请加入中国共产党。",
    action="核实出生日期；未满18周岁的，不能作为入党申请人，应待其年满18周岁后重新递交申请。",
)
def dev_01(ctx: ScanContext) -> Iterable[Hit]:
    for p, qs in _by_version(ctx):
        q = qs.alias(adult=AddMonths("birth_date", 12 * p["min_age"])).filter(
            applied_on__lt=F("adult")
        )
        yield from _hits(
            q,
            lambda r: (
                f"出生于{_d(r['birth_date'])}，{_d(r['applied_on'])}递交入党申请时未满18周岁。"
            ),
        )


@rule(
    "DEV-02",
    title="收到入党申请后1个月内未派人谈话",
    category="recruitment",
    severity="high",
    citation=Citation(FZ, "第七条", "V"),
    expects="党组织收到入党申请书后，应当在一个月内派人同入党申请人谈话。",
    action="尽快派人与申请人谈话，了解基本情况，并登记谈话日期。",
)
def dev_02(ctx: ScanContext) -> Iterable[Hit]:
    for p, qs in _by_version(ctx):
        n = p["talk_months"]
        q = qs.alias(due=AddMonths("applied_on", n)).filter(
            Q(talked_on__gt=F("due")) | (Q(talked_on__isnull=True, due__lt=ctx.as_of) & OPEN)
        )
        yield from _hits(
            q,
            lambda r, n=n: (
                f"{_d(r['applied_on'])}递交申请，应在{_d(add_months(r['applied_on'], n))}前谈话，"
                + (f"实际{_d(r['talked_on'])}才谈话。" if r["talked_on"] else "至今未谈话。")
            ),
        )


@rule(
    "DEV-03",
    title="入党积极分子未报上级党委备案",
    category="recruitment",
    severity="warn",
    citation=Citation(FZ, "第八条", "S"),
    expects="确定入党积极分子后，应报上级党委备案。",
    action="将入党积极分子名单报上级党委备案，并登记备案日期。",
)
def dev_03(ctx: ScanContext) -> Iterable[Hit]:
    for p, qs in _by_version(ctx):
        days = p["activist_filing_days"]
        q = qs.filter(
            OPEN,
            source="web",
            activist_on__isnull=False,
            activist_filed_on__isnull=True,
            activist_on__lt=ctx.as_of - timedelta(days=days),
        )
        yield from _hits(
            q, lambda r: f"{_d(r['activist_on'])}确定为入党积极分子，尚未报上级党委备案。"
        )


@rule(
    "DEV-04",
    title="半年未进行培养考察",
    category="recruitment",
    severity="warn",
    citation=Citation(FZ, "第十一条", "S"),
    expects="党支部每半年对入党积极分子进行一次考察。",
    action="培养联系人和党支部对其进行考察，并登记考察意见。",
)
def dev_04(ctx: ScanContext) -> Iterable[Hit]:
    for p, qs in _by_version(ctx):
        n = p["assessment_months"]
        q = (
            qs.filter(OPEN, source="web", activist_on__isnull=False, admitted_on__isnull=True)
            .alias(last=AddMonths("assessed_on", n), first=AddMonths("activist_on", n))
            .filter(
                Q(assessed_on__isnull=True, first__lt=ctx.as_of)
                | Q(assessed_on__isnull=False, last__lt=ctx.as_of)
            )
        )
        yield from _hits(
            q, lambda r: f"自{_d(r['activist_on'])}确定为积极分子以来，超过半年没有考察记录。"
        )


@rule(
    "DEV-05",
    title="确定为发展对象时培养考察不满一年",
    category="recruitment",
    severity="high",
    citation=Citation(FZ, "第十三条", "V"),
    expects="经过一年以上培养教育和考察、基本具备党员条件的入党积极分子，可列为发展对象。",
    action="核实确定入党积极分子和发展对象的日期；不满一年的，应继续培养考察，期满后重新确定。",
)
def dev_05(ctx: ScanContext) -> Iterable[Hit]:
    for p, qs in _by_version(ctx):
        n = p["activist_months"]
        q = (
            qs.filter(activist_on__isnull=False, target_on__isnull=False)
            .alias(ready=AddMonths("activist_on", n))
            .filter(target_on__lt=F("ready"))
            .exclude(_excepted(7))
        )
        yield from _hits(
            q,
            lambda r, n=n: (
                f"{_d(r['activist_on'])}确定为积极分子，{_d(r['target_on'])}即确定为发展对象，"
                f"早于{_d(add_months(r['activist_on'], n))}。"
            ),
        )


@rule(
    "DEV-06",
    title="未经政治审查或集中培训即讨论接收",
    category="recruitment",
    severity="high",
    citation=Citation(FZ, "第十六条、第十七条", "S"),
    expects="发展对象须经政治审查、集中培训（不少于3天或24学时）；未经政治审查或审查不合格的，不能发展入党。",
    action="暂缓审批，补办政治审查和集中培训，重新履行程序。",
)
def dev_06(ctx: ScanContext) -> Iterable[Hit]:
    for _p, qs in _by_version(ctx):
        q = qs.filter(admitted_on__isnull=False).filter(
            Q(reviewed_on__isnull=True)
            | Q(trained_on__isnull=True)
            | Q(reviewed_on__gt=F("admitted_on"))
            | Q(trained_on__gt=F("admitted_on"))
        )
        yield from _hits(
            q,
            lambda r: (
                f"{_d(r['admitted_on'])}支部大会讨论接收，政治审查"
                f"{_d(r['reviewed_on']) or '未进行'}，"
                f"集中培训{_d(r['trained_on']) or '未参加'}。"
            ),
        )


@rule(
    "DEV-07",
    title="入党介绍人不是两名正式党员",
    category="recruitment",
    severity="high",
    citation=Citation(PC, "第五条；细则第十四条", "V"),
    expects="发展党员，必须有两名正式党员作介绍人。",
    action="重新确定两名正式党员作入党介绍人。",
)
def dev_07(ctx: ScanContext) -> Iterable[Hit]:
    for _p, qs in _by_version(ctx):
        q = qs.filter(
            OPEN, source="web", introducers_on__isnull=False, approved_on__isnull=True
        ).filter(
            Q(introducer_1__isnull=True)
            | Q(introducer_2__isnull=True)
            | ~Q(introducer_1__status="full")
            | ~Q(introducer_2__status="full")
        )
        yield from _hits(q, lambda r: "入党介绍人不足两名正式党员。")


@rule(
    "DEV-08",
    title="预审后超过1个月未召开支部大会",
    category="recruitment",
    severity="warn",
    citation=Citation(FZ, "第十九条至第二十二条（地方时限）", "L"),
    expects="上级党委预审后，一般在1个月内召开支部大会讨论接收预备党员。",
    action="尽快召开支部大会讨论。",
)
def dev_08(ctx: ScanContext) -> Iterable[Hit]:
    for p, qs in _by_version(ctx):
        n = p["prereview_to_meeting_months"]
        q = (
            qs.filter(prereviewed_on__isnull=False)
            .alias(due=AddMonths("prereviewed_on", n))
            .filter(
                Q(admitted_on__gt=F("due"))
                | (Q(admitted_on__isnull=True, due__lt=ctx.as_of) & OPEN)
            )
        )
        yield from _hits(
            q,
            lambda r: (
                f"{_d(r['prereviewed_on'])}经上级党委预审，"
                + (
                    f"{_d(r['admitted_on'])}才召开支部大会。"
                    if r["admitted_on"]
                    else "超过1个月未召开支部大会。"
                )
            ),
        )


def _late(
    qs: QuerySet[Candidate], start: str, end: str, months: int, as_of: date
) -> QuerySet[Candidate]:
    return (
        qs.filter(**{f"{start}__isnull": False})
        .alias(due=AddMonths(start, months))
        .filter(
            Q(**{f"{end}__gt": F("due")}) | (Q(**{f"{end}__isnull": True}, due__lt=as_of) & OPEN)
        )
    )


@rule(
    "DEV-10",
    title="支部大会通过后3个月未审批",
    category="recruitment",
    severity="high",
    citation=Citation(FZ, "第二十五条", "S"),
    expects="上级党委应在支部大会通过后3个月内审批，特殊情况可延长，最长不超过6个月。",
    action="上级党委尽快派人谈话并集体审批。",
)
def dev_10(ctx: ScanContext) -> Iterable[Hit]:
    for p, qs in _by_version(ctx):
        n = p["approval_months"]
        yield from _hits(
            _late(qs, "admitted_on", "approved_on", n, ctx.as_of),
            lambda r, n=n: (
                f"{_d(r['admitted_on'])}支部大会通过，应在"
                f"{_d(add_months(r['admitted_on'], n))}前审批，"
                + (f"实际{_d(r['approved_on'])}审批。" if r["approved_on"] else "至今未审批。")
            ),
        )


@rule(
    "DEV-11",
    title="支部大会通过后6个月仍未审批",
    category="recruitment",
    severity="critical",
    citation=Citation(FZ, "第二十五条", "S"),
    expects="审批最长不超过6个月；超过的，须重新履行接收程序。",
    action="重新召开支部大会讨论，履行接收程序。",
)
def dev_11(ctx: ScanContext) -> Iterable[Hit]:
    for p, qs in _by_version(ctx):
        n = p["approval_max_months"]
        yield from _hits(
            _late(qs, "admitted_on", "approved_on", n, ctx.as_of),
            lambda r: f"{_d(r['admitted_on'])}支部大会通过，6个月内未获审批，须重新履行接收程序。",
        )


@rule(
    "DEV-12",
    title="批准后未进行入党宣誓",
    category="recruitment",
    severity="warn",
    citation=Citation(PC, "第六条", "?"),
    expects="预备党员必须面向党旗进行入党宣誓，一般在批准后及时进行。",
    action="组织入党宣誓并登记日期。",
)
def dev_12(ctx: ScanContext) -> Iterable[Hit]:
    for p, qs in _by_version(ctx):
        q = (
            qs.filter(OPEN, approved_on__isnull=False, oath_on__isnull=True)
            .alias(due=AddMonths("approved_on", p["oath_months"]))
            .filter(due__lt=ctx.as_of)
        )
        yield from _hits(q, lambda r: f"{_d(r['approved_on'])}批准为预备党员，尚未登记入党宣誓。")


@rule(
    "DEV-13",
    title="预备期即将届满",
    category="recruitment",
    severity="info",
    citation=Citation(FZ, "第三十二条", "V"),
    expects="预备党员预备期满，党支部应当及时讨论其能否转为正式党员。",
    action="提醒本人提出转正申请，支部安排转正的支部大会。",
)
def dev_13(ctx: ScanContext) -> Iterable[Hit]:
    for p, qs in _by_version(ctx):
        for ext in (
            qs.filter(approved_on__isnull=False)
            .values_list("extension_months", flat=True)
            .distinct()
        ):
            n = p["probation_months"] + (ext or 0)
            q = (
                qs.filter(
                    OPEN, approved_on__isnull=False, full_on__isnull=True, extension_months=ext
                )
                .alias(end=AddMonths("admitted_on", n), warn=AddMonths("admitted_on", n - 1))
                .filter(warn__lte=ctx.as_of, end__gt=ctx.as_of)
            )
            yield from _hits(
                q,
                lambda r, n=n: (
                    f"预备期将于{_d(add_months(r['admitted_on'], n))}届满，请提出转正申请。"
                ),
            )


@rule(
    "DEV-14",
    title="转正早于预备期满",
    category="recruitment",
    severity="high",
    citation=Citation(PC, "第七条；细则第三十三条", "V"),
    expects="预备党员的预备期为一年，从支部大会通过其为预备党员之日算起；转正不能早于预备期满。",
    action="核实接收和转正日期；预备期未满的转正无效，应予纠正。",
)
def dev_14(ctx: ScanContext) -> Iterable[Hit]:
    for p, qs in _by_version(ctx):
        n = p["probation_months"]
        q = (
            qs.filter(admitted_on__isnull=False, full_on__isnull=False)
            .alias(end=AddMonths("admitted_on", n))
            .filter(full_on__lt=F("end"))
        )
        yield from _hits(
            q,
            lambda r, n=n: (
                f"{_d(r['admitted_on'])}接收为预备党员，{_d(r['full_on'])}转为正式党员，"
                f"早于预备期满{_d(add_months(r['admitted_on'], n))}。"
            ),
        )


@rule(
    "DEV-15",
    title="预备期满1个月未讨论转正",
    category="recruitment",
    severity="warn",
    citation=Citation(FZ, "第三十二条（地方时限）", "L"),
    expects="预备期满，党支部应及时讨论其能否转为正式党员。",
    action="尽快召开支部大会讨论转正、延长预备期或取消预备党员资格。",
)
def dev_15(ctx: ScanContext) -> Iterable[Hit]:
    for p, qs in _by_version(ctx):
        for ext in (
            qs.filter(approved_on__isnull=False, full_on__isnull=True)
            .values_list("extension_months", flat=True)
            .distinct()
        ):
            n = p["probation_months"] + (ext or 0) + p["conversion_grace_months"]
            q = (
                qs.filter(
                    OPEN, approved_on__isnull=False, full_on__isnull=True, extension_months=ext
                )
                .alias(due=AddMonths("admitted_on", n))
                .filter(due__lt=ctx.as_of)
            )
            yield from _hits(
                q,
                lambda r, n=n, p=p, ext=ext: (
                    "预备期已于"
                    f"{_d(add_months(r['admitted_on'], p['probation_months'] + (ext or 0)))}届满，"
                    "超过1个月未讨论转正。"
                ),
            )


@rule(
    "DEV-16",
    title="延长预备期不符合规定",
    category="recruitment",
    severity="high",
    citation=Citation(FZ, "第三十二条", "V"),
    expects="延长预备期只能一次，时间为半年至一年。",
    action="核实延长预备期的决定，按规定重新履行程序。",
)
def dev_16(ctx: ScanContext) -> Iterable[Hit]:
    for p, qs in _by_version(ctx):
        q = qs.filter(extension_months__gt=0).exclude(
            extension_months__gte=p["extension_min_months"],
            extension_months__lte=p["extension_max_months"],
        )
        yield from _hits(q, lambda r: f"延长预备期{r['extension_months']}个月，不在6至12个月之内。")


@rule(
    "DEV-17",
    title="转正支部大会后3个月未审批",
    category="recruitment",
    severity="high",
    citation=Citation(FZ, "第三十四条", "S"),
    expects="上级党委应在支部大会讨论转正后3个月内审批。",
    action="上级党委尽快审批转正。",
)
def dev_17(ctx: ScanContext) -> Iterable[Hit]:
    for p, qs in _by_version(ctx):
        yield from _hits(
            _late(
                qs,
                "conversion_meeting_on",
                "conversion_approved_on",
                p["conversion_approval_months"],
                ctx.as_of,
            ),
            lambda r: f"{_d(r['conversion_meeting_on'])}支部大会讨论转正，3个月内未获审批。",
        )


@rule(
    "DEV-18",
    title="转正后材料未归档",
    category="recruitment",
    severity="warn",
    citation=Citation(FZ, "第三十七条（地方时限）", "L"),
    expects="预备党员转正后，入党材料应及时归档。",
    action="整理入党志愿书、申请书、政审材料、转正申请和培养考察材料，归入档案。",
)
def dev_18(ctx: ScanContext) -> Iterable[Hit]:
    for p, qs in _by_version(ctx):
        q = qs.filter(
            source="web",
            conversion_approved_on__isnull=False,
            archived_on__isnull=True,
            conversion_approved_on__lt=ctx.as_of - timedelta(days=p["archive_days"]),
        )
        yield from _hits(
            q, lambda r: f"{_d(r['conversion_approved_on'])}批准转正，入党材料尚未归档。"
        )


@rule(
    "DEV-19",
    title="公示不足5个工作日",
    category="recruitment",
    severity="warn",
    citation=Citation(FZ, "公示制度（地方规定）", "L"),
    expects="发展对象应公示不少于5个工作日。",
    action="补足公示期后再提交支部大会讨论。",
)
def dev_19(ctx: ScanContext) -> Iterable[Hit]:
    for p, qs in _by_version(ctx):
        rows = list(
            qs.filter(publicized_on__isnull=False, publicized_until__isnull=False).values(
                "id", "organization_id", "person_no", "name", "publicized_on", "publicized_until"
            )
        )
        if not rows:
            continue
        # the holiday calendar read once for all the notices, not once per notice
        starts = [r["publicized_on"] for r in rows if r["publicized_on"]]
        ends = [r["publicized_until"] for r in rows if r["publicized_until"]]
        special = holidays(min(starts), max(ends))
        for r in rows:
            got = working_days(r["publicized_on"], r["publicized_until"], special)  # type: ignore[arg-type]
            if got < p["notice_working_days"]:
                yield Hit(
                    r["organization_id"],
                    f"{r['name']}：公示{_d(r['publicized_on'])}至{_d(r['publicized_until'])}，只有{got}个工作日。",
                    person=r["person_no"],
                    subject=f"c{r['id']}",
                )


@rule(
    "DEV-20",
    title="接收后3个月内将离开本单位",
    category="recruitment",
    severity="warn",
    citation=Citation(FZ, "第十九条", "S"),
    expects="发展对象在接收后3个月内将离开工作、学习单位的，一般不予接收。",
    action="经上级党委批准的特殊情况除外；否则应由其新单位党组织继续培养。",
)
def dev_20(ctx: ScanContext) -> Iterable[Hit]:
    for p, qs in _by_version(ctx):
        q = (
            qs.filter(admitted_on__isnull=False, leaving_on__isnull=False)
            .alias(soon=AddMonths("admitted_on", p["leave_months"]))
            .filter(leaving_on__lte=F("soon"))
            .exclude(_excepted(15))
        )
        yield from _hits(
            q, lambda r: f"{_d(r['admitted_on'])}接收，预计{_d(r['leaving_on'])}离开本单位。"
        )


@rule(
    "DEV-00",
    title="发展党员期限临近",
    category="recruitment",
    severity="info",
    citation=Citation(FZ, "第七条、第十一条、第二十五条、第三十四条", "S"),
    expects="谈话、考察、审批等环节在规定期限内完成。",
    action="请在期限前办理，并在平台登记。",
    defaults={"lead_days": 15},
)
def dev_00(ctx: ScanContext) -> Iterable[Hit]:
    """Reminders ahead of the deadlines (never the rule itself): the talk, the half-year assessment,
    the
    approval of an admission and of a conversion, due within `lead_days` (the probation's end is
    DEV-13)."""
    lead = ctx.as_of + timedelta(days=int(ctx.params.get("lead_days", 15)))
    for p, qs in _by_version(ctx):
        checks = [
            ("talk", "applied_on", "talked_on", p["talk_months"], "派人谈话", Q()),
            (
                "assess",
                "assessed_on",
                "admitted_on",
                p["assessment_months"],
                "进行半年考察",
                Q(source="web"),
            ),
            (
                "approve",
                "admitted_on",
                "approved_on",
                p["approval_months"],
                "完成上级党委审批",
                Q(),
            ),
            (
                "convert",
                "conversion_meeting_on",
                "conversion_approved_on",
                p["conversion_approval_months"],
                "完成转正审批",
                Q(),
            ),
        ]
        for key, start, done, n, what, extra in checks:
            q = (
                qs.filter(OPEN, extra, **{f"{start}__isnull": False, f"{done}__isnull": True})
                .alias(due=AddMonths(start, n))
                .filter(due__gte=ctx.as_of, due__lte=lead)
            )
            for r in q.values("id", "organization_id", "person_no", "name", start):
                due = add_months(r[start], n)
                yield Hit(
                    r["organization_id"],
                    f"{r['name']}：请在{_d(due)}前{what}。",
                    person=r["person_no"],
                    subject=f"c{r['id']}:{key}",
                    details={"due": due.isoformat()},
                )
