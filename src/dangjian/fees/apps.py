from datetime import date
from typing import Any

from django.apps import AppConfig


class FeesConfig(AppConfig):
    name = "dangjian.fees"
    verbose_name = "党费"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dangjian.members.signals import members_added

        from .services import ledger_open_for

        def open_ledger(
            sender: object,
            member_ids: list[int] | None = None,
            first_id: int | None = None,
            today: date | None = None,
            defer: Any = None,
            **kw: object,
        ) -> None:
            ledger_open_for(member_ids=member_ids, first_id=first_id, today=today, defer=defer)

        members_added.connect(open_ledger, dispatch_uid="fees.open_ledger", weak=False)
