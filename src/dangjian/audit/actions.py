"""The registry of audit actions and their Chinese labels (wagtail's log_actions, in small)."""

from __future__ import annotations

ACTIONS: dict[str, str] = {}


def register(action: str, label: str) -> str:
    ACTIONS[action] = label
    return action


def label(action: str) -> str:
    return ACTIONS.get(action, action)


for _action, _label in [
    ("accounts.login", "登录成功"),
    ("accounts.login_failed", "登录失败"),
    ("accounts.locked", "账号锁定"),
    ("accounts.logout", "退出登录"),
    ("accounts.otp_verified", "双因素认证通过"),
    ("accounts.otp_failed", "双因素认证失败"),
    ("accounts.otp_setup", "绑定动态口令"),
    ("accounts.password_change", "修改密码"),
    ("accounts.password_reset", "重置密码"),
    ("accounts.user_create", "创建账号"),
    ("accounts.user_update", "修改账号"),
    ("accounts.user_deactivate", "停用账号"),
    ("accounts.grant_create", "授予角色"),
    ("accounts.grant_revoke", "撤销角色"),
    ("accounts.access_denied", "越权访问被拒绝"),
    ("meetings.plan", "生成年度组织生活计划"),
    ("meetings.plan_one", "安排会议"),
    ("meetings.plan_update", "修改会议计划"),
    ("meetings.publish", "发布会议通知"),
    ("meetings.cancel", "取消会议"),
    ("meetings.sign_in", "会议签到"),
    ("meetings.record", "登记会议记录"),
    ("meetings.appraisal", "录入民主评议等次"),
    ("meetings.rectification_add", "登记整改事项"),
    ("meetings.rectification_done", "整改完成"),
    ("meetings.leave", "登记请假"),
    ("meetings.handling_decide", "不合格党员处置决定"),
    ("meetings.export", "导出会议记录"),
    ("notify.notice_read", "阅读通知"),
    ("orgs.create", "新建组织"),
    ("orgs.update", "修改组织"),
    ("orgs.move", "调整隶属关系"),
    ("orgs.dissolve", "撤销组织"),
    ("orgs.merge", "合并组织"),
    ("orgs.term_create", "录入届次"),
    ("orgs.post_assign", "任命职务"),
    ("orgs.post_end", "免去职务"),
    ("orgs.set_joint", "设定联合党支部"),
    ("notify.contact_update", "修改提醒方式"),
    ("fees.ledger_generate", "生成党费台账"),
    ("fees.assess", "核定党费"),
    ("fees.pay", "交纳党费"),
    ("fees.remit", "登记党费上缴"),
    ("fees.annual_assessment", "完成年度党费核定"),
    ("fees.collection_day", "设置党费收缴日"),
    ("fees.publish", "公布党费收缴使用情况"),
    ("fees.order_create", "创建党费支付订单"),
    ("fees.order_close", "关闭党费支付订单"),
    ("fees.callback_refused", "拒绝支付回调"),
    ("notify.digest", "生成每日汇总提醒"),
    ("orgs.term_extend", "批准延期换届"),
    ("orgs.unit_create", "登记单位/项目"),
    ("orgs.unit_update", "修改单位/项目"),
    ("orgs.request_submit", "登记成立党组织请示"),
    ("orgs.request_answer", "批复成立党组织请示"),
    ("orgs.election_request", "登记换届请示"),
    ("orgs.election_result", "录入选举结果"),
    ("orgs.election_report", "登记选举结果上报"),
    ("members.create", "新增党员"),
    ("members.update", "修改党员信息"),
    ("members.status_change", "党籍状态变更"),
    ("members.move", "变更所在组织"),
    ("members.view", "查看党员个人信息"),
    ("members.unmask", "查看完整敏感信息"),
    ("members.export", "导出党员数据"),
    ("members.import", "导入党员花名册"),
    ("interchange.import", "导入数据包"),
    ("interchange.export", "导出数据包"),
    ("demo.seed", "生成演示数据"),
    ("audit.view", "查阅审计日志"),
    ("compliance.scan", "运行监测检查"),
    ("compliance.scan_request", "发起监测检查"),
    ("supervision.task_create", "下达督办"),
    ("notify.read", "阅读提醒"),
    ("supervision.reply", "回复督办"),
    ("supervision.accept", "督办办结"),
    ("supervision.return", "退回督办"),
    ("compliance.rule_setting", "修改规则设置"),
    ("audit.verify", "校验审计日志"),
]:
    register(_action, _label)
