from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "dangjian.assistant"
    label = "assistant"
    verbose_name = "党建助手"
    default_auto_field = "django.db.models.BigAutoField"
