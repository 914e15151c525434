from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "dangjian.meetings"
    verbose_name = "组织生活"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dangjian.compliance.signals import scan_finished

        from .services import handlings_open_for_absence

        def open_handlings(
            sender: object, as_of: object, paths: object = None, **kwargs: object
        ) -> None:
            handlings_open_for_absence(as_of, paths=paths)  # type: ignore[arg-type]

        scan_finished.connect(open_handlings, dispatch_uid="meetings.open_handlings", weak=False)
