"""Questions about the asker's own record (or, for staff, their scope), recognised from the table
in data/intents.yaml and answered by the selectors the pages use, scoped exactly like them. The
answer cites "本人记录" and links to the page."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.fees.models import FeeMonth, current_index, month_label
from dangjian.fees.selectors import member_months, payable_months
from dangjian.learning.selectors import hours_by_member, requirements
from dangjian.meetings.selectors import member_upcoming
from dangjian.members.selectors import own_member
from dangjian.recruitment.constants import STEP_BY_NO
from dangjian.recruitment.models import Candidate
from dangjian.recruitment.selectors import next_step, probation_end
from dangjian.transfers.selectors import member_transfers

DATA = Path(__file__).parent / "data" / "intents.yaml"
OWN = ("我", "本人", "俺", "自己")


@dataclass(frozen=True)
class Intent:
    id: str
    groups: tuple[tuple[str, ...], ...]
    own: bool = False
    staff: bool = False


@functools.cache
def table() -> tuple[Intent, ...]:
    rows = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    return tuple(
        Intent(
            r["id"],
            tuple(tuple(g) for g in r["groups"]),
            bool(r.get("own")),
            bool(r.get("staff")),
        )
        for r in rows
    )


def match(question: str) -> Intent | None:
    for intent in table():
        if intent.own and not any(w in question for w in OWN):
            continue
        if all(any(w in question for w in group) for group in intent.groups):
            return intent
    return None


def answer(user: Any, intent: Intent) -> Any:
    from .answer import Answer, Citation  # noqa: PLC0415 - answer imports this module

    if intent.staff:
        text, link = _branch_unpaid(user)
    elif not getattr(user, "member_id", None):
        text, link = "这个问题要查本人的党员记录，请用党员账号登录后再问。", ""
    else:
        member = own_member(user)
        text, link = HANDLERS[intent.id](member)
    cite = Citation(document="本人记录", article=None, excerpt=text, score=1.0, url=link)
    return Answer(text, [cite], "record", link=link)


def _yuan(fen: int) -> str:
    return f"{fen / 100:.2f}"


def _fee_month(member: Any) -> tuple[str, str]:
    now = current_index()
    row = next(
        (m for m in member_months(member, timezone.localdate().year) if m["idx"] == now), None
    )
    if row is None or row["row"] is None:
        return f"{month_label(now)}的党费尚未生成应交记录。", reverse("fees:my")
    r = row["row"]
    if r.due_fen and (r.paid_fen or 0) >= r.due_fen or not r.due_fen:
        when = f"（{r.paid_on:%Y-%m-%d}）" if r.paid_on else ""
        paid = f"已交：{_yuan(r.paid_fen or 0)}元{when}" if r.due_fen else "免交"
        return f"{month_label(now)}的党费{paid}。", reverse("fees:my")
    if r.paid_fen:
        return (
            f"{month_label(now)}的党费已交{_yuan(r.paid_fen)}元，还差"
            f"{_yuan(r.due_fen - r.paid_fen)}元。",
            reverse("fees:my_pay"),
        )
    return f"{month_label(now)}的党费还没交，应交{_yuan(r.due_fen)}元。", reverse("fees:my_pay")


def _fee_arrears(member: Any) -> tuple[str, str]:
    owed = [p for p in payable_months(member, current_index()) if p.owed]
    if not owed:
        return "您没有欠交的党费。", reverse("fees:my")
    total = sum(p.due_fen for p in owed)
    months = "、".join(p.label for p in owed)
    return (
        f"您欠交{len(owed)}个月党费（{months}），共{_yuan(total)}元。",
        reverse("fees:my_pay"),
    )


def _study_hours(member: Any) -> tuple[str, str]:
    year = timezone.localdate().year
    h = hours_by_member([member.pk], year)[member.pk]
    need, _leader = requirements()
    return (
        f"您{year}年已学习{h['total']:.1f}学时（线上{h['online']:.1f}、线下{h['offline']:.1f}），"
        f"全年要求不少于{need}学时。",
        reverse("learning:my"),
    )


def _transfer_step(member: Any) -> tuple[str, str]:
    mine = member_transfers(member, 1)
    if not mine:
        return "您目前没有办理中的组织关系转接。", reverse("transfers:my")
    t = mine[0]
    to = t.to_org.name if t.to_org is not None else t.to_name
    return (
        f"您转往“{to}”的组织关系：{t.get_status_display()}"
        + (f"（介绍信 {t.letter_no}）" if t.letter_no else "")
        + "。",
        reverse("transfers:my"),
    )


def _next_meeting(member: Any) -> tuple[str, str]:
    upcoming = member_upcoming(member, 1)
    if not upcoming:
        return "所在党支部近期没有已发布的会议通知。", reverse("meetings:my")
    m = upcoming[0]
    where = f"，地点：{m.place}" if m.place else ""
    return (
        f"下次会议：{m.planned_on:%Y年%m月%d日}，{m.get_kind_display()}“{m.topic}”{where}。",
        reverse("meetings:member_meeting", args=[m.pk]),
    )


def _candidate(member: Any) -> Candidate | None:
    return Candidate.objects.filter(member=member).order_by("-id").first()


def _conversion(member: Any) -> tuple[str, str]:
    if member.status != "probationary":
        return "您已是正式党员，不涉及转正。", reverse("portal:me")
    c = _candidate(member)
    end = probation_end(c) if c is not None else None
    if end is None:
        return "没有查到您的发展记录，请向所在党支部询问预备期。", reverse("portal:me")
    return (
        f"您的预备期到{end:%Y年%m月%d日}期满；期满前请向党支部提出书面转正申请，"
        "支部大会讨论通过并报上级党委审批后转为正式党员。",
        reverse("portal:me"),
    )


def _application(member: Any) -> tuple[str, str]:
    c = _candidate(member)
    if c is None or c.full_on or member.status == "full":
        return "您已是正式党员。", reverse("portal:me")
    step = next_step(c)
    if step is None:
        return "您的发展程序已全部完成。", reverse("portal:me")
    no, due, meaning = step
    when = ""
    if due is not None:
        earliest = meaning == "最早"
        when = f"（{'最早' if earliest else '须在'}{due:%Y年%m月%d日}{'后' if earliest else '前'}）"
    return f"您的下一步是：第{no}步“{STEP_BY_NO[no].label}”{when}。", reverse("portal:me")


def _branch_unpaid(user: Any) -> tuple[str, str]:
    if not policy.roots(user, "view"):
        return "这个问题要查您管理范围内的记录，请用工作人员账号登录后再问。", ""
    orgs = policy.visible_to(user)
    now = current_index()
    unpaid = (
        FeeMonth.objects.filter(organization__in=orgs, month_index=now, due_fen__gt=0)
        .filter(Q(paid_fen__isnull=True) | Q(paid_fen__lt=F("due_fen")))
        .count()
    )
    return f"您管理范围内{month_label(now)}还有{unpaid}人未交党费。", reverse("fees:home")


HANDLERS = {
    "fee_month": _fee_month,
    "fee_arrears": _fee_arrears,
    "study_hours": _study_hours,
    "transfer_step": _transfer_step,
    "next_meeting": _next_meeting,
    "conversion": _conversion,
    "application": _application,
}
