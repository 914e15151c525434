from django.apps import AppConfig


class AcademyConfig(AppConfig):
    name = "dangjian.academy"
    label = "academy"
    verbose_name = "城市党建学院"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dangjian.learning import evidence

        from .selectors import completed_trainings

        evidence.register_training(completed_trainings)
