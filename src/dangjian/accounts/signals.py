"""Audit of sign-in events (auth signals are the only hook Django offers for these)."""

from __future__ import annotations

import time
from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from dangjian.audit.services import audit_record


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session["login_at"] = time.time()  # the 8-hour absolute limit starts here
    with transaction.atomic():
        audit_record(actor=user, action="accounts.login", obj=user)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        with transaction.atomic():
            audit_record(actor=user, action="accounts.logout", obj=user)


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    with transaction.atomic():
        audit_record(
            actor=None,
            actor_name=username,
            action="accounts.login_failed",
            result="failure",
            object_type="accounts.user",
            object_repr=username,
        )


@receiver(user_locked_out)
def _locked_out(
    sender: Any,
    request: Any = None,
    username: str | None = None,
    ip_address: str | None = None,
    **kwargs: Any,
) -> None:
    with transaction.atomic():
        audit_record(
            actor=None,
            actor_name=(username or "")[:150],
            action="accounts.locked",
            result="failure",
            object_type="accounts.user",
            object_repr=(username or "")[:150],
        )
