"""Party fees: the yearly assessment, the ledger (one row per member per month), payments and
online orders. Money is integer fen; a month is kept both as 'YYYY-MM' and as an index
(year * 12 + month - 1) so runs of months are plain integer arithmetic in SQL."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone

from .bands import CATEGORIES


def month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def current_index(today: date | None = None) -> int:
    """This month's index (or `today`'s)."""
    today = today or timezone.localdate()
    return month_index(today.year, today.month)


class AssessmentKind(models.TextChoices):
    ANNUAL = "annual", "年度核定"
    CHANGE = "change", "年中调整"
    REDUCTION = "reduction", "少交"
    EXEMPTION = "exemption", "免交"


class Assessment(models.Model):
    """The monthly amount a member pays from a month on: the yearly assessment, a mid-year change
    with its reason, or a reduction/exemption approved by the next-higher committee."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="fee_assessments"
    )
    kind = models.CharField("类型", max_length=10, choices=AssessmentKind.choices)
    year = models.PositiveSmallIntegerField("年度")
    effective_index = models.PositiveIntegerField("起始月份")
    category = models.CharField("党费类别", max_length=20, choices=list(CATEGORIES.items()))
    base_fen = models.BigIntegerField("计算基数（分）")
    monthly_fen = models.BigIntegerField("月缴金额（分）")
    band = models.CharField("适用标准", max_length=60)
    reason = models.CharField("原因", max_length=300, blank=True)
    approved_by = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="批准组织",
    )
    approved_on = models.DateField("批准日期", null=True, blank=True)
    approval_ref = models.CharField("批准文号", max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "党费核定"
        verbose_name_plural = "党费核定"
        indexes = [
            models.Index(fields=["member", "effective_index"], name="fees_assessment_member")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(monthly_fen__gte=0, base_fen__gte=0),
                name="fees_assessment_nonneg",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {month_label(self.effective_index)}"


class Channel(models.TextChoices):
    CASH = "cash", "现金"
    TRANSFER = "transfer", "银行转账"
    ONLINE = "online", "线上支付"
    IMPORT = "import", "导入"
    CARRIED = "carried", "转入前已交"


class Payment(models.Model):
    """One payment covering one or more months of one member, with its receipt."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="fee_payments"
    )
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="fee_payments"
    )
    amount_fen = models.BigIntegerField("金额（分）")
    channel = models.CharField("方式", max_length=10, choices=Channel.choices)
    paid_on = models.DateField("缴纳日期")
    receipt_no = models.CharField("收据号", max_length=40, unique=True)
    months = models.JSONField("所缴月份", default=list)
    voluntary_fen = models.BigIntegerField("自愿多交（分）", default=0)
    central = models.BooleanField(
        "全额上缴中央", default=False
    )  # a voluntary payment of 1,000 yuan or more
    paid_by = models.ForeignKey(
        "members.Member",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="代缴人",
    )
    consent = models.CharField("支部同意代缴记录", max_length=200, blank=True)
    order = models.OneToOneField(
        "PaymentOrder", null=True, blank=True, on_delete=models.PROTECT, related_name="payment"
    )
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "党费缴纳"
        verbose_name_plural = "党费缴纳"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_fen__gt=0), name="fees_payment_positive"
            )
        ]

    def __str__(self) -> str:
        return self.receipt_no


class FeeMonth(models.Model):
    """The ledger: one row per member per month (due, paid, when, how, who collected, the
    receipt)."""

    # no index of their own: fees_month_one_per_member (member, month) and fees_month_org
    # (organization, month) lead with them (an index less to keep on every row of the ledger)
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="fee_months", db_index=False
    )
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="fee_months", db_index=False
    )
    month_index = models.PositiveIntegerField("月份序号")
    month = models.CharField("月份", max_length=7)
    due_fen = models.BigIntegerField("应缴（分）")
    paid_fen = models.BigIntegerField("实缴（分）", null=True, blank=True)
    paid_on = models.DateField("缴纳日期", null=True, blank=True)
    channel = models.CharField("方式", max_length=10, choices=Channel.choices, blank=True)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="fee_months"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "党费台账"
        verbose_name_plural = "党费台账"
        constraints = [
            models.UniqueConstraint(
                fields=["member", "month_index"],
                name="fees_month_one_per_member",
                violation_error_message="该党员该月已有台账记录",
            ),
            models.CheckConstraint(
                condition=models.Q(due_fen__gte=0), name="fees_month_due_nonneg"
            ),
            models.CheckConstraint(
                condition=models.Q(paid_fen__isnull=True) | models.Q(paid_fen__gte=0),
                name="fees_month_paid_nonneg",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "month_index"], name="fees_month_org"),
            models.Index(fields=["month_index", "organization"], name="fees_month_month_org"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.month}"


class OrderStatus(models.TextChoices):
    CREATED = "created", "待支付"
    PAID = "paid", "已支付"
    CLOSED = "closed", "已关闭"
    REFUNDED = "refunded", "已退款"


class PaymentOrder(models.Model):
    """An online payment order at a provider (sandbox or WeChat Pay)."""

    out_trade_no = models.CharField("商户订单号", max_length=32, unique=True)
    provider = models.CharField("支付渠道", max_length=20)
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="fee_orders"
    )
    month_indexes = models.JSONField("月份", default=list)
    amount_fen = models.BigIntegerField("金额（分）")
    status = models.CharField(
        "状态", max_length=10, choices=OrderStatus.choices, default=OrderStatus.CREATED
    )
    transaction_id = models.CharField("支付流水号", max_length=64, blank=True)
    pay_url = models.CharField(
        "支付地址", max_length=300, blank=True
    )  # a page to go to, or a code to show as QR
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "支付订单"
        verbose_name_plural = "支付订单"
        indexes = [models.Index(fields=["status", "created_at"], name="fees_order_status")]

    def __str__(self) -> str:
        return self.out_trade_no


class Notification(models.Model):
    """Provider callbacks seen, by their id: a replayed notification is recognised and ignored."""

    provider = models.CharField(max_length=20)
    notification_id = models.CharField(max_length=64)
    received_at = models.DateTimeField(auto_now_add=True)
    out_trade_no = models.CharField(max_length=32, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "notification_id"], name="fees_notification_once"
            )
        ]

    def __str__(self) -> str:
        return self.notification_id


class SandboxTransaction(models.Model):
    """The sandbox provider's own books (what a real provider would keep on its side)."""

    out_trade_no = models.CharField(max_length=32, unique=True)
    amount_fen = models.BigIntegerField()
    description = models.CharField(max_length=100)
    status = models.CharField(max_length=10, default="notpay")  # notpay, paid, closed, refunded
    transaction_id = models.CharField(max_length=64, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "模拟支付流水"
        verbose_name_plural = "模拟支付流水"

    def __str__(self) -> str:
        return self.out_trade_no


class Publication(models.Model):
    """The branch's yearly publication of fee collection and use to its members (DF-N; FEE-12)."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="fee_publications"
    )
    year = models.PositiveSmallIntegerField("年度")
    published_on = models.DateField("公布日期")
    collected_fen = models.BigIntegerField("收缴合计（分）")
    remitted_fen = models.BigIntegerField("上缴合计（分）")
    method = models.CharField("公布方式", max_length=100)
    note = models.CharField("说明", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "党费收缴使用公布"
        verbose_name_plural = "党费收缴使用公布"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year"],
                name="fees_publication_once_a_year",
                violation_error_message="该年度已公布",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.year}"


class Remittance(models.Model):
    """Fees sent upward (上缴): from an organization to the one above, for a period, at a
    percentage.
    """

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="fee_remittances"
    )
    to_organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField(
        "季度", null=True, blank=True
    )  # null: the whole year
    collected_fen = models.BigIntegerField("期间收缴（分）")
    percent = models.DecimalField("上缴比例（%）", max_digits=5, decimal_places=2)
    amount_fen = models.BigIntegerField("上缴金额（分）")
    remitted_on = models.DateField("上缴日期")
    reference = models.CharField("凭证号", max_length=60, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "党费上缴"
        verbose_name_plural = "党费上缴"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year", "quarter"],
                name="fees_remittance_once_per_period",
                violation_error_message="该期间已登记上缴",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_fen__gte=0), name="fees_remittance_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.year}Q{self.quarter or ''}"


class CollectionDay(models.Model):
    """The branch's fixed day of the month for collecting fees (DF-N); members are reminded before
    it."""

    organization = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, related_name="fee_collection_day"
    )
    day = models.PositiveSmallIntegerField("每月收缴日")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "党费收缴日"
        verbose_name_plural = "党费收缴日"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(day__gte=1, day__lte=28), name="fees_collection_day_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.day}"


class FeeRollup(models.Model):
    """Per organization and month, its own members' ledger totals — kept set-based after the ledger
    is opened, a payment is recorded or fees are imported — so a committee's collection page sums
    thousands of these rows instead of millions of ledger rows."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+"
    )
    month_index = models.PositiveIntegerField()
    due_fen = models.BigIntegerField(default=0)
    paid_fen = models.BigIntegerField(default=0)
    members = models.PositiveIntegerField(default=0)
    paid_members = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "month_index"], name="fees_rollup_one")
        ]
        indexes = [models.Index(fields=["month_index", "organization"], name="fees_rollup_month")]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.month_index}"


class AnnualAssessment(models.Model):
    """The branch has assessed every member's monthly amount for the year (年度核定, DF-N: at the
    start
    of
    the year, normally by 31 March; FEE-07). Individual changes are `Assessment` rows."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="fee_annual_assessments"
    )
    year = models.PositiveSmallIntegerField("年度")
    done_on = models.DateField("核定日期")
    members = models.PositiveIntegerField("核定人数")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "年度党费核定"
        verbose_name_plural = "年度党费核定"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year"],
                name="fees_annual_once",
                violation_error_message="该年度已完成核定",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.year}"
