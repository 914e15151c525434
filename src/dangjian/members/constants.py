from django.db import models


class MemberStatus(models.TextChoices):
    PROBATIONARY = "probationary", "预备党员"
    FULL = "full", "正式党员"
    SUSPENDED = "suspended", "停止党籍"
    PERSUADED = "persuaded", "劝退"
    REMOVED_REFUSED = "removed_refused", "劝而不退除名"
    REMOVED_LAPSED = "removed_lapsed", "自行脱党除名"
    REMOVED_WITHDREW = "removed_withdrew", "退党除名"
    EXPELLED = "expelled", "开除党籍"
    DECEASED = "deceased", "去世"
    DISQUALIFIED = "disqualified", "取消预备党员资格"
    TRANSFERRED_OUT = "transferred_out", "组织关系已转出"


ACTIVE_STATUSES = (MemberStatus.PROBATIONARY, MemberStatus.FULL)
ON_ROLL_STATUSES = (MemberStatus.PROBATIONARY, MemberStatus.FULL, MemberStatus.SUSPENDED)
# Who pays party fees: full and probationary members (a suspended member, 停止党籍, does not).
FEE_STATUSES = (MemberStatus.PROBATIONARY, MemberStatus.FULL)
EXIT_STATUSES = (
    MemberStatus.PERSUADED,
    MemberStatus.REMOVED_REFUSED,
    MemberStatus.REMOVED_LAPSED,
    MemberStatus.REMOVED_WITHDREW,
    MemberStatus.EXPELLED,
    MemberStatus.DECEASED,
    MemberStatus.DISQUALIFIED,
)

# Off the roll: left the party (the exits) or the organizational relationship moved out of the
# deployment. A member off the roll can no longer sign in.
OFF_ROLL_STATUSES = (*EXIT_STATUSES, MemberStatus.TRANSFERRED_OUT)

# Allowed state changes through the status service. Conversion (预备→正式) and admission come from
# the recruitment workflow in its own issue; here staff record decisions already taken
# (general meeting + higher approval), with the date and the document reference.
STATUS_TRANSITIONS: dict[str, set[str]] = {
    MemberStatus.PROBATIONARY: {MemberStatus.FULL, MemberStatus.TRANSFERRED_OUT, *EXIT_STATUSES},
    # only a probationary member can have the probationary membership cancelled (FZ14 Art 32)
    MemberStatus.FULL: {
        MemberStatus.SUSPENDED,
        MemberStatus.TRANSFERRED_OUT,
        *(s for s in EXIT_STATUSES if s != MemberStatus.DISQUALIFIED),
    },
    MemberStatus.SUSPENDED: {
        MemberStatus.FULL,
        MemberStatus.TRANSFERRED_OUT,
        *(s for s in EXIT_STATUSES if s != MemberStatus.DISQUALIFIED),
    },
}


class Gender(models.TextChoices):
    MALE = "男", "男"
    FEMALE = "女", "女"


class FeeCategory(models.TextChoices):
    EMPLOYED = "employed", "在职"
    RETIRED = "retired", "离退休"
    FARMER = "farmer", "农民"
    STUDENT = "student", "学生"
    UNEMPLOYED = "unemployed", "下岗失业/低保"
    OTHER = "other", "其他"


class Education(models.TextChoices):
    POSTGRADUATE = "postgraduate", "研究生"
    BACHELOR = "bachelor", "大学本科"
    COLLEGE = "college", "大学专科"
    SECONDARY_VOCATIONAL = "secondary_vocational", "中专"
    HIGH_SCHOOL = "high_school", "高中"
    JUNIOR_OR_BELOW = "junior_or_below", "初中及以下"


class Occupation(models.TextChoices):
    """Occupation categories of the party statistics (党内统计公报)."""

    WORKER = "worker", "工人（工勤技能人员）"
    FARMER = "farmer", "农牧渔民"
    PROFESSIONAL = "professional", "企事业单位、社会组织专业技术人员"
    MANAGER = "manager", "企事业单位、社会组织管理人员"
    CIVIL_SERVANT = "civil_servant", "党政机关工作人员"
    STUDENT = "student", "学生"
    OTHER = "other", "其他职业人员"
    RETIRED = "retired", "离退休人员"


class MemberEventKind(models.TextChoices):
    JOINED = "joined", "入党"
    CREATED = "created", "建档"
    IMPORTED = "imported", "导入"
    EDITED = "edited", "信息修改"
    STATUS = "status", "党籍状态变更"
    MOVED = "moved", "所在组织变更"


ETHNICITIES = [
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
]
ETHNICITY_CHOICES = [(e, e) for e in ETHNICITIES]
