"""Password rules required by MLPS 2.0 level 3 (security.md A1–A2); MLPS wins over ASVS here."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError


class CharacterClassValidator:
    """At least 3 of the 4 classes: upper case, lower case, digits, symbols."""

    def validate(self, password: str, user: Any = None) -> None:
        classes = [
            any(c.isupper() for c in password),
            any(c.islower() for c in password),
            any(c.isdecimal() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < 3:
            raise ValidationError(
                "密码须包含大写字母、小写字母、数字、符号中的至少三类", code="password_classes"
            )

    def get_help_text(self) -> str:
        return "密码须包含大写字母、小写字母、数字、符号中的至少三类。"


class PasswordHistoryValidator:
    """The last five passwords may not be reused."""

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or not getattr(user, "pk", None):
            return

        recent = list(
            user.password_history.values_list("encoded", flat=True)[
                : settings.PASSWORD_HISTORY_COUNT
            ]
        )
        if user.password and user.password not in recent:
            recent.insert(0, user.password)
        for encoded in recent[: settings.PASSWORD_HISTORY_COUNT]:
            if check_password(password, encoded):
                raise ValidationError("不能与最近5次使用过的密码相同", code="password_reused")

    def get_help_text(self) -> str:
        return "不能与最近5次使用过的密码相同。"
