from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "dangjian.transfers"
    verbose_name = "组织关系转接"
    default_auto_field = "django.db.models.BigAutoField"
