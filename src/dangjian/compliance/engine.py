"""The engine's small base, imported by every app's rules.py: Rule, the registry, scan context.

A rule evaluates the whole scope with one set-based query (or a few) and returns hits; the scan
(compliance.services) upserts them as findings. Nothing here imports a domain app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from dangjian.core.dates import add_months

SEVERITIES = ("info", "warn", "high", "critical")
SEVERITY_LABELS = {"info": "提示", "warn": "黄色预警", "high": "红色预警", "critical": "严重"}
CATEGORIES = {
    "setup": "组织设置",
    "term": "换届",
    "life": "组织生活",
    "fees": "党费",
    "recruitment": "发展党员",
    "transfers": "组织关系转接",
    "learning": "学习教育",
    "supervision": "督查督办",
    "community": "近邻党建",
    "villages": "组团帮扶",
    "enterprises": "非公党建",
    "data": "数据质量",
}


@dataclass(frozen=True)
class Citation:
    regulation: str
    article: str
    confidence: str  # V / S / L / M / ? as in rules.md

    def __str__(self) -> str:
        return f"{self.regulation}{(' ' + self.article) if self.article else ''}"


@dataclass(frozen=True)
class Hit:
    """One irregularity found: the subject (organization, optionally a member), the period."""

    organization_id: int
    message: str
    member_id: int | None = None
    period: str | None = None
    severity: str | None = None  # overrides the rule's severity (escalating families)
    subject: str | None = (
        None  # a further subject under the organization (a unit, a request, an election)
    )
    person: str | None = (
        None  # the number of a person who is not a member (a recruitment candidate)
    )
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class ScanContext:
    as_of: date
    scope_path: str  # "" = the whole deployment
    params: dict[str, Any]

    @property
    def window_start(self) -> date:
        """Periodic rules look back to the first day of the month 24 months before as_of."""
        return add_months(self.as_of.replace(day=1), -24)


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    category: str
    severity: str
    citation: Citation
    evaluate: Callable[[ScanContext], Iterable[Hit]]
    expects: str  # what the rule expects, in Chinese
    action: str  # what to do next, in Chinese
    defaults: dict[str, Any] = field(default_factory=dict)
    # the apps whose data the rule reads: a change to any of them at an organization re-runs the
    # rule over that organization's subtree (compliance.follow)
    reads: frozenset[str] = frozenset()


REGISTRY: dict[str, Rule] = {}


def rule(
    id: str,
    *,
    title: str,
    category: str,
    severity: str,
    citation: Citation,
    expects: str,
    action: str,
    defaults: dict[str, Any] | None = None,
    reads: Iterable[str] = (),
) -> Callable[[Callable[[ScanContext], Iterable[Hit]]], Callable[[ScanContext], Iterable[Hit]]]:
    """Register a rule's evaluation function under its stable id from rules.md."""
    if severity not in SEVERITIES:
        raise ValueError(f"{id}: unknown severity {severity}")
    if category not in CATEGORIES:
        raise ValueError(f"{id}: unknown category {category}")

    def register(
        fn: Callable[[ScanContext], Iterable[Hit]],
    ) -> Callable[[ScanContext], Iterable[Hit]]:
        if id in REGISTRY:
            raise ValueError(f"rule {id} registered twice")
        # every rule reads its own app, the organizations and the members; `reads` adds the rest
        own = fn.__module__.split(".")[-2] if fn.__module__.count(".") >= 2 else ""
        read = frozenset({own, "orgs", "members", *reads} - {""})
        REGISTRY[id] = Rule(
            id, title, category, severity, citation, fn, expects, action, defaults or {}, read
        )
        return fn

    return register


def latest_on_or_before(as_of: date, years: int) -> date:
    """The latest date e with e + `years` years (calendar, month-end clamped) on or before as_of.

    Lets "the term ended on or before D" be a plain date comparison in SQL, exact across leap
    days (2024-02-29 + 1 year = 2025-02-28).
    """
    return latest_start(as_of, 12 * years)


def latest_start(as_of: date, months: int) -> date:
    """The latest date s with s + `months` months (calendar, month-end clamped) on or before
    as_of."""
    cutoff = add_months(as_of, -months)
    while add_months(cutoff, months) > as_of:
        cutoff -= timedelta(days=1)
    while add_months(cutoff + timedelta(days=1), months) <= as_of:
        cutoff += timedelta(days=1)
    return cutoff
