from django.apps import AppConfig


class EnterprisesConfig(AppConfig):
    name = "dangjian.enterprises"
    label = "enterprises"
    verbose_name = "非公党建"
    default_auto_field = "django.db.models.BigAutoField"
