"""Account writes: users, passwords, role grants, two-factor devices. Each one audited."""

from __future__ import annotations

import secrets
import string
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from dangjian.accounts.types import Actor
from dangjian.audit.services import audit_record
from dangjian.core.errors import DomainError
from dangjian.core.signals import handover

from . import policy
from .constants import ADMIN_ROLES, STAFF_ROLES, Role
from .models import PasswordHistory, RoleGrant, User


def _require_admin(actor: Actor, role: str) -> None:
    if actor is not None and not policy.has_admin_role(actor, role):
        raise DomainError("forbidden", f"只有{Role(role).label}可以办理此事项")


def generate_password(length: int = 14) -> str:
    """A random initial password meeting the complexity rules."""
    alphabet = string.ascii_letters + string.digits
    while True:
        body = "".join(secrets.choice(alphabet) for _ in range(length - 2))
        pw = body + secrets.choice("!@#%^*-_") + secrets.choice(string.digits)
        if any(c.isupper() for c in pw) and any(c.islower() for c in pw):
            return pw


def set_password(user: User, password: str) -> None:
    """Set a new password, keeping the old one in the history (no reuse of the last five)."""
    if user.password:
        PasswordHistory.objects.create(user=user, encoded=user.password)
    user.set_password(password)
    user.password_changed_at = timezone.now()


@transaction.atomic(durable=True)
def user_create(
    *,
    actor: Actor,
    username: str,
    display_name: str,
    member: Any = None,
    password: str | None = None,
    must_change_password: bool = True,
) -> tuple[User, str]:
    """Open an account (system admin). Without a password (the console) the account has no usable
    password: its person activates it with a sealed slip (portal.services.user_slip_issue) and
    sets their own, so the creator never holds a credential. A password is given only by the
    demo, the benchmarks and tests. Returns the user and the password given ("" when none)."""
    _require_admin(actor, Role.SYSTEM_ADMIN)
    username = (username or "").strip()
    if not username or len(username) > 150 or not all(c.isalnum() or c in "._-@" for c in username):
        raise DomainError(
            "invalid", "用户名只能由字母、数字和 . _ - @ 组成，且不超过150个字符", field="username"
        )
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError("duplicate", f"用户名“{username}”已存在", field="username")
    if member is not None and User.objects.filter(member=member).exists():
        raise DomainError("duplicate", "该党员已有账号", field="member")
    user = User(
        username=username,
        display_name=(display_name or "").strip()[:50],
        member=member,
        must_change_password=must_change_password,
    )
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise DomainError("weak_password", "；".join(exc.messages), field="password") from exc
        user.set_password(password)
        user.password_changed_at = timezone.now()
        user.activated_at = timezone.now()
    else:
        user.set_unusable_password()
    user.save()
    audit_record(
        actor=actor,
        action="accounts.user_create",
        obj=user,
        data={"username": username, "member": member.member_no if member else None},
    )
    return user, password or ""


@transaction.atomic(durable=True)
def user_reset_password(*, actor: Actor, user: User) -> User:
    """The person forgot their password (system admin): the old one stops working and the account
    waits for a new activation slip (portal.services.user_slip_issue). The admin never sees or
    sets a password; the person's authenticator stays bound, so the slip alone does not pass
    two-factor."""
    _require_admin(actor, Role.SYSTEM_ADMIN)
    if actor is not None and actor.pk == user.pk:
        raise DomainError("self", "不能重置自己的密码，请在“修改密码”中办理")
    u = User.objects.select_for_update().get(pk=user.pk)
    u.set_unusable_password()
    u.password_changed_at = timezone.now()
    u.save(update_fields=["password", "password_changed_at"])
    audit_record(actor=actor, action="accounts.password_reset", obj=u)
    return u


@transaction.atomic(durable=True)
def user_set_active(*, actor: Actor, user: User, is_active: bool) -> User:
    _require_admin(actor, Role.SYSTEM_ADMIN)
    if actor is not None and actor.pk == user.pk:
        raise DomainError("self", "不能停用自己的账号")
    u = User.objects.select_for_update().get(pk=user.pk)
    u.is_active = is_active
    u.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="accounts.user_deactivate" if not is_active else "accounts.user_update",
        obj=u,
        data={"is_active": is_active},
    )
    return u


@transaction.atomic(durable=True)
def password_change(*, user: User, old_password: str, new_password: str) -> User:
    """The user changes their own password (required at first sign-in and every 90 days)."""
    u = User.objects.select_for_update().get(pk=user.pk)
    if not u.check_password(old_password):
        raise DomainError("wrong_password", "原密码不正确", field="old_password")
    if old_password == new_password:
        raise DomainError("same_password", "新密码不能与原密码相同", field="new_password")
    try:
        validate_password(new_password, u)
    except ValidationError as exc:
        raise DomainError("weak_password", "；".join(exc.messages), field="new_password") from exc
    set_password(u, new_password)
    u.must_change_password = False
    # (changing a password is not an activation: only the person's slip or SMS code activates)
    u.save(update_fields=["password", "password_changed_at", "must_change_password"])
    audit_record(actor=u, action="accounts.password_change", obj=u)
    return u


@transaction.atomic(durable=True)
def grant_create(
    *, actor: Actor, user: User, role: str, organization: Any = None, can_unmask: bool = False
) -> RoleGrant:
    """Grant a role (security admin). Staff roles cover an organization's subtree; the three
    admin roles are exclusive: one account holds at most one, and never a staff role with it."""
    _require_admin(actor, Role.SECURITY_ADMIN)
    if role not in Role.values:
        raise DomainError("invalid", "角色无效", field="role")
    if actor is not None and actor.pk == user.pk:
        raise DomainError("self", "不能给自己授权")
    active = set(
        RoleGrant.objects.filter(user=user, revoked_at__isnull=True).values_list("role", flat=True)
    )
    if role in ADMIN_ROLES:
        if organization is not None:
            raise DomainError("invalid", "管理员角色不绑定组织", field="organization")
        if active & ADMIN_ROLES:
            raise DomainError(
                "separation", "同一账号只能担任一种管理员角色（三员分立）", field="role"
            )
        if active & STAFF_ROLES:
            raise DomainError("separation", "管理员账号不能同时担任业务角色", field="role")
        if user.member_id:
            raise DomainError("separation", "党员账号不能担任管理员", field="role")
    else:
        if organization is None:
            raise DomainError("required", "请选择授权的组织", field="organization")
        if user.member_id:
            # a member's own account signs in with a password only: staff work needs a staff
            # account of its own (two-factor, its own activation)
            raise DomainError(
                "separation", "党员个人账号不能担任业务角色，请为其开设工作账号", field="username"
            )
        if active & ADMIN_ROLES:
            raise DomainError("separation", "管理员账号不能同时担任业务角色", field="role")
    try:
        with transaction.atomic():
            grant = RoleGrant.objects.create(
                user=user,
                role=role,
                organization=organization,
                can_unmask=can_unmask and role in STAFF_ROLES,
                granted_by=actor,
            )
    except IntegrityError as exc:
        raise DomainError("duplicate", "该账号已有此授权，或违反三员分立", field="role") from exc
    policy.forget(user)
    if organization is not None:
        handover.send(
            sender=RoleGrant,
            organization=organization,
            users=User.objects.filter(pk=user.pk, is_active=True),
            title=f"您已获授权：{Role(role).label}",
            body=f"管理范围：{organization.name}及其下级组织。登录后在“待办”查看需要办理的事项。",
            url=reverse("portal:home"),
            key=f"grant:{grant.pk}",
        )
    audit_record(
        actor=actor,
        action="accounts.grant_create",
        obj=grant,
        organization=organization,
        data={
            "user": user.username,
            "role": role,
            "organization": getattr(organization, "code", None),
            "can_unmask": grant.can_unmask,
        },
    )
    return grant


@transaction.atomic(durable=True)
def grant_revoke(*, actor: Actor, grant: RoleGrant) -> RoleGrant:
    _require_admin(actor, Role.SECURITY_ADMIN)
    g = RoleGrant.objects.select_for_update().get(pk=grant.pk)
    if g.revoked_at is not None:
        raise DomainError("revoked", "该授权已撤销")
    g.revoked_at = timezone.now()
    g.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="accounts.grant_revoke",
        obj=g,
        organization=g.organization,
        data={"user": g.user.username, "role": g.role},
    )
    return g


@transaction.atomic(durable=True)
def otp_static_codes_issue(*, actor: Actor, user: User, count: int = 6) -> list[str]:
    """Issue single-use backup codes (replacing earlier ones)."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="backup")
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(count)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    audit_record(actor=actor, action="accounts.otp_setup", obj=user, data={"backup_codes": count})
    return codes


def otp_totp_pending(user: User) -> TOTPDevice:
    """The unconfirmed authenticator being set up (created on first call)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


@transaction.atomic(durable=True)
def otp_totp_confirm(*, user: User, device: TOTPDevice, token: str) -> TOTPDevice:
    if not device.verify_token(token):
        raise DomainError("bad_token", "动态口令不正确，请核对手机上的6位数字", field="token")
    TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(actor=user, action="accounts.otp_setup", obj=user, data={"device": "totp"})
    return device
