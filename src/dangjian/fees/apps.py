from django.apps import AppConfig


class FeesConfig(AppConfig):
    name = "dangjian.fees"
    verbose_name = "党费"
    default_auto_field = "django.db.models.BigAutoField"
