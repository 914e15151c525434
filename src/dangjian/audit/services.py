"""Writing, sealing and verifying the audit trail."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from dangjian.core import context
from dangjian.core.idnumber import mask, mask_phone

from .models import AuditEvent, AuditSeal

SENSITIVE_KEYS = {"id_number", "phone", "password"}


def mask_value(key: str, value: Any) -> Any:
    """Mask a sensitive value before it goes into a diff."""

    if value in (None, ""):
        return value
    if key == "id_number":
        return mask(str(value))
    if key == "phone":
        return mask_phone(str(value))
    if key == "password":
        return "******"
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for changed fields, sensitive values masked."""
    out: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            out[key] = [_jsonable(mask_value(key, old)), _jsonable(mask_value(key, new))]
    return out


def _jsonable(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    return value


def _no_role(actor: Any, organization: Any) -> str:
    return ""


# The actor's role on the organization, as accounts defines roles. accounts sits above audit (it
# writes audit events), so it hands its function down at start-up: `set_role_resolver`.
_role_of: Callable[[Any, Any], str] = _no_role


def set_role_resolver(resolver: Callable[[Any, Any], str]) -> None:
    """Called once by accounts when the apps are ready."""
    global _role_of  # noqa: PLW0603 - set once at start-up
    _role_of = resolver


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    organization: Any = None,
    data: dict[str, Any] | None = None,
    result: str = "success",
    object_type: str | None = None,
    object_id: str | None = None,
    object_repr: str | None = None,
    actor_name: str | None = None,
) -> AuditEvent:
    """Append one audit event. Call it inside the service's transaction, next to the write."""
    ctx = context.current()
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    if organization is None and obj is not None:
        organization = getattr(obj, "organization", None)
        if organization is None and obj.__class__.__name__ == "Organization":
            organization = obj
    return AuditEvent.objects.create(
        time=timezone.now(),
        actor=actor if is_user else None,
        actor_name=actor_name if actor_name is not None else (str(actor) if is_user else ""),
        role=_role_of(actor, organization) if is_user else "",
        organization=organization,
        organization_path=getattr(organization, "path", "") or "",
        action=action,
        object_type=object_type or (obj._meta.label_lower if obj is not None else ""),
        object_id=object_id or (str(obj.pk) if obj is not None else ""),
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:200],
        result=result,
        data=_plain(data or {}),
        ip=ctx.ip or "",
        request_id=ctx.request_id,
        source=ctx.source,
    )


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """Dates, decimals and model instances become JSON text, so the stored row hashes stably."""

    return json.loads(json.dumps(data, cls=DjangoJSONEncoder, default=str))


def _canonical(row: dict[str, Any]) -> bytes:
    payload = {
        "id": row["id"],
        "time": row["time"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_id": row["actor_id"],
        "actor_name": row["actor_name"],
        "role": row["role"],
        "organization_id": row["organization_id"],
        "organization_path": row["organization_path"],
        "action": row["action"],
        "object_type": row["object_type"],
        "object_id": row["object_id"],
        "object_repr": row["object_repr"],
        "result": row["result"],
        "data": row["data"],
        "ip": row["ip"],
        "request_id": row["request_id"],
        "source": row["source"],
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def chain_hash(prev_hash: str, row: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + _canonical(row)).hexdigest()


_FIELDS = [
    "id",
    "time",
    "actor_id",
    "actor_name",
    "role",
    "organization_id",
    "organization_path",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "result",
    "data",
    "ip",
    "request_id",
    "source",
    "prev_hash",
    "hash",
]


def audit_seal(batch: int = 2000) -> int:
    """Chain every unsealed event, in id order, onto the sealed head. Returns the count sealed."""
    sealed = 0
    while True:
        with transaction.atomic():
            head, _ = AuditSeal.objects.select_for_update().get_or_create(pk=1)
            rows = list(
                AuditEvent.objects.filter(id__gt=head.last_id)
                .order_by("id")
                .values(*_FIELDS)[:batch]
            )
            if not rows:
                return sealed
            prev = head.last_hash
            updates = []
            for row in rows:
                h = chain_hash(prev, row)
                updates.append(AuditEvent(id=row["id"], prev_hash=prev, hash=h))
                prev = h
            AuditEvent.objects.bulk_update(updates, ["prev_hash", "hash"], batch_size=500)
            head.last_id = rows[-1]["id"]
            head.last_hash = prev
            head.sealed_at = timezone.now()
            head.save(update_fields=["last_id", "last_hash", "sealed_at"])
            sealed += len(rows)


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str = ""


def audit_verify() -> VerifyResult:
    """Seal what is pending, then recompute the whole chain; name the first broken row."""
    audit_seal()
    prev = ""
    checked = 0
    head = AuditSeal.objects.filter(pk=1).first()
    for row in AuditEvent.objects.order_by("id").values(*_FIELDS).iterator(chunk_size=2000):
        if row["prev_hash"] != prev:
            return VerifyResult(False, checked, row["id"], "前一条哈希不匹配（记录被删除或篡改）")
        expected = chain_hash(prev, row)
        if row["hash"] != expected:
            return VerifyResult(False, checked, row["id"], "内容哈希不匹配（记录被篡改）")
        prev = row["hash"]
        checked += 1
    if head is not None and head.last_hash != prev:
        return VerifyResult(False, checked, None, "链尾与封存记录不一致（末尾记录被删除）")
    return VerifyResult(True, checked)
