"""Organizational life (rules.md §2): the kinds of meeting, their frequencies and the record's
vocabularies."""

from __future__ import annotations

from django.db import models


class MeetingKind(models.TextChoices):
    GENERAL = "general_meeting", "支部党员大会"
    COMMITTEE = "committee_meeting", "支部委员会会议"
    GROUP = "group_meeting", "党小组会"
    LECTURE = "party_lecture", "党课"
    THEME_DAY = "theme_day", "主题党日"
    LIFE = "life_meeting", "组织生活会"
    REVIEW = "democratic_review", "民主评议党员"
    TALK = "talk", "谈心谈话"


# The kinds the interchange bundle carries (design.md §8); talks are kept in the platform only.
BUNDLE_KINDS = [k for k in MeetingKind.values if k != MeetingKind.TALK]

# How often each kind is due (ZB Arts 11-17; rules.md §2) and the rule that watches it: the yearly
# plan
# is generated from this table.
FREQUENCY: dict[str, tuple[str, str]] = {
    MeetingKind.GENERAL: ("quarter", "LIFE-01"),
    MeetingKind.COMMITTEE: ("month", "LIFE-02"),
    MeetingKind.GROUP: ("month", "LIFE-03"),
    MeetingKind.LECTURE: ("quarter", "LIFE-04"),
    MeetingKind.THEME_DAY: ("month", "LIFE-05"),
    MeetingKind.LIFE: ("year", "LIFE-06"),
    MeetingKind.REVIEW: ("year", "LIFE-07"),
}


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", "计划"
    PUBLISHED = "published", "已通知"
    HELD = "held", "已召开"
    CANCELLED = "cancelled", "已取消"
    VOIDED = "voided", "已作废"  # a held record found wrong: kept, with the reason, never deleted


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", "出席"
    LEAVE = "leave", "请假"
    ABSENT = "absent", "缺席"
    EXCLUDED = "excluded", "不计入应到"


class Exclusion(models.TextChoices):
    """The five groups that may be left out of the quorum base (应到会人数), rules.md §2."""

    ILLNESS = "illness", "因病等原因不能表达本人意愿"
    ABROAD = "abroad", "自费出国半年以上"
    DETAINED = "detained", "受留置、刑事强制措施或服刑尚未作出党纪处分"
    BEDRIDDEN = "bedridden", "年老体弱卧床不起、长期生活不能自理"
    AWAY = "away", "外出半年以上未转组织关系"


class Grade(models.TextChoices):
    EXCELLENT = "excellent", "优秀"
    QUALIFIED = "qualified", "合格"
    BASIC = "basic", "基本合格"
    UNQUALIFIED = "unqualified", "不合格"


class HandlingReason(models.TextChoices):
    APPRAISAL = "appraisal", "民主评议为不合格"
    ABSENCE = "absence", "连续6个月不参加组织生活"


class HandlingDecision(models.TextChoices):
    EDUCATE = "educate", "批评教育、限期改正"
    PERSUADE = "persuade", "劝其退党"
    REMOVE = "remove", "除名"
    NONE = "none", "经核实有正当理由，不作处置"
