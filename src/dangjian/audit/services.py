"""Writing, sealing and verifying the audit trail."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Count
from django.utils import timezone

from dangjian.core import changes, context, crypto
from dangjian.core.idnumber import mask, mask_phone

from .models import AuditEvent, AuditSeal

logger = logging.getLogger("dangjian.audit")
security_log = logging.getLogger("dangjian.security")  # shipped off the host (core.syslog)

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
    event = AuditEvent(
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
    event.mac = row_mac({f: getattr(event, f) for f in _CONTENT})
    event.save(force_insert=True)
    if result == "success":
        changes.note_event(action, event.object_type, organization, obj)
    if security_log.isEnabledFor(logging.INFO):  # only when a collector is configured
        transaction.on_commit(lambda: _ship(event))
    return event


def _ship(event: AuditEvent) -> None:
    """The event as an RFC 5424 line: who (id and role), where (the organization's path), what
    (action, object type and id), the result and the request; never names or field values."""
    security_log.info(
        event.action,
        extra={
            "msgid": "audit",
            "sd_id": "audit",
            "sd": {
                "id": event.pk,
                "time": event.time.isoformat(),
                "actor": event.actor_id,
                "role": event.role,
                "org": event.organization_path,
                "action": event.action,
                "object": f"{event.object_type}:{event.object_id}" if event.object_type else "",
                "result": event.result,
                "ip": event.ip,
                "request": event.request_id,
                "source": event.source,
                "mac": event.mac,
            },
        },
    )


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """Dates, decimals and model instances become JSON text, so the stored row hashes stably."""

    return json.loads(json.dumps(data, cls=DjangoJSONEncoder, default=str))


_CONTENT = [
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
]


def _canonical(row: dict[str, Any], *, with_id: bool = True) -> bytes:
    payload = {k: row[k] for k in _CONTENT}
    payload["time"] = row["time"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if with_id:
        payload["id"] = row["id"]
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def row_mac(row: dict[str, Any]) -> str:
    """The row's own MAC, computed at insert (before its id exists)."""
    return crypto.audit_mac(b"row\n" + _canonical(row, with_id=False))


def chain_hash(prev_hash: str, row: dict[str, Any], *, keyed: bool = True) -> str:
    """The link of a row to the one before: an HMAC under the audit key (SHA-256, or SM3 under
    the 国密 scheme; rows from `AuditSeal.keyed_from` on); plain SHA-256 for the rows sealed
    before the upgrade."""
    message = prev_hash.encode() + b"\n" + _canonical(row)
    if keyed:
        return crypto.audit_mac(message)
    return hashlib.sha256(message).hexdigest()


def row_mac_ok(row: dict[str, Any]) -> bool:
    """Whether the row's stored MAC verifies, under either crypto scheme (HMAC-SHA256 or
    HMAC-SM3): a deployment that switched to 国密 keeps verifying its older rows."""
    return crypto.audit_mac_matches(b"row\n" + _canonical(row, with_id=False), row["mac"])


def link_ok(prev_hash: str, row: dict[str, Any], *, keyed: bool = True) -> bool:
    """Whether the row's stored link to the one before verifies (either scheme when keyed)."""
    if not keyed:
        return hmac.compare_digest(row["hash"], chain_hash(prev_hash, row, keyed=False))
    message = prev_hash.encode() + b"\n" + _canonical(row)
    return crypto.audit_mac_matches(message, row["hash"])


_FIELDS = ["id", *_CONTENT, "prev_hash", "hash", "mac"]


def _seal_file() -> Path | None:
    path = getattr(settings, "AUDIT_SEAL_FILE", "")
    return Path(path) if path else None


def _seal_line(head: AuditSeal) -> str:
    """One signed line for the file outside the database: the sealed head, Ed25519-signed."""
    body = {
        "last_id": head.last_id,
        "last_hash": head.last_hash,
        "keyed_from": head.keyed_from,
        "sealed_at": head.sealed_at.astimezone(UTC).isoformat() if head.sealed_at else "",
    }
    message = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    sig = crypto.audit_signing_key().sign(message)
    return json.dumps({**body, "sig": base64.b64encode(sig).decode()}, sort_keys=True)


def _write_external(head: AuditSeal) -> None:
    """Append the signed head to the seal file (append-only, flushed to disk) and to the log
    stream: a database rolled back to before this seal no longer matches it."""
    line = _seal_line(head)
    path = _seal_file()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, (line + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
    security_log.info(
        "audit seal", extra={"msgid": "seal", "sd_id": "seal", "sd": json.loads(line)}
    )


def audit_seal(batch: int = 2000) -> int:
    """Chain every unsealed event, in id order, onto the sealed head; then write the signed head
    outside the database. A keyed row whose own MAC does not verify (a row inserted behind the
    platform's back) stops the sealing there: `audit verify` names it. Returns the count sealed."""
    sealed = 0
    head: AuditSeal | None = None
    current = AuditSeal.objects.filter(pk=1).first()
    if current is not None:
        seals, problem = _last_external()
        problem = problem or _external_mismatch(seals, current)
        if problem:
            # never vouch for a trail that contradicts what was signed outside: verify reports
            logger.error("audit seal refused: %s", problem)
            return 0
    while True:
        with transaction.atomic():
            head = AuditSeal.objects.select_for_update().filter(pk=1).first()
            if head is None:
                if AuditEvent.objects.exclude(hash="").exists():
                    logger.error("audit seal row is missing while sealed events exist")
                    return sealed  # never restart the chain over sealed rows: verify reports
                head = AuditSeal.objects.create(pk=1, keyed_from=1)
            rows = list(
                AuditEvent.objects.filter(id__gt=head.last_id)
                .order_by("id")
                .values(*_FIELDS)[:batch]
            )
            prev = head.last_hash
            updates = []
            stopped = False
            for row in rows:
                keyed = row["id"] >= head.keyed_from
                if keyed and not row_mac_ok(row):
                    logger.error("audit event %s has no valid MAC: not sealed", row["id"])
                    stopped = True
                    break
                h = chain_hash(prev, row, keyed=keyed)
                updates.append(AuditEvent(id=row["id"], prev_hash=prev, hash=h))
                prev = h
            if updates:
                AuditEvent.objects.bulk_update(updates, ["prev_hash", "hash"], batch_size=500)
                head.last_id = updates[-1].id
                head.last_hash = prev
                head.sealed_at = timezone.now()
                head.save(update_fields=["last_id", "last_hash", "sealed_at"])
                sealed += len(updates)
            if stopped or len(rows) < batch:
                break
    if head is not None and head.last_id and (sealed or not _anchored()):
        if not sealed:
            # first anchoring (after the upgrade, or a new seal file): say so in the log
            logger.warning("audit seal file empty or missing: anchoring the current head")
        _write_external(head)
    return sealed


def _anchored() -> bool:
    path = _seal_file()
    return path is None or (path.exists() and path.stat().st_size > 0)


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str = ""
    external: int = 0  # signed seal lines checked outside the database
    public_key: str = field(default_factory=lambda: "")


def _external_seals() -> tuple[list[dict[str, Any]], str]:
    """The signed lines of the seal file, and what is wrong with the file ("" when nothing)."""
    path = _seal_file()
    if path is None or not path.exists():
        return [], ""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return [], "外部封存文件无法读取"
    out: list[dict[str, Any]] = []
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        line = _signed(raw)
        if line is None:
            return out, f"外部封存文件第{n}行签名无效（被篡改或伪造）"
        out.append(line)
    return out, ""


def _signed(raw: str) -> dict[str, Any] | None:
    """A seal line whose Ed25519 signature verifies, else None."""
    try:
        line = json.loads(raw)
        sig = base64.b64decode(line.pop("sig"))
        crypto.audit_signing_key().public_key().verify(
            sig, json.dumps(line, sort_keys=True, separators=(",", ":")).encode()
        )
    except Exception:  # noqa: BLE001 - any malformed or forged line is refused
        return None
    return line if isinstance(line, dict) else None


def _last_external() -> tuple[list[dict[str, Any]], str]:
    """The last line of the seal file only (read from its end), for the seal job every minute."""
    path = _seal_file()
    if path is None or not path.exists():
        return [], ""
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 8192))
            tail = f.read().decode("utf-8", errors="replace").splitlines()
    except OSError:
        return [], "外部封存文件无法读取"
    lines = [x for x in tail if x.strip()]
    if not lines:
        return [], ""
    line = _signed(lines[-1])
    return ([line], "") if line is not None else ([], "外部封存文件末行签名无效（被篡改或伪造）")


def _external_mismatch(seals: list[dict[str, Any]], head: AuditSeal) -> str:
    """What contradicts the signed seals outside the database ("" when nothing): every signed
    line must still be in the database (its row there with the same hash), the lines only move
    forward, and the database's head is not behind the last one."""
    last_id = 0
    ids = [s["last_id"] for s in seals]
    hashes: dict[int, str] = {}
    for i in range(0, len(ids), 5000):
        hashes.update(AuditEvent.objects.filter(pk__in=ids[i : i + 5000]).values_list("pk", "hash"))
    for s in seals:
        if s["last_id"] < last_id:
            return "外部封存记录倒退（封存文件被改动）"
        last_id = s["last_id"]
        if hashes.get(s["last_id"]) != s["last_hash"] or s["keyed_from"] != head.keyed_from:
            return (
                f"与数据库外的封存记录不一致：第{s['last_id']}条已于"
                f"{str(s['sealed_at'])[:19]}封存，数据库已被回滚或改写"
            )
    if last_id > head.last_id:
        return f"数据库的封存位置落后于数据库外的封存记录（第{last_id}条），数据库已被回滚"
    return ""


def audit_verify() -> VerifyResult:
    """Verify the trail; a damaged trail (or database) is reported, never raised."""
    try:
        return _verify()
    except Exception as exc:  # noqa: BLE001 - e.g. a forged row the ORM cannot even read
        logger.exception("audit verify could not read the trail")
        return VerifyResult(
            False, 0, None, f"审计记录无法读取（{type(exc).__name__}），可能被篡改", public_key=""
        )


def _verify() -> VerifyResult:
    """Seal what is pending, then recompute the whole chain (keyed links, each keyed row's own
    MAC), compare the head with the database's seal row and with the last signed seal written
    outside the database. Reports the first problem; never raises on a damaged trail."""
    audit_seal()
    public = crypto.audit_public_key_hex()
    head = AuditSeal.objects.filter(pk=1).first()
    if head is None:
        if AuditEvent.objects.exclude(hash="").exists():
            return VerifyResult(False, 0, None, "封存记录被删除", public_key=public)
        head = AuditSeal(pk=1)
    prev = ""
    checked = 0
    for row in AuditEvent.objects.order_by("id").values(*_FIELDS).iterator(chunk_size=2000):
        keyed = row["id"] >= head.keyed_from
        if keyed and not row_mac_ok(row):
            reason = "记录的校验码无效（伪造的插入或被篡改）"
            return VerifyResult(False, checked, row["id"], reason, public_key=public)
        if row["id"] > head.last_id:
            break  # not sealed (stopped before a bad row, reported above)
        if row["prev_hash"] != prev:
            reason = "前一条哈希不匹配（记录被删除或篡改）"
            return VerifyResult(False, checked, row["id"], reason, public_key=public)
        if not link_ok(prev, row, keyed=keyed):
            reason = "内容哈希不匹配（记录被篡改）"
            return VerifyResult(False, checked, row["id"], reason, public_key=public)
        prev = row["hash"]
        checked += 1
    if head.last_hash != prev:
        reason = "链尾与封存记录不一致（末尾记录被删除）"
        return VerifyResult(False, checked, None, reason, public_key=public)
    dup = list(
        AuditEvent.objects.exclude(mac="")
        .order_by()
        .values("mac")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("mac")
        .values_list("mac", flat=True)[:1]
    )
    if dup:
        first = (
            AuditEvent.objects.filter(mac=dup[0]).order_by("-id").values_list("id", flat=True)[0]
        )
        reason = "同一条记录出现多次（复制插入）"
        return VerifyResult(False, checked, first, reason, public_key=public)
    seals, problem = _external_seals()
    if problem:
        return VerifyResult(False, checked, None, problem, len(seals), public)
    problem = _external_mismatch(seals, head)
    if problem:
        return VerifyResult(False, checked, None, problem, len(seals), public)
    return VerifyResult(True, checked, external=len(seals), public_key=public)
