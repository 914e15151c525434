from django.db import models


class Role(models.TextChoices):
    BRANCH_WORKER = "branch_worker", "支部党务工作者"
    COMMITTEE_STAFF = "committee_staff", "党委/组织部工作人员"
    SUPERVISOR = "supervisor", "督查人员"
    SYSTEM_ADMIN = "system_admin", "系统管理员"
    SECURITY_ADMIN = "security_admin", "安全管理员"
    AUDIT_ADMIN = "audit_admin", "审计管理员"


STAFF_ROLES = frozenset({Role.BRANCH_WORKER, Role.COMMITTEE_STAFF, Role.SUPERVISOR})
ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})

# What each staff role may do on its subtree.
#   view     read organizations and members (masked)
#   change   edit members, posts, terms; import rosters
#   manage   create, rename, move, dissolve and merge organizations
#   supervise  issue supervision tasks (the engine issue)
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.BRANCH_WORKER: frozenset({"view", "change"}),
    Role.COMMITTEE_STAFF: frozenset({"view", "change", "manage", "supervise"}),
    Role.SUPERVISOR: frozenset({"view", "supervise"}),
}
