from django.apps import AppConfig


class VillagesConfig(AppConfig):
    name = "dangjian.villages"
    label = "villages"
    verbose_name = "组团帮扶"
    default_auto_field = "django.db.models.BigAutoField"
