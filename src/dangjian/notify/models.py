"""Reminders: one per (finding, person), shown in the person's inbox until the finding closes."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Reminder(models.Model):
    """A finding brought to one person who must act on it (level 0), or to the next level up (1)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    finding = models.ForeignKey(
        "compliance.Finding", on_delete=models.CASCADE, related_name="reminders"
    )
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+"
    )
    level = models.PositiveSmallIntegerField("层级", default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    closed_on = models.DateField("结束日期", null=True, blank=True)
    # Included in an outbound digest (email/SMS/WeChat): a reminder goes out at most once.
    notified_at = models.DateTimeField("外发时间", null=True, blank=True)

    class Meta:
        verbose_name = "提醒"
        verbose_name_plural = "提醒"
        constraints = [
            models.UniqueConstraint(
                fields=["finding", "user"],
                name="notify_reminder_one_per_person",
                violation_error_message="同一预警对同一人只提醒一次",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "closed_on", "read_at"], name="notify_reminder_inbox")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ← {self.finding_id}"


class Notice(models.Model):
    """A message to one person that is not a finding: a meeting notice (会议通知) and the like.
    Shown in the inbox; goes out in the person's next digest on their chosen channels."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices"
    )
    # the organization it is about (none for a personal notice: an export ready to download)
    organization = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField("标题", max_length=100)
    body = models.CharField("内容", max_length=500)
    url = models.CharField("链接", max_length=200, blank=True)
    # what sent it (e.g. "meeting:12"): one notice per person and key
    key = models.CharField(max_length=80)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    notified_at = models.DateTimeField("外发时间", null=True, blank=True)

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notify_notice_once")]
        indexes = [models.Index(fields=["user", "read_at"], name="notify_notice_inbox")]

    def __str__(self) -> str:
        return self.title


class Channel(models.TextChoices):
    EMAIL = "email", "电子邮件"
    SMS = "sms", "短信"
    WECHAT = "wechat", "微信"


class Contact(models.Model):
    """Where a person wants reminders besides the inbox. The phone is encrypted like members'
    phones."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact"
    )
    email = models.EmailField("电子邮箱", blank=True)
    phone_encrypted = models.TextField("手机号（密文）", blank=True)
    phone_masked = models.CharField("手机号", max_length=20, blank=True)
    wechat_openid = models.CharField("微信OpenID", max_length=64, blank=True)
    email_on = models.BooleanField("邮件提醒", default=False)
    sms_on = models.BooleanField("短信提醒", default=False)
    wechat_on = models.BooleanField("微信提醒", default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "提醒方式"
        verbose_name_plural = "提醒方式"

    def __str__(self) -> str:
        return str(self.user_id)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"
    CANCELLED = "cancelled", "已取消"


class Delivery(models.Model):
    """One outbound message (a person's daily digest on one channel) and its attempts: the delivery
    log.

    At most one per (person, channel, day). Sent at least once: a failure is retried with back-off
    until `max_attempts`; a digest whose reminders have all closed before it goes out is cancelled.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    day = models.DateField("日期")
    reminder_ids = models.JSONField("提醒", default=list)
    notice_ids = models.JSONField("通知", default=list)
    status = models.CharField(
        "状态", max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试时间")
    last_error = models.CharField("最近错误", max_length=300, blank=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    summary = models.CharField("内容摘要", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "外发记录"
        verbose_name_plural = "外发记录"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "channel", "day"],
                name="notify_delivery_one_digest_per_day",
                violation_error_message="同一人同一渠道每天只发一次汇总提醒",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notify_delivery_due")]

    def __str__(self) -> str:
        return f"{self.channel} → {self.user_id} {self.day}"
