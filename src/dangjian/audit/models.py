"""The audit trail: append-only, hash-chained events written inside each service's transaction."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One audited action: who (and in what role), on what, where from, with the field diff.

    Rows are never updated or deleted by the application; database triggers refuse it (see the
    migration). `hash` chains each row to the previous one; it is filled in id order by the seal
    job (`audit.services.audit_seal`), so concurrent writers never queue behind one lock.
    """

    time = models.DateTimeField("时间", db_index=True)
    # The log outlives what it describes: no cascading writes into an append-only table.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    actor_name = models.CharField("操作人", max_length=150, blank=True)
    role = models.CharField("角色", max_length=30, blank=True)
    organization = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    organization_path = models.CharField(max_length=255, blank=True, db_index=True)
    action = models.CharField("操作", max_length=60, db_index=True)
    object_type = models.CharField("对象类型", max_length=60, blank=True)
    object_id = models.CharField("对象ID", max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    result = models.CharField("结果", max_length=20, default="success")
    data = models.JSONField("内容", default=dict)
    ip = models.CharField("来源IP", max_length=45, blank=True)
    request_id = models.CharField("请求ID", max_length=32, blank=True)
    source = models.CharField("来源", max_length=10, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)
    # HMAC of the row's content at insert, under a key the database does not hold: a row inserted
    # by someone who can only write the database has none that verifies
    mac = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        verbose_name = "审计事件"
        verbose_name_plural = "审计事件"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["action", "time"], name="audit_action_time"),
            models.Index(fields=["actor", "time"], name="audit_actor_time"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action}"


class AuditSeal(models.Model):
    """The head of the sealed chain: the last sealed id and its hash (one row)."""

    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="")
    sealed_at = models.DateTimeField(null=True)
    # rows from this id on are chained with HMAC (keyed); earlier ones (before the upgrade) with
    # plain SHA-256. Fixed once; the triggers refuse to change it, the external seal records it
    keyed_from = models.BigIntegerField(default=1)

    def __str__(self) -> str:
        return f"sealed through {self.last_id}"
