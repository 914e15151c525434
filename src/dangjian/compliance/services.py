"""The scan: evaluate every enabled rule over a scope, upsert findings, close what has cleared.

Findings are keyed by (rule, subject, period). A re-scan with nothing changed writes nothing:
new keys are created, changed ones updated, vanished ones closed with the scan date, in bulk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.accounts.constants import Role
from dangjian.accounts.types import Actor
from dangjian.audit.services import audit_record
from dangjian.core.errors import DomainError, NotVisible

from .engine import REGISTRY, Hit, Rule, ScanContext
from .models import Finding, RuleSetting, ScanRun
from .packs import effective_params, enabled_by_default, param_specs, validate_override
from .rollup import rollup_refresh
from .signals import scan_finished


def subject_key(hit: Hit) -> str:
    key = f"{hit.organization_id}:{hit.member_id or ''}:{hit.period or ''}"
    return f"{key}:{hit.subject}" if hit.subject else key


@dataclass
class ScanResult:
    run: ScanRun | None
    opened: int = 0
    updated: int = 0
    closed: int = 0
    unchanged: int = 0
    per_rule: dict[str, int] = field(default_factory=dict)


def enabled_rules() -> list[Rule]:
    settings = {s.rule_id: s for s in RuleSetting.objects.all()}
    return [
        r
        for rid, r in sorted(REGISTRY.items())
        if (settings[rid].enabled if rid in settings else enabled_by_default(rid))
    ]


def scan_run(
    *,
    as_of: date,
    scope: Any = None,
    actor: Actor = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> ScanResult:
    """Scan the deployment (or one subtree) as seen on `as_of`. Records a ScanRun and one audit
    event."""
    run = ScanRun.objects.create(
        as_of=as_of,
        scope=scope,
        started_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    return scan_execute(run, actor=actor, progress=progress)


@transaction.atomic(durable=True)
def scan_request(*, actor: Actor, scope: Any, as_of: date) -> ScanRun:
    """A staff member asks for a scan of their subtree; the worker runs it after commit."""

    if scope is None or not policy.can(actor, "change", scope):
        raise NotVisible()
    run = ScanRun.objects.create(as_of=as_of, scope=scope, started_by=actor)
    audit_record(
        actor=actor,
        action="compliance.scan_request",
        obj=run,
        organization=scope,
        data={"as_of": as_of.isoformat()},
    )

    def enqueue() -> None:

        from .tasks import subtree_scan  # noqa: PLC0415 - tasks call services; the service enqueues its task on commit

        subtree_scan(run.pk)

    transaction.on_commit(enqueue)
    return run


def scan_execute(
    run: ScanRun, *, actor: Actor = None, progress: Callable[[int, int, str], None] | None = None
) -> ScanResult:
    """Evaluate every enabled rule; each rule's findings are written in their own transaction so
    that the run's progress is visible while it works. The roll-up and the run's summary close it.
    """
    as_of, scope = run.as_of, run.scope
    actor = actor if actor is not None else run.started_by
    overrides = {s.rule_id: s.params for s in RuleSetting.objects.all()}
    rules = enabled_rules()
    result = ScanResult(run=run)
    scope_path = scope.path if scope is not None else ""
    try:
        for index, r in enumerate(rules, start=1):
            ctx = ScanContext(
                as_of=as_of,
                scope_path=scope_path,
                params=effective_params(r.id, overrides.get(r.id)),
            )
            with transaction.atomic():
                hits = {subject_key(h): h for h in r.evaluate(ctx)}
                _upsert(r, hits, as_of, scope_path, result)
            result.per_rule[r.id] = len(hits)
            ScanRun.objects.filter(pk=run.pk).update(progress=int(90 * index / len(rules)))
            if progress:
                progress(index, len(rules), r.id)
        with transaction.atomic():
            # A rule the deployment switched off leaves no open findings behind.
            disabled = [rid for rid in REGISTRY if rid not in {r.id for r in rules}]
            stale = Finding.objects.filter(rule_id__in=disabled, closed_on__isnull=True)
            if scope_path:
                stale = stale.filter(organization__path__under=scope_path)
            result.closed += stale.update(closed_on=as_of)

            rollup_refresh(as_of)

            scan_finished.send(sender=ScanRun, as_of=as_of)
            run.status = "done"
            run.finished_at = timezone.now()
            run.progress = 100
            run.counts = {
                "opened": result.opened,
                "updated": result.updated,
                "closed": result.closed,
                "unchanged": result.unchanged,
                "rules": result.per_rule,
            }
            run.save(update_fields=["status", "finished_at", "progress", "counts"])
            audit_record(
                actor=actor,
                action="compliance.scan",
                obj=run,
                organization=scope,
                data={
                    "as_of": as_of.isoformat(),
                    "scope": getattr(scope, "code", "全部"),
                    **run.counts,
                },
            )
    except Exception as exc:
        ScanRun.objects.filter(pk=run.pk).update(
            status="failed", finished_at=timezone.now(), log=repr(exc)[:2000]
        )
        raise
    return result


def _upsert(
    r: Rule, hits: dict[str, Hit], as_of: date, scope_path: str, result: ScanResult
) -> None:
    open_qs = Finding.objects.filter(rule_id=r.id, closed_on__isnull=True)
    if scope_path:
        open_qs = open_qs.filter(organization__path__under=scope_path)
    existing = {
        f["subject_key"]: f for f in open_qs.values("id", "subject_key", "severity", "message")
    }
    creates, updates = [], []
    for key, hit in hits.items():
        severity = hit.severity or r.severity
        cur = existing.get(key)
        if cur is None:
            creates.append(
                Finding(
                    rule_id=r.id,
                    organization_id=hit.organization_id,
                    member_id=hit.member_id,
                    period=hit.period or "",
                    person=hit.person or "",
                    subject_key=key,
                    severity=severity,
                    category=r.category,
                    message=hit.message,
                    details=hit.details,
                    opened_on=as_of,
                    last_seen_on=as_of,
                )
            )
        elif cur["severity"] != severity or cur["message"] != hit.message:
            updates.append(
                Finding(
                    id=cur["id"],
                    severity=severity,
                    message=hit.message,
                    details=hit.details,
                    last_seen_on=as_of,
                )
            )
        else:
            result.unchanged += 1
    # a finding another transaction opened meanwhile (two acts followed at once) is not opened twice
    Finding.objects.bulk_create(creates, batch_size=2000, ignore_conflicts=True)
    Finding.objects.bulk_update(
        updates, ["severity", "message", "details", "last_seen_on"], batch_size=2000
    )
    gone = [f["id"] for key, f in existing.items() if key not in hits]
    for i in range(0, len(gone), 5000):
        Finding.objects.filter(pk__in=gone[i : i + 5000]).update(closed_on=as_of)
    result.opened += len(creates)
    result.updated += len(updates)
    result.closed += len(gone)


def open_findings(*, scope: Any = None):  # type: ignore[no-untyped-def]
    qs = Finding.objects.filter(closed_on__isnull=True).select_related("organization", "member")
    if scope is not None:
        qs = qs.filter(organization__path__under=scope.path)
    return qs.order_by("rule_id", "organization__code", "member__member_no", "period")


@transaction.atomic(durable=True)
def rule_setting_update(
    *, actor: Actor, rule_id: str, enabled: bool, params: dict[str, Any], reason: str
) -> RuleSetting:
    """A deployment's override of a rule (security admin): parameters checked against the pack's
    types and ranges, a reason required for any departure from the national defaults; audited."""

    if actor is not None and not policy.has_admin_role(actor, Role.SECURITY_ADMIN):
        raise DomainError("forbidden", "只有安全管理员可以修改规则设置")
    if rule_id not in REGISTRY:
        raise DomainError("not_found", f"规则“{rule_id}”不存在", field="rule_id")
    errors = validate_override(rule_id, params)
    if errors:
        name, message = next(iter(errors.items()))
        raise DomainError("invalid", message, field=name)
    specs = param_specs(rule_id)
    cleaned = {
        k: int(v)
        for k, v in params.items()
        if specs[k]["type"] == "int" and int(v) != specs[k]["default"]
    }
    reason = (reason or "").strip()
    if (cleaned or not enabled) and not reason:
        raise DomainError(
            "required", "修改默认参数或停用规则时，请填写原因（如本地文件依据）", field="reason"
        )
    setting, _ = RuleSetting.objects.select_for_update().get_or_create(rule_id=rule_id)
    before = {"enabled": setting.enabled, "params": setting.params, "reason": setting.reason}
    setting.enabled, setting.params, setting.reason, setting.updated_by = (
        enabled,
        cleaned,
        reason[:300],
        actor,
    )
    setting.save()
    audit_record(
        actor=actor,
        action="compliance.rule_setting",
        obj=setting,
        data={
            "rule": rule_id,
            "before": before,
            "after": {"enabled": enabled, "params": cleaned, "reason": reason},
        },
    )
    return setting
