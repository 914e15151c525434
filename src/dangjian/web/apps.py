from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "dangjian.web"
    label = "web"
    verbose_name = "界面"

    def ready(self) -> None:
        from .hooks import autodiscover

        autodiscover()
