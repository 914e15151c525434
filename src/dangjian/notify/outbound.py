"""Outbound reminders: one daily digest per person and channel, quiet hours, retries with back-off.

The inbox always has every reminder. Besides it, a person who has chosen email, SMS or WeChat gets
at most one message a day per channel listing what has newly come to them (a digest instead of a
flood). Nothing goes out during quiet hours; a message due then waits for their end. A message is
sent at least once: failures are retried with exponential back-off up to a limit, each attempt kept
in the delivery log. A digest whose reminders have all closed before it goes out is cancelled, so
nobody is told about what has already been put right.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from dangjian.audit.services import audit_record
from dangjian.compliance.engine import SEVERITY_LABELS
from dangjian.core import crypto
from dangjian.core.errors import DomainError
from dangjian.web import site

from . import channels
from .models import Channel, Contact, Delivery, DeliveryStatus, Notice, Reminder

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
DIGEST_ITEMS = 30


def in_quiet_hours(moment: datetime) -> bool:
    start, end = settings.NOTIFY["quiet_hours"]
    hour = timezone.localtime(moment).hour
    if start == end:
        return False
    return start <= hour or hour < end if start > end else start <= hour < end


def quiet_end(moment: datetime) -> datetime:
    """The first moment at or after `moment` outside quiet hours."""
    if not in_quiet_hours(moment):
        return moment
    local = timezone.localtime(moment)
    end_hour = settings.NOTIFY["quiet_hours"][1]
    candidate = local.replace(hour=end_hour, minute=0, second=0, microsecond=0)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate


# --- contact details ---


@transaction.atomic(durable=True)
def contact_update(
    *,
    user: Any,
    email: str,
    phone: str,
    wechat_openid: str,
    email_on: bool,
    sms_on: bool,
    wechat_on: bool,
) -> Contact:
    """A person sets where they want reminders. Turning a channel on needs its address."""
    email, phone, openid = (
        (email or "").strip(),
        (phone or "").strip(),
        (wechat_openid or "").strip(),
    )
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise DomainError("bad_email", "电子邮箱格式不正确", field="email") from exc
    contact, _ = Contact.objects.select_for_update().get_or_create(user=user)
    if phone and "*" not in phone and not PHONE_RE.match(phone):
        raise DomainError("bad_phone", "手机号应为11位数字（1开头）", field="phone")
    if openid and not re.fullmatch(r"[A-Za-z0-9_-]{10,64}", openid):
        raise DomainError("bad_openid", "微信OpenID格式不正确", field="wechat_openid")
    has_phone = bool(phone) if "*" not in phone else bool(contact.phone_encrypted)
    for on, present, field, label in [
        (email_on, bool(email), "email", "电子邮箱"),
        (sms_on, has_phone, "phone", "手机号"),
        (wechat_on, bool(openid), "wechat_openid", "微信OpenID"),
    ]:
        if on and not present:
            raise DomainError("required", f"开启该提醒方式需要先填写{label}", field=field)
    changed = []
    if contact.email != email:
        changed.append("email")
    contact.email = email
    if "*" not in phone:  # a masked value shown back in the form means: unchanged
        if phone != (crypto.decrypt(contact.phone_encrypted) if contact.phone_encrypted else ""):
            changed.append("phone")
        contact.phone_encrypted = crypto.encrypt(phone) if phone else ""
        contact.phone_masked = f"{phone[:3]}****{phone[-4:]}" if phone else ""
    if contact.wechat_openid != openid:
        changed.append("wechat_openid")
    contact.wechat_openid = openid
    for name, value in (("email_on", email_on), ("sms_on", sms_on), ("wechat_on", wechat_on)):
        if getattr(contact, name) != value:
            changed.append(name)
        setattr(contact, name, value)
    contact.save()
    audit_record(actor=user, action="notify.contact_update", obj=contact, data={"changed": changed})
    return contact


# --- the daily digest ---


def _address(contact: Contact, channel: str) -> str:
    if channel == Channel.EMAIL:
        return contact.email
    if channel == Channel.SMS:
        return crypto.decrypt(contact.phone_encrypted) if contact.phone_encrypted else ""
    return contact.wechat_openid


@transaction.atomic(durable=True)
def delivery_queue_digests(now: datetime | None = None) -> dict[str, int]:
    """Queue today's digest for everyone with new, unread, open reminders on each chosen channel.

    Reminders already in a digest are not sent again; someone who already has today's digest on a
    channel gets the newer reminders in tomorrow's.
    """
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    live = channels.configured()
    wanted = [c for c in Channel.values if live[c]]
    if not wanted:
        return {"deliveries": 0, "reminders": 0}
    flags = {"email": "email_on", "sms": "sms_on", "wechat": "wechat_on"}
    want_by_user: dict[int, list[str]] = {}
    for row in Contact.objects.filter(user__is_active=True).values(
        "user_id", "email_on", "sms_on", "wechat_on"
    ):
        values: dict[str, Any] = dict(row)
        chosen = [c for c in wanted if values[flags[c]]]
        if chosen:
            want_by_user[row["user_id"]] = chosen
    if not want_by_user:
        return {"deliveries": 0, "reminders": 0}
    done_today = set(Delivery.objects.filter(day=today).values_list("user_id", "channel"))
    pending: dict[int, list[int]] = defaultdict(list)
    for rid, uid in (
        Reminder.objects.filter(
            user_id__in=want_by_user,
            closed_on__isnull=True,
            read_at__isnull=True,
            notified_at__isnull=True,
        )
        .order_by("id")
        .values_list("id", "user_id")
    ):
        pending[uid].append(rid)
    notices: dict[int, list[int]] = defaultdict(list)
    for nid, uid in (
        Notice.objects.filter(
            user_id__in=want_by_user, read_at__isnull=True, notified_at__isnull=True
        )
        .order_by("id")
        .values_list("id", "user_id")
    ):
        notices[uid].append(nid)
    send_at = quiet_end(now)
    deliveries: list[Delivery] = []
    included: list[int] = []
    included_notices: list[int] = []
    for uid in sorted(set(pending) | set(notices)):
        fresh = [c for c in want_by_user[uid] if (uid, c) not in done_today]
        if not fresh:
            continue
        rids, nids = pending.get(uid, []), notices.get(uid, [])
        included.extend(rids)
        included_notices.extend(nids)
        summary = "、".join(
            x
            for x in (
                f"{len(rids)}条待办预警" if rids else "",
                f"{len(nids)}条通知" if nids else "",
            )
            if x
        )
        deliveries.extend(
            Delivery(
                user_id=uid,
                channel=c,
                day=today,
                reminder_ids=rids,
                notice_ids=nids,
                next_attempt_at=send_at,
                summary=summary,
            )
            for c in fresh
        )
    Delivery.objects.bulk_create(deliveries, batch_size=2000)
    for i in range(0, len(included), 5000):
        Reminder.objects.filter(id__in=included[i : i + 5000]).update(notified_at=now)
    for i in range(0, len(included_notices), 5000):
        Notice.objects.filter(id__in=included_notices[i : i + 5000]).update(notified_at=now)
    audit_record(
        actor=None,
        action="notify.digest",
        obj=None,
        data={
            "day": today.isoformat(),
            "deliveries": len(deliveries),
            "reminders": len(included),
            "notices": len(included_notices),
        },
    )
    return {"deliveries": len(deliveries), "reminders": len(included)}


def _message(reminders: list[Reminder], notices: list[Notice] | None = None) -> channels.Message:
    if not reminders:
        return _notice_message(notices or [])
    serious = sum(1 for r in reminders if r.finding.severity in ("high", "critical"))
    n = len(reminders)
    order = {"critical": 0, "high": 1, "warn": 2, "info": 3}
    items = sorted(reminders, key=lambda r: (order.get(r.finding.severity, 9), r.id))[:DIGEST_ITEMS]
    lines = [
        f"· 【{SEVERITY_LABELS[r.finding.severity]}】{r.organization.name}"
        + (f"，党员{r.finding.member.name}" if r.finding.member is not None else "")
        + f"：{r.finding.message}"
        for r in items
    ]
    if n > DIGEST_ITEMS:
        lines.append(f"……另有{n - DIGEST_ITEMS}条，请登录平台查看。")
    url = site.absolute(reverse("notify:inbox"))
    text = (
        f"您有{n}条待办预警（红色及以上{serious}条）：\n\n"
        + "\n".join(lines)
        + f"\n\n请登录平台处理：{url}\n（本邮件由系统发送，每日至多一封。）"
    )
    short = f"【党建平台】您有{n}条待办预警（红色及以上{serious}条），请登录平台“消息”查看处理。"
    data = {
        "first": f"您有{n}条待办预警",
        "keyword1": f"{n}条（红色及以上{serious}条）",
        "keyword2": timezone.localdate().isoformat(),
        "remark": "请登录平台查看处理。",
    }
    if notices:
        text = "\n".join(f"· {x.title}：{x.body}" for x in notices[:DIGEST_ITEMS]) + "\n\n" + text
    return channels.Message(
        subject=f"【党建平台】您有{n}条待办预警", text=text, short=short, data=data
    )


def _notice_message(notices: list[Notice]) -> channels.Message:
    n = len(notices)
    first = notices[0]
    lines = [f"· {x.title}：{x.body}" for x in notices[:DIGEST_ITEMS]]
    if n > DIGEST_ITEMS:
        lines.append(f"……另有{n - DIGEST_ITEMS}条，请登录平台查看。")
    url = site.absolute(reverse("notify:inbox"))
    text = (
        f"您有{n}条通知：\n\n"
        + "\n".join(lines)
        + f"\n\n详情请登录平台查看：{url}\n（本邮件由系统发送，每日至多一封。）"
    )
    short = (
        f"【党建平台】{first.title}：{first.body}"[:120]
        if n == 1
        else f"【党建平台】您有{n}条通知，请登录平台“消息”查看。"
    )
    data = {
        "first": first.title if n == 1 else f"您有{n}条通知",
        "keyword1": first.body[:40],
        "keyword2": timezone.localdate().isoformat(),
        "remark": "请登录平台查看详情。",
    }
    return channels.Message(
        subject=f"【党建平台】{first.title}" if n == 1 else f"【党建平台】您有{n}条通知",
        text=text,
        short=short,
        data=data,
    )


SENDERS = {
    Channel.EMAIL: channels.send_email,
    Channel.SMS: channels.send_sms,
    Channel.WECHAT: channels.send_wechat,
}


def _attempt(delivery_id: int, now: datetime) -> str:
    """One attempt at one delivery, in its own transaction; returns the resulting status."""
    cfg = settings.NOTIFY
    with transaction.atomic():
        lock = Delivery.objects.select_for_update(
            skip_locked=connection.features.has_select_for_update_skip_locked
        )
        d = lock.filter(
            pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        ).first()
        if d is None:
            return "skipped"
        reminders = list(
            Reminder.objects.filter(id__in=d.reminder_ids, closed_on__isnull=True).select_related(
                "finding", "organization", "finding__member"
            )
        )
        notices = (
            list(Notice.objects.filter(id__in=d.notice_ids).order_by("id")) if d.notice_ids else []
        )
        if not reminders and not notices:
            d.status, d.last_error = DeliveryStatus.CANCELLED, "提醒均已处理完毕，不再发送"
            d.save(update_fields=["status", "last_error"])
            return d.status
        contact = Contact.objects.filter(user_id=d.user_id).first()
        address = _address(contact, d.channel) if contact else ""
        d.attempts += 1
        try:
            if not address:
                raise channels.ChannelError("未填写接收地址")
            SENDERS[Channel(d.channel)](address, _message(reminders, notices))
        except channels.ChannelError as exc:
            d.last_error = str(exc)[:300]
            if d.attempts >= cfg["max_attempts"]:
                d.status = DeliveryStatus.FAILED
            else:
                d.next_attempt_at = now + timedelta(
                    seconds=cfg["backoff_seconds"] * 2 ** (d.attempts - 1)
                )
        else:
            d.status, d.sent_at, d.last_error = DeliveryStatus.SENT, now, ""
            d.summary = "、".join(
                x
                for x in (
                    f"{len(reminders)}条待办预警" if reminders else "",
                    f"{len(notices)}条通知" if notices else "",
                )
                if x
            )
        d.save(
            update_fields=[
                "status",
                "attempts",
                "next_attempt_at",
                "last_error",
                "sent_at",
                "summary",
            ]
        )
        return d.status


def delivery_send_due(now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Send what is due (outside quiet hours); each delivery is its own transaction."""
    now = now or timezone.now()
    counts: dict[str, int] = defaultdict(int)
    if in_quiet_hours(now):
        return dict(counts)
    due = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    for delivery_id in due:
        counts[_attempt(delivery_id, now)] += 1
    return dict(counts)
