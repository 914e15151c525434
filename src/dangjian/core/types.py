"""Types shared by every layer."""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

Actor: TypeAlias = AbstractBaseUser | AnonymousUser | None
"""Who acts in a service: the signed-in user (`request.user`), or None for the platform itself
(the scan, the worker, the seed, a command run by the operator). Services record it in the audit
event; scope checks treat None as the system, which needs none."""
