from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The pages that gather several apps: sign-in, 工作台, 我的 and the three admins' console."""

    name = "dangjian.portal"
    label = "portal"
    verbose_name = "门户"
