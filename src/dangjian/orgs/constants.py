from django.db import models


class OrgKind(models.TextChoices):
    COMMITTEE = "committee", "党委"
    GENERAL_BRANCH = "general_branch", "党总支"
    BRANCH = "branch", "党支部"
    GROUP = "group", "党小组"


class OrgCategory(models.TextChoices):
    ORGAN = "organ", "机关"
    INSTITUTION = "institution", "事业单位"
    SOE = "soe", "国有企业"
    PRIVATE = "private", "非公企业"
    SOCIAL = "social", "社会组织"
    COMMUNITY = "community", "社区"
    VILLAGE = "village", "村"
    SCHOOL = "school", "学校"
    OTHER = "other", "其他"


class PostKind(models.TextChoices):
    SECRETARY = "secretary", "书记"
    DEPUTY_SECRETARY = "deputy_secretary", "副书记"
    ORGANIZATION = "organization", "组织委员"
    PROPAGANDA = "propaganda", "宣传委员"
    DISCIPLINE = "discipline", "纪检委员"
    COMMITTEE_MEMBER = "committee_member", "委员"
    GROUP_LEADER = "group_leader", "党小组长"


class OrgChangeKind(models.TextChoices):
    CREATED = "created", "成立"
    RENAMED = "renamed", "更名"
    MOVED = "moved", "调整隶属关系"
    RECLASSIFIED = "reclassified", "调整类型"
    DISSOLVED = "dissolved", "撤销"
    MERGED = "merged", "合并"
    IMPORTED = "imported", "导入"


# Which kinds may sit under which (a group only inside a branch; nothing under a group).
ALLOWED_PARENT_KINDS: dict[str, set[str]] = {
    OrgKind.COMMITTEE: {OrgKind.COMMITTEE},
    OrgKind.GENERAL_BRANCH: {OrgKind.COMMITTEE},
    OrgKind.BRANCH: {OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH},
    OrgKind.GROUP: {OrgKind.BRANCH},
}
