from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "dangjian.community"
    label = "community"
    verbose_name = "近邻党建"
    default_auto_field = "django.db.models.BigAutoField"
