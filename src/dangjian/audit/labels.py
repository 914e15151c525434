"""An audit event's details in Chinese words: every key of the data the code records has a label
here (tests/audit/test_labels.py reads the code to check it), and values are shown as people read
them — a choice by its label (from the models of the app that recorded the event, so a meeting's
`kind` reads 主题党日 and an organization's 党支部), yes/no, 无 for nothing, dates as dates."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.apps import apps

FIELDS: dict[str, str] = {
    "about_branch": "反映本支部问题",
    "advance_months": "提前月数",
    "after": "之后",
    "alliance": "共建协议",
    "amount": "金额",
    "anonymous": "匿名",
    "answered_on": "答复日期",
    "applied_on": "申请日期",
    "approve": "是否批准",
    "approved_on": "批准日期",
    "as_of": "检查日期",
    "backup_codes": "备用码数",
    "base": "计算基数",
    "batch": "批次",
    "before": "之前",
    "birth_date": "出生日期",
    "broken_id": "断链记录",
    "by_member": "党员申请",
    "can_unmask": "可查看完整敏感信息",
    "candidates": "候选人数",
    "cards": "张数",
    "category": "类别",
    "central": "上缴中央",
    "changed": "已更改",
    "changes": "变更",
    "channel": "方式",
    "checked": "已校验条数",
    "close": "办结",
    "code": "代码",
    "collected": "收缴金额",
    "collective_fen": "村集体收入（分）",
    "area": "片区",
    "disposable_fen": "农村居民人均可支配收入（分）",
    "district": "区",
    "town": "镇（街道）",
    "area_mu": "面积（亩）",
    "arrived_on": "到村日期",
    "crop": "作物",
    "fee_fen": "认领费用（分）",
    "income_fen": "带动村集体增收（分）",
    "investment_fen": "投资（分）",
    "left_on": "离村日期",
    "on_site": "在村",
    "photos": "照片数",
    "plot": "地块",
    "project": "帮扶项目",
    "round": "帮扶轮次",
    "season": "认领季节",
    "starts_on": "开始日期",
    "villages": "村",
    "visited_on": "走访日期",
    "yield_kg": "收获（公斤）",
    "columns": "导出的列",
    "comment": "评语",
    "community": "社区",
    "converted": "已转换行数",
    "count": "数量",
    "counts": "数量",
    "course": "课程",
    "covered_by": "覆盖的党组织",
    "created": "新建数",
    "daily_cap": "每日上限",
    "day": "日期",
    "deadline": "期限",
    "decision": "决定",
    "deliveries": "外发条数",
    "deployment": "部署",
    "device": "验证方式",
    "direction": "方向",
    "done_on": "完成日期",
    "due_on": "期限",
    "education": "学历",
    "elected_on": "选举日期",
    "eligible": "应到人数",
    "enabled": "启用",
    "ended_on": "结束日期",
    "ends_on": "到期日期",
    "ethnicity": "民族",
    "export": "导出内容",
    "fee_base_fen": "党费基数（分）",
    "fee_category": "党费类别",
    "fee_paid_through": "党费交至",
    "field": "字段",
    "fields": "字段",
    "file": "文件",
    "files": "附件",
    "filters": "筛选条件",
    "finding": "预警",
    "format": "格式",
    "from": "原",
    "full_members": "正式党员数",
    "full_on": "转正日期",
    "gender": "性别",
    "grade": "评价",
    "handlings_opened": "启动处置数",
    "head_name": "邻长",
    "held_on": "召开日期",
    "hours": "学时",
    "how": "方式",
    "id_number": "身份证号",
    "into": "并入",
    "is_active": "启用",
    "is_joint": "联合党支部",
    "issuer": "开具部署",
    "joined_on": "入党日期",
    "key": "标识",
    "key_id": "密钥标识",
    "keys": "密钥数",
    "kind": "类型",
    "label": "名称",
    "letter_no": "介绍信编号",
    "meeting": "会议",
    "meeting_on": "会议日期",
    "member": "党员",
    "members": "党员数",
    "members_moved": "随迁党员数",
    "min_winner_votes": "当选最低票数",
    "month": "月份",
    "monthly": "月交纳额",
    "months": "月数",
    "motion": "表决事项",
    "name": "名称",
    "note": "说明",
    "notices": "通知数",
    "notified": "通知人数",
    "occupation": "职业类别",
    "on": "日期",
    "operating_fen": "经营性收入（分）",
    "organization": "组织",
    "organizations": "督办对象",
    "orgs": "组织数",
    "origin_no": "原党员编号",
    "paid_by": "代缴人",
    "paper": "试卷",
    "parent": "上级组织",
    "parties": "共建单位",
    "path": "页面",
    "percent": "比例",
    "person_no": "编号",
    "personal": "含个人信息",
    "phone": "手机号",
    "pieces": "片段数",
    "place": "地点",
    "planned": "计划数",
    "planned_on": "计划日期",
    "points": "积分",
    "post": "职务",
    "present": "实到人数",
    "proposed_name": "拟成立组织",
    "provider": "支付渠道",
    "quarter": "季度",
    "raiser": "反映人",
    "ranking": "参加排名",
    "rating": "满意度",
    "reason": "原因",
    "receipt_no": "收据号",
    "receiver_member_no": "接收方党员编号",
    "refund": "退款",
    "remaining": "未转换行数",
    "reminders": "提醒数",
    "remitted": "上缴金额",
    "reported_on": "报告日期",
    "requested_on": "申请日期",
    "residents": "群众人数",
    "restored": "恢复原档案",
    "result": "结果",
    "role": "角色",
    "rows": "行数",
    "rule": "规则",
    "scale": "规模",
    "scope": "范围",
    "score": "得分",
    "seats": "应选人数",
    "secretary_approved_on": "书记批准日期",
    "seed": "种子",
    "sha256": "文件摘要（SHA-256）",
    "since": "开始日期",
    "source": "来源",
    "status": "状态",
    "step": "步骤",
    "submitted_on": "报送日期",
    "superseded": "被替代的版本",
    "tables": "涉及的记录",
    "task": "督办",
    "term_years": "任期（年）",
    "theme_day": "主题党日（每月几日）",
    "title": "标题",
    "to": "新",
    "today": "日期",
    "topic": "主题",
    "transcript_chars": "文字稿字数",
    "unit": "单位",
    "unmasked": "含完整身份证号",
    "until": "截至",
    "user": "账号",
    "username": "用户名",
    "valid_days": "有效期（天）",
    "value": "内容",
    "via": "途径",
    "village": "村",
    "votes": "票数",
    "what": "服务内容",
    "work_unit": "工作单位",
    "workday": "工作日",
    "working_days": "工作日数",
    "credit_code": "统一社会信用代码",
    "instructor": "指导员",
    "topics": "指导内容",
    "followups": "跟进事项数",
    "cases": "排查发现人数",
    "park": "园区",
    "ref": "编号",
    "add": "登记",
    "remove": "移出",
    "replaced": "原指导员",
    "holder": "担任人",
    "counts_as": "计入组织生活",
    "participants": "参加组织",
    "outcome": "成效",
    "logo": "标识",
    "awarded_by": "授予机关",
    "level": "级别",
    "target": "培养目标",
    "team": "突击队",
    "year": "年度",
    "years": "年份",
    "accepted": "录取人数",
    "moved_up": "候补递补",
    "names": "人员",
    "nominee": "学员类别",
    "number": "编号",
    "person": "人员",
    "not_completed": "未结业人数",
    "completed": "结业人数",
    "waiting": "候补人数",
    "declined": "未录取人数",
    "recruitment": "填入发展档案",
}
# a key meaning something else in one app's events
APP_FIELDS: dict[tuple[str, str], str] = {
    ("meetings", "kind"): "会议类型",
    ("orgs", "kind"): "组织类型",
    ("fees", "kind"): "类型",
    ("members", "from"): "原状态",
    ("members", "to"): "新状态",
    ("notify", "changed"): "更改的提醒方式",
}
# values that are not a model's choices
VALUES: dict[str, str] = {
    "StaticDevice": "备用码",
    "TOTPDevice": "动态口令",
    "import": "数据导入",
    "web": "网页",
    "cli": "命令行",
    "job": "后台任务",
    "download": "下载",
    "print": "打印",
    "success": "成功",
    "failure": "失败",
    "denied": "拒绝",
    "id_number": "身份证号",
    "phone": "手机号",
}


@cache
def _verbose(app_label: str) -> dict[str, str]:
    """Field name → verbose name over the app's models (the first model naming a field wins)."""
    out: dict[str, str] = {}
    try:
        config = apps.get_app_config(app_label)
    except LookupError:
        return out
    for model in config.get_models():
        for f in model._meta.get_fields():
            name = getattr(f, "verbose_name", None)
            if name and f.name not in out and not str(name).isascii():
                out[f.name] = str(name)
    return out


@cache
def _choices(app_label: str) -> dict[str, dict[str, str]]:
    """Field name → {value: label} over the app's models (the first model naming a field wins)."""
    out: dict[str, dict[str, str]] = {}
    try:
        config = apps.get_app_config(app_label)
    except LookupError:
        return out
    for model in config.get_models():
        for f in model._meta.get_fields():
            choices = getattr(f, "choices", None)
            if choices and f.name not in out:
                out[f.name] = {str(k): str(v) for k, v in choices}
    return out


def field_label(app_label: str, key: str) -> str:
    return (
        APP_FIELDS.get((app_label, key)) or _verbose(app_label).get(key) or FIELDS.get(key) or key
    )


def value_text(app_label: str, key: str, value: Any) -> str:
    if value is None or value == "":
        return "无"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(value_text(app_label, key, v) for v in value) or "无"
    if isinstance(value, dict):
        return "，".join(
            f"{field_label(app_label, k)}：{value_text(app_label, k, v)}" for k, v in value.items()
        )
    text = str(value)
    choices = _choices(app_label).get(key, {})
    # "from"/"to" of a status change: the member statuses
    if not choices and key in ("from", "to", "status"):
        choices = _choices(app_label).get("status", {})
    return choices.get(text) or VALUES.get(text) or text


def describe(action: str, data: Any) -> str:
    """One line in words: `标签：值；…`, changes as `标签：旧 → 新`."""
    if not isinstance(data, dict):
        return "" if data in (None, "") else str(data)
    app_label = action.split(".", 1)[0]
    parts = []
    changes = data.get("changes")
    if isinstance(changes, dict):
        for key, pair in changes.items():
            if isinstance(pair, list) and len(pair) == 2:
                old, new = (value_text(app_label, key, v) for v in pair)
                parts.append(f"{field_label(app_label, key)}：{old} → {new}")
    for key, value in data.items():
        if key == "changes":
            continue
        parts.append(f"{field_label(app_label, key)}：{value_text(app_label, key, value)}")
    return "；".join(parts)
