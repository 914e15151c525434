"""Evidence of concentrated training (集中培训) that the study rules read, from the apps that
record it, without learning importing them (the academy registers its completed classes here when
its app is ready).

A provider takes no argument and returns a queryset with one row per training a member completed,
annotated with ``ev_member`` (the member's id), ``ev_on`` (the completion date), ``ev_hours``
(decimal hours) and ``ev_purpose`` (what it trains for: ``secretary``, ``worker``,
``new_member``, … — the academy's `Purpose` values). Offline sessions of kind 集中培训 recorded in
learning count for every purpose, as before the academy existed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

_providers: list[Callable[[], QuerySet[Any]]] = []

# what each rule accepts as concentrated training
LEADERS = ("secretary", "worker", "instructor")  # EDU-02: secretaries and committee members
NEW_SECRETARY = ("secretary",)  # EDU-03
NEW_MEMBER = ("new_member",)  # EDU-04


def register_training(provider: Callable[[], QuerySet[Any]]) -> None:
    if provider not in _providers:
        _providers.append(provider)


def trainings(purposes: tuple[str, ...] | None = None) -> list[QuerySet[Any]]:
    """Each provider's completed trainings, limited to `purposes` when given."""
    out = []
    for p in _providers:
        qs = p()
        if purposes is not None:
            qs = qs.filter(ev_purpose__in=purposes)
        out.append(qs)
    return out
