"""Interchange bundle v1 (design.md section 8): the files, their columns and their limits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileSpec:
    name: str
    label: str
    columns: tuple[str, ...]
    max_lengths: dict[str, int]


ORGS = FileSpec(
    "orgs.csv",
    "组织",
    ("code", "name", "parent_code", "kind", "category", "established_on"),
    {"code": 32, "name": 100, "parent_code": 32, "kind": 20, "category": 20, "established_on": 10},
)
TERMS = FileSpec(
    "terms.csv",
    "届次",
    ("org_code", "elected_on", "term_years"),
    {"org_code": 32, "elected_on": 10, "term_years": 2},
)
POSTS = FileSpec(
    "posts.csv",
    "班子职务",
    ("org_code", "member_no", "post"),
    {"org_code": 32, "member_no": 32, "post": 20},
)
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
)

FEES = FileSpec(
    "fees.csv",
    "党费",
    ("member_no", "month", "due", "paid", "paid_on"),
    {"member_no": 32, "month": 7, "due": 15, "paid": 15, "paid_on": 10},
)

MEETINGS = FileSpec(
    "meetings.csv",
    "组织生活",
    ("org_code", "kind", "held_on", "topic", "attended", "expected"),
    {"org_code": 32, "kind": 20, "held_on": 10, "topic": 200, "attended": 6, "expected": 6},
)

RECRUITMENT = FileSpec(
    "recruitment.csv",
    "发展党员",
    (
        "person_no",
        "name",
        "gender",
        "birth_date",
        "org_code",
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
    ),
    {
        "person_no": 32,
        "name": 50,
        "gender": 2,
        "birth_date": 10,
        "org_code": 32,
        **dict.fromkeys(
            (
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
            ),
            10,
        ),
    },
)

TRANSFERS = FileSpec(
    "transfers.csv",
    "组织关系转接",
    (
        "member_no",
        "from_org_code",
        "to_org_code",
        "to_name",
        "issued_on",
        "valid_days",
        "accepted_on",
    ),
    {
        "member_no": 32,
        "from_org_code": 32,
        "to_org_code": 32,
        "to_name": 100,
        "issued_on": 10,
        "valid_days": 4,
        "accepted_on": 10,
    },
)

STUDY = FileSpec(
    "study.csv",
    "学习学时",
    ("member_no", "year", "hours"),
    {"member_no": 32, "year": 4, "hours": 7},
)

SUPPORTED: dict[str, FileSpec] = {
    s.name: s for s in (ORGS, TERMS, POSTS, MEMBERS, FEES, MEETINGS, RECRUITMENT, TRANSFERS, STUDY)
}

# Files of the format that later modules will add; until then a bundle holding one is refused (every
# file of design.md section 8 is supported now).
LATER: dict[str, str] = {}

COLUMN_LABELS = {
    "code": "组织代码",
    "name": "名称",
    "parent_code": "上级组织代码",
    "kind": "组织类型",
    "category": "单位类别",
    "established_on": "成立日期",
    "org_code": "组织代码",
    "elected_on": "选举日期",
    "term_years": "任期年数",
    "member_no": "党员编号",
    "post": "职务",
    "gender": "性别",
    "birth_date": "出生日期",
    "id_number": "身份证号",
    "phone": "手机号",
    "status": "党籍状态",
    "joined_on": "入党日期",
    "full_on": "转正日期",
    "fee_category": "党费类别",
    "fee_base": "党费基数",
    "person_no": "人员编号",
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
    "from_org_code": "转出组织代码",
    "to_org_code": "转入组织代码",
    "to_name": "接收组织名称",
    "issued_on": "开具日期",
    "valid_days": "有效期（天）",
    "accepted_on": "接收日期",
    "year": "年度",
    "hours": "学时",
    "held_on": "召开日期",
    "topic": "主题",
    "attended": "实到人数",
    "expected": "应到人数",
    "month": "月份",
    "due": "应缴",
    "paid": "实缴",
    "paid_on": "缴纳日期",
}
