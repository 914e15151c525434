from typing import Any

from django.apps import AppConfig


def _resources_changed(sender: Any, resource_ids: list[int], **kwargs: Any) -> None:
    from . import services

    services.explanations_sync(resource_ids)


class AssistantConfig(AppConfig):
    name = "dangjian.assistant"
    label = "assistant"
    verbose_name = "党建助手"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # the library's 讲解 (videos and audio with a transcript) are cited like documents
        from dangjian.learning.signals import resources_changed

        resources_changed.connect(_resources_changed, dispatch_uid="assistant.explanations")
