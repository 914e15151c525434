"""Rule packs: versioned YAML with parameter defaults and their allowed ranges, plus overrides."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from django.db.models import Subquery

from dangjian.core.prepared import Prepared, PreparedLists

from .models import RuleSetting

PACK_DIR = Path(__file__).resolve().parent / "packs"


@functools.lru_cache(maxsize=4)
def load_pack(name: str = "national") -> dict[str, Any]:
    with (PACK_DIR / f"{name}.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def enabled_by_default(rule_id: str) -> bool:
    """Whether the pack switches the rule on where the deployment has not said (`enabled: false`
    for rules a deployment opts into)."""
    return bool((load_pack()["rules"].get(rule_id) or {}).get("enabled", True))


def param_specs(rule_id: str) -> dict[str, dict[str, Any]]:
    return (load_pack()["rules"].get(rule_id) or {}).get("params") or {}


def validate_override(rule_id: str, params: dict[str, Any]) -> dict[str, str]:
    """{parameter: Chinese reason} for every override that does not fit its declared type/range."""
    specs = param_specs(rule_id)
    errors: dict[str, str] = {}
    for name, value in params.items():
        spec = specs.get(name)
        if spec is None:
            errors[name] = f"规则 {rule_id} 没有参数“{name}”"
            continue
        if spec["type"] == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                try:
                    value = int(str(value))
                except ValueError:
                    errors[name] = f"参数“{spec.get('label', name)}”应为整数"
                    continue
            if not spec["min"] <= value <= spec["max"]:
                errors[name] = (
                    f"参数“{spec.get('label', name)}”应在{spec['min']}到{spec['max']}之间"
                )
    return errors


def effective_params(rule_id: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    params = {name: spec["default"] for name, spec in param_specs(rule_id).items()}
    for name, value in (overrides or {}).items():
        if name in params:
            params[name] = int(value) if param_specs(rule_id)[name]["type"] == "int" else value
    return params


def rule_params(rule_id: str) -> dict[str, Any]:
    """A rule's parameters as this deployment has them: the pack's defaults with its overrides."""
    rows = _SETTING.rows(rule_id)
    return effective_params(rule_id, rows[0][0] if rows else None)


# read on members' pages and in 待办 sources: compiled once (core.prepared)
_SETTING = Prepared(
    lambda rule_id: (
        RuleSetting.objects.filter(rule_id=rule_id).order_by("pk").values_list("params")[:1]
    ),
    str,
)


def params_subquery(rule_id: str) -> Subquery:
    """A rule's stored overrides (the first setting by id, as `rule_params` takes them; NULL for
    none) as a column of another read, for `effective_params`."""
    return Subquery(RuleSetting.objects.filter(rule_id=rule_id).order_by("pk").values("params")[:1])


def rules_params(*rule_ids: str) -> list[dict[str, Any]]:
    """`rule_params` of several rules, in the order asked, in one read."""
    rows = _SETTINGS.rows(list(rule_ids))
    if rows is None:  # more than the compiled reads take
        return [rule_params(r) for r in rule_ids]
    found: dict[str, Any] = {}
    for rule_id, params in rows:
        found.setdefault(rule_id, params)  # the first by id, as rule_params takes
    return [effective_params(r, found.get(r)) for r in rule_ids]


_SETTINGS = PreparedLists(
    lambda rule_ids: (
        RuleSetting.objects.filter(rule_id__in=rule_ids)
        .order_by("pk")
        .values_list("rule_id", "params")
    ),
    str,
)


def rectify_days(severity: str) -> int:
    """Days to put a finding right before 待办 shows it as overdue (the pack's `rectify_days`)."""
    days: dict[str, int] = load_pack().get("rectify_days") or {}
    return int(days.get(severity, 30))
