from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "dangjian.notify"
    label = "notify"
    verbose_name = "提醒"

    def ready(self) -> None:
        from dangjian.accounts.sessions import read_with_session
        from dangjian.compliance.signals import scan_finished
        from dangjian.core.signals import handover

        from .selectors import unread_with_session

        # the bell's count read in the session's statement: one round trip fewer on every page
        read_with_session("notify_unread", unread_with_session)

        from .services import handover_notice, reminders_sync

        def sync(sender: object, as_of: object, paths: object = None, **kwargs: object) -> None:
            reminders_sync(as_of, paths=paths)  # type: ignore[arg-type]

        def tell(sender: object, signal: object = None, **kwargs: object) -> None:
            handover_notice(**kwargs)  # type: ignore[arg-type]

        handover.connect(tell, dispatch_uid="notify.handover", weak=False)

        # connected before meetings' receiver (INSTALLED_APPS order): reminders first, as before
        scan_finished.connect(sync, dispatch_uid="notify.reminders_sync", weak=False)
