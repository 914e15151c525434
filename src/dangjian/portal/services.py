"""Member accounts: activation without a password handed around (a code sent to the phone on the
member's record, or printed on a slip the branch hands over), and the slips.

Activation answers the same whatever was typed (a wrong name/number pair, an unknown member, an
account already open): nobody learns who is a member from this page. An SMS goes out at most once
a minute and five times a day per member; a code lives 10 minutes (a slip 30 days); five wrong
codes lock that code for 30 minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.accounts.models import Activation, ActivationKind, User
from dangjian.accounts.services import set_password
from dangjian.accounts.types import Actor
from dangjian.audit.services import audit_record
from dangjian.core import crypto, idnumber
from dangjian.core.errors import DomainError, NotVisible

__all__ = [
    "DomainError",
    "activation_finish",
    "activation_start",
    "slip_finish",
    "slips_issue",
    "user_slip_issue",
]
from dangjian.members.constants import ON_ROLL_STATUSES
from dangjian.members.models import Member
from dangjian.notify.channels import ChannelError, Message, configured, send_sms

SMS_MINUTES = 10
SLIP_DAYS = 30
MAX_ATTEMPTS = 5
LOCK_MINUTES = 30
SMS_PER_DAY = 5
SMS_GAP_SECONDS = 60
SLIP_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I


def _hash(code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, code.strip().upper().encode(), hashlib.sha256).hexdigest()


def _member_user(name: str, member_no: str = "", phone: str = "") -> User | None:
    """The member account named by name + number (or name + phone), on the roll; else None."""
    name = (name or "").strip()
    q = Q(member_no=(member_no or "").strip()) if member_no else None
    if q is None and phone:
        q = Q(phone_index=crypto.blind_index(phone.strip()))
    if not name or q is None:
        return None
    member = Member.objects.filter(q, name=name, status__in=ON_ROLL_STATUSES).first()
    if member is None:
        return None
    return User.objects.filter(member=member, is_active=True).first()


@dataclass(frozen=True)
class Started:
    """What the page keeps between the two steps (in the session): the code's id, or a decoy."""

    ticket: str


def sms_available() -> bool:
    return configured()["sms"]


@transaction.atomic(durable=True)
def activation_start(*, name: str, member_no: str = "", phone: str = "") -> Started:
    """Send a 6-digit code to the phone on the member's record — if the pair names a member whose
    account is not open yet, the limits allow, and a phone is on file. The answer never tells."""
    decoy = Started(ticket="x" + secrets.token_hex(8))
    user = _member_user(name, member_no, phone)
    if user is None or user.member_id is None or user.has_usable_password() or not sms_available():
        return decoy
    member = Member.objects.get(pk=user.member_id)
    phone_no = crypto.decrypt(member.phone_encrypted) if member.phone_encrypted else ""
    if not phone_no:
        return decoy
    now = timezone.now()
    recent = Activation.objects.filter(user=user, kind=ActivationKind.SMS)
    if recent.filter(created_at__gte=now - timedelta(seconds=SMS_GAP_SECONDS)).exists():
        return decoy
    if recent.filter(created_at__gte=now - timedelta(days=1)).count() >= SMS_PER_DAY:
        return decoy
    code = f"{secrets.randbelow(10**6):06d}"
    a = Activation.objects.create(
        user=user,
        kind=ActivationKind.SMS,
        code_hash=_hash(f"{user.pk}:{code}"),
        expires_at=now + timedelta(minutes=SMS_MINUTES),
        sent_to=idnumber.mask_phone(phone_no),
    )
    text = f"【党建平台】您的账号激活验证码：{code}，{SMS_MINUTES}分钟内有效。请勿告诉他人。"

    def send() -> None:
        try:
            send_sms(phone_no, Message("账号激活", text, text, {"code": code}))
        except ChannelError:
            pass  # the member asks again after a minute; the audit event records the attempt

    transaction.on_commit(send)
    audit_record(
        actor=None,
        actor_name=member.name,
        action="accounts.activation_sent",
        obj=user,
        organization=member.organization,
        data={"to": a.sent_to},
    )
    return Started(ticket=str(a.pk))


def _finish(a: Activation, password: str, password2: str) -> User:
    if password != password2:
        raise DomainError("mismatch", "两次输入的密码不一致", field="password2")
    user = User.objects.select_for_update().get(pk=a.user_id)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError("weak_password", "；".join(exc.messages), field="password") from exc
    set_password(user, password)
    user.must_change_password = False
    user.activated_at = timezone.now()
    user.save(
        update_fields=["password", "password_changed_at", "must_change_password", "activated_at"]
    )
    a.used_at = timezone.now()
    a.save(update_fields=["used_at"])
    # every other code of the person is spent with it
    Activation.objects.filter(user=user, used_at__isnull=True).update(used_at=a.used_at)
    audit_record(actor=user, action="accounts.activate", obj=user, data={"kind": a.kind})
    return user


WRONG = "验证码错误或已失效"
SECOND_WRONG = "第二联激活码不正确或已失效"


def _verify(a: Activation | None, code: str, name: str = "") -> str | None:
    """None when the code is right; else why not. A wrong code (or name) is counted against the
    activation it was typed for, and locks it after five."""
    now = timezone.now()
    if a is None or a.used_at is not None or a.expires_at < now:
        return WRONG
    if a.locked_until and a.locked_until > now:
        return "错误次数过多，请30分钟后再试"
    salt = "" if a.kind == ActivationKind.SLIP else f"{a.user_id}:"
    right = hmac.compare_digest(a.code_hash, _hash(salt + code.strip().replace("-", "")))
    if right and name and a.user.display_name != name.strip():
        right = False
    if not right:
        a.attempts += 1
        if a.attempts >= MAX_ATTEMPTS:
            a.locked_until, a.attempts = now + timedelta(minutes=LOCK_MINUTES), 0
        a.save(update_fields=["attempts", "locked_until"])
        return WRONG
    return None


def activation_finish(*, ticket: str, code: str, password: str, password2: str) -> User:
    """Step two: the code sent by SMS, and the member's own password."""
    with transaction.atomic(durable=True):
        a = (
            Activation.objects.select_for_update()
            .select_related("user")
            .filter(pk=int(ticket), kind=ActivationKind.SMS)
            .first()
            if ticket.isdecimal()
            else None
        )
        why = _verify(a, code)
        if why is None and a is not None:
            return _finish(a, password, password2)
    # outside the transaction: the counted attempt stays recorded
    raise DomainError("bad_code", why or WRONG, field="code")


def slip_finish(*, name: str, code: str, password: str, password2: str, code2: str = "") -> User:
    """Activation with the printed slip: the person's name, the slip's code, their own password;
    for a staff account also the code of the second part the security admin printed."""
    digest = _hash(code.strip().replace("-", "").upper())
    with transaction.atomic(durable=True):
        a = (
            Activation.objects.select_for_update()
            .select_related("user")
            .filter(kind=ActivationKind.SLIP, code_hash=digest)
            .first()
        )
        why = _verify(a, code, name=name or "—")
        why2 = None
        if why is None and a is not None and a.user.member_id is None:
            why2 = _verify_second(a.user, code2)
        if why is None and why2 is None and a is not None:
            return _finish(a, password, password2)
    # outside the transaction: the counted attempt stays recorded
    if why is None and why2 is not None:
        raise DomainError("bad_code", why2, field="code2")
    slip_wrong = "姓名或激活码不正确，或激活单已失效"
    raise DomainError("bad_code", slip_wrong if why in (None, WRONG) else why, field="code")


def _verify_second(user: User, code2: str) -> str | None:
    """A staff account's second part (printed by the security admin): None when right."""
    if not code2.strip():
        return "工作人员账号还须填写第二联（安全管理员打印）上的激活码"
    second = (
        Activation.objects.select_for_update()
        .select_related("user")
        .filter(user=user, kind=ActivationKind.SECOND, used_at__isnull=True)
        .order_by("-created_at")
        .first()
    )
    why = _verify(second, code2.strip().upper())
    return SECOND_WRONG if why == WRONG else why


@dataclass(frozen=True)
class Slip:
    member: Member | None  # None: a staff account's slip
    code: str
    expires_on: Any
    user: User | None = None
    part: int = 0  # a staff account's slip: 1 from the system admin, 2 from the security admin


def _slip_code() -> str:
    return "".join(secrets.choice(SLIP_ALPHABET) for _ in range(12))


def _dashed(raw: str) -> str:
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _staff_slip(
    actor: Actor, user: User, *, admin: str, kind: str, member_reason: str, salted: bool
) -> tuple[User, str, Any]:
    """One part of a staff account's slip (the caller's transaction): refused for an active or a
    member's account and for oneself; an earlier unused part of the same kind stops working.
    Returns the account, the code (printed once, only its hash kept) and its expiry."""
    if actor is not None and not policy.has_admin_role(actor, admin):
        raise NotVisible()
    u = User.objects.select_for_update().get(pk=user.pk)
    if not u.is_active:
        raise DomainError("inactive", "账号已停用，请先启用")
    if u.has_usable_password():
        raise DomainError("active", "该账号已开通；如本人忘记密码，请先重置")
    if u.member_id:
        raise DomainError("member", member_reason)
    if actor is not None and actor.pk == u.pk:
        raise DomainError("self", "不能为自己打印激活单")
    now = timezone.now()
    Activation.objects.filter(user=u, kind=kind, used_at__isnull=True).update(used_at=now)
    raw = _slip_code()
    expires = now + timedelta(days=SLIP_DAYS)
    digest = _hash(f"{u.pk}:{raw}" if salted else raw)
    Activation.objects.create(user=u, kind=kind, code_hash=digest, expires_at=expires)
    return u, raw, expires


@transaction.atomic(durable=True)
def user_slip_issue(*, actor: Actor, user: User) -> Slip:
    """The first part of a sealed activation slip for a staff account the system admin opened or
    reset: the person activates with their name, this code and the second part's code, and sets
    their own password; the admin never holds a password. An account with a usable password gets
    none (reset it first)."""
    # a member opens their account with an SMS code or the slip their branch prints: the system
    # admin never holds a code that would let them sign in as a member
    u, raw, expires = _staff_slip(
        actor,
        user,
        admin="system_admin",
        kind=ActivationKind.SLIP,
        member_reason="党员账号由本人用短信验证码或所在党支部打印的激活单开通",
        salted=False,  # found by its code alone at activation
    )
    audit_record(
        actor=actor, action="accounts.activation_slip", obj=u, data={"username": u.username}
    )
    return Slip(None, _dashed(raw), expires.date(), user=u, part=1)


@transaction.atomic(durable=True)
def user_slip_second_issue(*, actor: Actor, user: User) -> Slip:
    """The second part of a staff account's slip, printed by the security admin: activation needs
    both parts, so the system admin who opened the account cannot activate it alone (nor the
    security admin). Printed once; an earlier second part stops working."""
    u, raw, expires = _staff_slip(
        actor,
        user,
        admin="security_admin",
        kind=ActivationKind.SECOND,
        member_reason="党员账号没有第二联：由本人用短信验证码或激活单开通",
        salted=True,  # checked against the account the first part names
    )
    audit_record(
        actor=actor, action="accounts.activation_slip2", obj=u, data={"username": u.username}
    )
    return Slip(None, _dashed(raw), expires.date(), user=u, part=2)


@transaction.atomic(durable=True)
def slips_issue(*, actor: Actor, members: list[Member]) -> list[Slip]:
    """Activation slips for members (in the actor's scope) whose account is not open yet: a code
    valid 30 days each, printed once (only its hash is kept); an earlier slip stops working."""
    users = {
        u.member_id: u
        for u in User.objects.filter(member__in=members, is_active=True).select_related("member")
    }
    out: list[Slip] = []
    now = timezone.now()
    expires = now + timedelta(days=SLIP_DAYS)
    fresh: list[Activation] = []
    for m in members:
        if actor is not None and not policy.can(actor, "change", m.organization):
            raise NotVisible()
        u = users.get(m.pk)
        if u is None or u.has_usable_password():
            continue
        raw = _slip_code()
        fresh.append(
            Activation(user=u, kind=ActivationKind.SLIP, code_hash=_hash(raw), expires_at=expires)
        )
        out.append(Slip(m, _dashed(raw), expires.date(), user=u))
    Activation.objects.filter(
        user__in=[a.user for a in fresh], kind=ActivationKind.SLIP, used_at__isnull=True
    ).update(used_at=now)
    Activation.objects.bulk_create(fresh)
    audit_record(
        actor=actor,
        action="accounts.activation_slip",
        organization=members[0].organization if members else None,
        object_type="accounts.activation",
        object_repr=f"激活单{len(out)}份",
        data={"members": [s.member.member_no for s in out if s.member is not None]},
    )
    return out
