"""The 25 steps of recruitment in 5 stages (FZ14; rules.md §4) and the record's vocabularies."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Stage(models.TextChoices):
    APPLICANT = "applicant", "入党申请人"
    ACTIVIST = "activist", "入党积极分子"
    TARGET = "target", "发展对象"
    ADMISSION = "admission", "接收预备党员"
    PROBATION = "probation", "预备党员"
    FULL = "full", "已转正"
    CLOSED = "closed", "已终止"


@dataclass(frozen=True)
class Step:
    no: int
    stage: str
    label: str
    field: str  # the date field on Candidate recording the step


STEPS = [
    Step(1, Stage.APPLICANT, "递交入党申请书", "applied_on"),
    Step(2, Stage.APPLICANT, "党组织派人谈话", "talked_on"),
    Step(3, Stage.ACTIVIST, "推荐和确定入党积极分子", "activist_on"),
    Step(4, Stage.ACTIVIST, "报上级党委备案", "activist_filed_on"),
    Step(5, Stage.ACTIVIST, "指定培养联系人", "contacts_on"),
    Step(6, Stage.ACTIVIST, "培养教育考察", "assessed_on"),
    Step(7, Stage.TARGET, "确定发展对象", "target_on"),
    Step(8, Stage.TARGET, "报上级党委备案", "target_filed_on"),
    Step(9, Stage.TARGET, "确定入党介绍人", "introducers_on"),
    Step(10, Stage.TARGET, "进行政治审查", "reviewed_on"),
    Step(11, Stage.TARGET, "开展集中培训", "trained_on"),
    Step(12, Stage.ADMISSION, "支部委员会审查", "committee_reviewed_on"),
    Step(13, Stage.ADMISSION, "上级党委预审", "prereviewed_on"),
    Step(14, Stage.ADMISSION, "填写入党志愿书", "form_on"),
    Step(15, Stage.ADMISSION, "支部大会讨论", "admitted_on"),
    Step(16, Stage.ADMISSION, "上级党委派人谈话", "approval_talk_on"),
    Step(17, Stage.ADMISSION, "上级党委审批", "approved_on"),
    Step(18, Stage.ADMISSION, "再上一级党委组织部门备案", "approval_filed_on"),
    Step(19, Stage.PROBATION, "编入党支部和党小组", "placed_on"),
    Step(20, Stage.PROBATION, "入党宣誓", "oath_on"),
    Step(21, Stage.PROBATION, "继续教育考察", "probation_assessed_on"),
    Step(22, Stage.PROBATION, "提出转正申请", "conversion_applied_on"),
    Step(23, Stage.PROBATION, "支部大会讨论转正", "conversion_meeting_on"),
    Step(24, Stage.PROBATION, "上级党委审批转正", "conversion_approved_on"),
    Step(25, Stage.FULL, "材料归档", "archived_on"),
]
STEP_BY_NO = {s.no: s for s in STEPS}
STEP_FIELDS = [s.field for s in STEPS]


AFTER = {
    2: 1,
    3: 2,
    4: 3,
    5: 3,
    6: 5,
    7: 6,
    8: 7,
    9: 7,
    10: 7,
    11: 7,
    12: 11,
    13: 12,
    14: 13,
    15: 14,
    16: 15,
    17: 16,
    18: 17,
    19: 17,
    20: 17,
    21: 19,
    22: 21,
    23: 22,
    24: 23,
    25: 24,
}


COMMITTEE_STEPS = {8, 13, 16, 17, 18, 24}
