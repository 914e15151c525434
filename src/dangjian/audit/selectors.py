from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import AuditEvent


def audit_search(
    *,
    action: str = "",
    actor: str = "",
    q: str = "",
    result: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.all()
    if action:
        qs = qs.filter(action=action)
    if actor:
        # by user name (exactly, or a part of it) or by the person's name
        people = get_user_model().objects.filter(
            Q(username__icontains=actor) | Q(display_name__contains=actor)
        )
        qs = qs.filter(Q(actor_name=actor) | Q(actor_id__in=people.values("id")))
    if result:
        qs = qs.filter(result=result)
    if q:
        qs = qs.filter(Q(object_repr__contains=q) | Q(object_id=q) | Q(request_id=q))
    tz = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(time__gte=datetime.combine(date_from, time.min, tzinfo=tz))
    if date_to:
        qs = qs.filter(time__lte=datetime.combine(date_to, time.max, tzinfo=tz))
    return qs.order_by("-id")


def parse_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None
