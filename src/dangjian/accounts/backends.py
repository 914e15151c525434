"""Sign-in backend: Django's ModelBackend, with the user read on every request compiled once
(core.prepared) instead of built by the ORM each time."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from dangjian.core.prepared import Prepared

from .models import User

_USER = Prepared(lambda pk: User.objects.filter(pk=pk), int)


class ModelBackend(DjangoModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        found = _USER.instances(User, pk)
        if found and self.user_can_authenticate(found[0]):
            return found[0]
        return None
