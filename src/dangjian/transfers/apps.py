from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "dangjian.transfers"
    verbose_name = "组织关系转接"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dangjian.compliance.follow import EXPANDERS

        from .rules import fee_gap_sources

        if fee_gap_sources not in EXPANDERS:
            EXPANDERS.append(fee_gap_sources)
