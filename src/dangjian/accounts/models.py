"""Accounts: the user, its role grants on the tree, and password history."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone

from .constants import ADMIN_ROLES, Role


class User(AbstractUser):
    """A person who signs in: a member (linked to their record), staff, or one of the three
    admins."""

    display_name = models.CharField("姓名", max_length=50, blank=True)
    member = models.OneToOneField(
        "members.Member",
        verbose_name="对应党员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="user",
    )
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    must_change_password = models.BooleanField("下次登录须修改密码", default=False)
    # when the person first set their own password (a member account through activation)
    activated_at = models.DateTimeField("开通时间", null=True, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.display_name or self.username


class Session(AbstractBaseSession):
    """A browser's session (Django's: key, signed data, expiry) with the user signed in on it, so
    that every page reads the session, the user and their grants in one statement
    (accounts.sessions). The user is set from the session's data each time it is saved: none
    before sign-in, none after sign-out (the session is then deleted)."""

    # no constraint in the database: a sign-in whose user was deleted meanwhile must not turn
    # into Django's endless retry of a session insert that fails; the read treats a user id
    # without its row as no user, and deleting a user through the ORM still deletes its sessions
    user = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sessions",
        db_constraint=False,
    )

    class Meta(AbstractBaseSession.Meta):
        db_table = "accounts_session"

    @classmethod
    def get_session_store_class(cls) -> type:
        from .sessions.db import SessionStore  # noqa: PLC0415 - the engine imports this module

        return SessionStore


class RoleGrant(models.Model):
    """A role held on an organization; it covers that organization's whole subtree.

    Admin roles (三员) are not tied to the tree's data: one account holds at most one of them
    (partial unique constraint), and never together with a staff role (checked in the service).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name="授权组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grants",
    )
    can_unmask = models.BooleanField("可查看完整身份证号/手机号", default=False)
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="grants_given"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)

    class Meta:
        verbose_name = "角色授权"
        verbose_name_plural = "角色授权"
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(role__in=sorted(ADMIN_ROLES), revoked_at__isnull=True),
                name="accounts_rolegrant_one_admin_role",
                violation_error_message="同一账号只能担任一种管理员角色（三员分立）",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "organization"],
                condition=models.Q(revoked_at__isnull=True),
                name="accounts_rolegrant_unique_active",
                violation_error_message="该账号已在此组织拥有该角色",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_role_display()} {self.organization or ''}"


class PasswordHistory(models.Model):
    """Hashes of a user's previous passwords; the last 5 may not be reused (security.md A2)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    encoded = models.CharField(max_length=256)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d}"


def password_expired(user: User) -> bool:

    if user.password_changed_at is None:
        return False
    age = timezone.now() - user.password_changed_at
    return age.days >= settings.PASSWORD_MAX_AGE_DAYS


class ActivationKind(models.TextChoices):
    SMS = "sms", "短信验证码"
    SLIP = "slip", "激活单"
    # a staff account's slip comes in two parts: the first from the system admin (SLIP), the second
    # from the security admin (SECOND); activation needs both, so neither admin alone can open it
    SECOND = "sec", "激活单第二联"


class Activation(models.Model):
    """A one-time code that lets a member set their own password — no password is ever handed
    around: sent to the phone on their record (valid 10 minutes) or printed on an activation slip
    the branch hands over (valid 30 days). Only a keyed hash of the code is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="activations")
    kind = models.CharField("方式", max_length=4, choices=ActivationKind.choices)
    code_hash = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField("失效时间")
    attempts = models.PositiveSmallIntegerField("错误次数", default=0)
    locked_until = models.DateTimeField("锁定至", null=True, blank=True)
    used_at = models.DateTimeField("使用时间", null=True, blank=True)
    sent_to = models.CharField("发送至", max_length=20, blank=True)  # the masked phone

    class Meta:
        verbose_name = "账号激活码"
        verbose_name_plural = "账号激活码"
        indexes = [
            models.Index(fields=["user", "kind", "created_at"], name="accounts_activation_recent")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}"
