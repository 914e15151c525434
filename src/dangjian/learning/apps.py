from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "dangjian.learning"
    verbose_name = "学习教育"
    default_auto_field = "django.db.models.BigAutoField"
