from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "dangjian.compliance"
    label = "compliance"
    verbose_name = "监测预警"

    def ready(self) -> None:
        # Each domain app contributes its rules from its own rules.py (the way admin finds
        # admin.py); the engine never imports a domain app by name.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("rules")

        from dangjian.core import changes

        from .follow import on_changes

        changes.listen(on_changes)  # findings follow each committed act
