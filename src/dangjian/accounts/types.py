"""The type every service's `actor` argument has."""

from __future__ import annotations

from typing import TypeAlias

from .models import User

Actor: TypeAlias = User | None
"""Who acts in a service: the signed-in user, or None for the platform itself (the scan, the
worker, the seed, a command run by the operator on the server). Services record it in the audit
event; a None actor passes the scope checks that a command line needs to pass."""
