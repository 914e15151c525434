from django.apps import AppConfig


class InterchangeConfig(AppConfig):
    name = "dangjian.interchange"
    label = "interchange"
    verbose_name = "数据交换"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # every app's bundle files (`<app>/interchange.py` registers them in core.bundle)
        autodiscover_modules("interchange")
        # every app's list exports (`<app>/exports.py` registers them in web.exports)
        autodiscover_modules("exports")
