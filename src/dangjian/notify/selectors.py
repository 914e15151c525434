"""Reads of 消息: a person's reminders and notices, the unread count on every page, their chosen
channels; the outbound delivery log (system administrator)."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from dangjian.core.prepared import Prepared

from .models import Channel, Contact, Delivery, DeliveryStatus, Notice, Reminder


def inbox(user: Any) -> QuerySet[Reminder]:
    """The person's reminders: open ones first, unread first, most serious first."""
    return (
        Reminder.objects.filter(user=user)
        .select_related("finding", "organization", "finding__member")
        .order_by(F("closed_on").asc(nulls_first=True), "read_at", "-finding__severity", "-id")
    )


def _count(qs: Any) -> Any:
    return Coalesce(
        Subquery(
            qs.order_by().values("user_id").annotate(c=Count("id")).values("c"),
            output_field=IntegerField(),
        ),
        Value(0),
    )


def _unread_counts(user: Any) -> tuple[Any, Any]:
    """The bell's two counts for `user` (an id, or OuterRef to one): unread open reminders, unread
    notices."""
    return (
        _count(Reminder.objects.filter(user_id=user, closed_on__isnull=True, read_at__isnull=True)),
        _count(Notice.objects.filter(user_id=user, read_at__isnull=True)),
    )


def _unread(user_id: int) -> QuerySet[Any]:
    r, n = _unread_counts(user_id)
    return (
        Reminder.objects.model._meta.get_field("user")
        .related_model._default_manager.filter(pk=user_id)  # type: ignore[union-attr]
        .annotate(r=r, n=n)
        .values_list("r", "n")
    )


def unread_with_session() -> Any:
    """The bell's count as an expression on the session's row, read in the session's statement
    (accounts.sessions.read_with_session; registered in NotifyConfig.ready)."""
    r, n = _unread_counts(OuterRef("user_id"))
    return ExpressionWrapper(r + n, output_field=IntegerField())


_UNREAD = Prepared(_unread, int)


def unread_count(user: Any) -> int:
    """Unread open reminders and unread notices, in one query compiled once (it runs on every
    page)."""
    rows = _UNREAD.rows(user.pk)
    return int(sum(rows[0])) if rows else 0


def _held(user_id: int) -> QuerySet[Any]:
    """How many reminders and notices the person has, and how many of each are unread (the
    bell's two counts, as `_unread` gives them)."""
    return (
        Reminder.objects.model._meta.get_field("user")
        .related_model._default_manager.filter(pk=user_id)  # type: ignore[union-attr]
        .annotate(
            r=_count(Reminder.objects.filter(user_id=user_id)),
            n=_count(Notice.objects.filter(user_id=user_id)),
            ur=_count(
                Reminder.objects.filter(
                    user_id=user_id, closed_on__isnull=True, read_at__isnull=True
                )
            ),
            un=_count(Notice.objects.filter(user_id=user_id, read_at__isnull=True)),
        )
        .values_list("r", "n", "ur", "un")
    )


_HELD = Prepared(_held, int)


def inbox_sizes(user: Any) -> tuple[int, int, int]:
    """How many reminders and notices the person has (read or not), and the bell's unread count
    (`unread_count`), in one query compiled once: 消息 counts its pages with it, reads nothing
    more when there is nothing, and its bell needs no read of its own."""
    rows = _HELD.rows(user.pk)
    if not rows:
        return (0, 0, 0)
    reminders, notices, unread_reminders, unread_notices = rows[0]
    return (int(reminders), int(notices), int(unread_reminders) + int(unread_notices))


def notices(user: Any) -> QuerySet[Notice]:
    """The notices of hand-overs addressed to the person, unread first."""
    return (
        Notice.objects.filter(user=user)
        .select_related("organization")
        .order_by(F("read_at").asc(nulls_first=True), "-id")
    )


def contact_of(user: Any) -> Contact | None:
    """The person's chosen channels (None until they choose)."""
    return Contact.objects.filter(user_id=getattr(user, "pk", 0)).first()


def deliveries(*, status: str = "", channel: str = "") -> QuerySet[Delivery]:
    """Every outbound message, newest first, by status and channel."""
    qs = Delivery.objects.select_related("user").order_by("-created_at", "-id")
    if status in DeliveryStatus.values:
        qs = qs.filter(status=status)
    if channel in Channel.values:
        qs = qs.filter(channel=channel)
    return qs
