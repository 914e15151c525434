"""Transfers of organizational relationship (组织关系转接, rules.md §5).

Transfer: one row per introduction letter sent (inside the deployment or out of it). IncomingLetter:
a letter received from outside (signed by another dangjian deployment, or registered from paper).
ExchangeKey / TrustedKey / SeenMessage: the deployment's Ed25519 signing key, the published keys of
other deployments it trusts, and the nonces of signed messages already imported (no replay).
MobileMember / MobileReport: 流动党员 (outflow and inflow) and their yearly reports. LostContact:
失联党员
and the decisions people take on them (停止党籍, 自行脱党除名); nothing is decided automatically."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import models

from dangjian.core import crypto, idnumber


class TransferStatus(models.TextChoices):
    OPEN = "open", "转接中"
    ACCEPTED = "accepted", "已接收"
    REJECTED = "rejected", "已退回"
    CANCELLED = "cancelled", "已撤销"
    EXPIRED = "expired", "已过期"


class Stage(models.TextChoices):
    STARTED = "started", "已申请，待转出党委审批"
    ISSUED = "issued", "已开具介绍信"
    RECEIVING_APPROVED = "receiving", "转入党委已同意，待支部接收"


OPEN_STATUSES = (TransferStatus.OPEN,)


class Transfer(models.Model):
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="transfers")
    from_org = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="transfers_out"
    )
    # inside the deployment: the receiving branch; leaving it: empty, with the receiving
    # organization's name
    to_org = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_in",
    )
    to_name = models.CharField("接收组织名称", max_length=100, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=TransferStatus.choices, default=TransferStatus.OPEN
    )
    stage = models.CharField("进度", max_length=10, choices=Stage.choices, default=Stage.ISSUED)
    reason = models.CharField("转接原因", max_length=200, blank=True)
    started_on = models.DateField("申请日期", null=True, blank=True)
    issued_on = models.DateField("介绍信开具日期", null=True, blank=True)
    valid_days = models.PositiveSmallIntegerField("有效期（天）", default=90)
    letter_no = models.CharField("介绍信编号", max_length=30, blank=True)
    fee_paid_through = models.CharField("党费交至", max_length=7, blank=True)
    fee_resume = models.CharField("转入后党费起交月份", max_length=7, blank=True)
    receiving_approved_on = models.DateField("转入党委同意日期", null=True, blank=True)
    closed_on = models.DateField("结束日期", null=True, blank=True)
    closed_reason = models.CharField("退回或撤销原因", max_length=200, blank=True)
    accepted_on = models.DateField("接收（回执）日期", null=True, blank=True)
    source = models.CharField("来源", max_length=10, default="web")
    batch = models.CharField("批量转接批次", max_length=40, blank=True, db_index=True)
    token = models.TextField("电子介绍信（签名）", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "组织关系转接"
        verbose_name_plural = "组织关系转接"
        ordering = ["-issued_on", "-id"]
        constraints = [
            # a member is in transit at most once: the second open letter is refused by the
            # database too
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(status="open"),
                name="transfers_one_open_per_member",
                violation_error_message="该党员已有正在办理的组织关系转接",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_days__gte=1, valid_days__lte=180),
                name="transfers_validity_range",
                violation_error_message="介绍信有效期为1至180天",
            ),
        ]
        indexes = [models.Index(fields=["status", "issued_on"], name="transfers_open_issued")]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.from_org_id} → {self.to_org_id or self.to_name}"

    @property
    def expires_on(self) -> date | None:
        """The last valid day: issued_on + valid_days (rules-contract.md, TRF-02)."""
        return self.issued_on + timedelta(days=self.valid_days) if self.issued_on else None


class IncomingStatus(models.TextChoices):
    PENDING = "pending", "待接收"
    ACCEPTED = "accepted", "已接收"
    REJECTED = "rejected", "已退回"


class IncomingLetter(models.Model):
    """A letter from outside the deployment: signed (imported from another dangjian deployment's
    file
    or QR code, signature verified) or registered by hand from the paper letter."""

    letter_no = models.CharField("介绍信编号", max_length=40)
    issuer = models.CharField("开具单位（部署）标识", max_length=64, blank=True)
    from_name = models.CharField("转出党组织", max_length=100)
    to_org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="incoming_letters",
        verbose_name="转入党支部",
    )
    member_no = models.CharField("党员编号", max_length=32)
    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=2)
    birth_date = models.DateField("出生日期")
    id_number_encrypted = models.TextField("身份证号（密文）", blank=True)
    id_number_masked = models.CharField("身份证号", max_length=18, blank=True)
    member_status = models.CharField("党员类别", max_length=20)
    joined_on = models.DateField("入党日期")
    full_on = models.DateField("转正日期", null=True, blank=True)
    issued_on = models.DateField("开具日期")
    valid_days = models.PositiveSmallIntegerField("有效期（天）")
    fee_paid_through = models.CharField("党费交至", max_length=7, blank=True)
    signed = models.BooleanField("已验证签名", default=False)
    payload = models.TextField("签名报文", blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=IncomingStatus.choices, default=IncomingStatus.PENDING
    )
    member = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    accepted_on = models.DateField("接收日期", null=True, blank=True)
    closed_reason = models.CharField("退回原因", max_length=200, blank=True)
    fee_category = models.CharField("党费类别", max_length=20, blank=True)
    fee_base_fen = models.BigIntegerField("党费基数（分）", default=0)
    receipt_token = models.TextField("电子回执（签名）", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "外来介绍信"
        verbose_name_plural = "外来介绍信"
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "letter_no"],
                name="transfers_incoming_once",
                violation_error_message="该介绍信已登记",
            )
        ]

    def __str__(self) -> str:
        return f"{self.letter_no} {self.name}"


class ExchangeKey(models.Model):
    """This deployment's Ed25519 signing key (the private half encrypted with the field key). One is
    active; older ones stay published so letters signed with them still verify."""

    key_id = models.CharField("密钥标识", max_length=32, unique=True)
    deployment = models.CharField("本部署名称", max_length=100)
    public_key = models.CharField("公钥（base64）", max_length=64)
    private_encrypted = models.TextField("私钥（密文）")
    active = models.BooleanField("启用", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "本部署签名密钥"
        verbose_name_plural = "本部署签名密钥"
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=models.Q(active=True), name="transfers_one_active_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.deployment} {self.key_id}"


class TrustedKey(models.Model):
    """Another deployment's published public key, registered by the security admin."""

    key_id = models.CharField("密钥标识", max_length=32, unique=True)
    deployment = models.CharField("部署名称", max_length=100)
    public_key = models.CharField("公钥（base64）", max_length=64)
    revoked = models.BooleanField("已停用", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "信任的外部公钥"
        verbose_name_plural = "信任的外部公钥"

    def __str__(self) -> str:
        return f"{self.deployment} {self.key_id}"


class SeenMessage(models.Model):
    """A signed message already imported: the same (key, nonce) is refused a second time."""

    key_id = models.CharField(max_length=32)
    nonce = models.CharField(max_length=40)
    kind = models.CharField(max_length=10)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key_id", "nonce"], name="transfers_message_once")
        ]

    def __str__(self) -> str:
        return f"{self.key_id}:{self.nonce}"


class MobileDirection(models.TextChoices):
    OUT = "out", "外出（流出）"
    IN = "in", "外来（流入）"


class MobileMember(models.Model):
    """流动党员: a member of ours away ≥6 months without transferring (outflow), or a member of
    another
    organization living or working here (inflow, kept by name and their home organization)."""

    direction = models.CharField("方向", max_length=3, choices=MobileDirection.choices)
    organization = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="mobile_members",
        verbose_name="管理党组织",
    )
    member = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="mobile"
    )
    name = models.CharField("姓名", max_length=50)
    home_org = models.CharField("组织关系所在党组织", max_length=100, blank=True)
    place = models.CharField("流向（流入）地点", max_length=100)
    reason = models.CharField("外出（流入）原因", max_length=100)
    fixed_place = models.BooleanField("在相对固定处所", default=False)
    since = models.DateField("外出（流入）日期")
    # the contact is personal data: encrypted like a member's phone, shown masked
    contact_encrypted = models.TextField("联系方式（密文）", blank=True, default="")
    contact_masked = models.CharField("联系方式", max_length=50, blank=True, default="")
    card_no = models.CharField("流动党员活动证编号", max_length=30, blank=True)
    ended_on = models.DateField("返回（离开）日期", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "流动党员"
        verbose_name_plural = "流动党员"
        ordering = ["-since", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(ended_on__isnull=True, direction="out"),
                name="transfers_one_outflow_per_member",
                violation_error_message="该党员已登记为外出流动党员",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_direction_display()}）"

    def contact(self) -> str:
        return crypto.decrypt(self.contact_encrypted) if self.contact_encrypted else ""

    def set_contact(self, value: str) -> None:
        value = (value or "").strip()[:50]
        self.contact_encrypted = crypto.encrypt(value) if value else ""
        self.contact_masked = idnumber.mask_contact(value)


class MobileReport(models.Model):
    mobile = models.ForeignKey(MobileMember, on_delete=models.CASCADE, related_name="reports")
    on = models.DateField("汇报日期")
    content = models.TextField("汇报内容")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.mobile_id} {self.on}"


class LostStatus(models.TextChoices):
    OPEN = "open", "失去联系"
    FOUND = "found", "已恢复联系"
    SUSPENDED = "suspended", "已停止党籍"
    REMOVED = "removed", "已按自行脱党除名"
    RESTORED = "restored", "已恢复党籍"


class LostContact(models.Model):
    """失联党员 (JY Art 24): recorded by the branch; people decide each step."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="lost_contacts"
    )
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="lost_contacts"
    )
    since = models.DateField("失去联系日期")
    efforts = models.TextField("查找情况", blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=LostStatus.choices, default=LostStatus.OPEN
    )
    suspended_on = models.DateField("停止党籍日期", null=True, blank=True)
    closed_on = models.DateField("结束日期", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "失联党员"
        verbose_name_plural = "失联党员"
        ordering = ["since", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(status__in=["open", "suspended"]),
                name="transfers_one_lost_per_member",
                violation_error_message="该党员已登记为失联党员",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.get_status_display()}"
