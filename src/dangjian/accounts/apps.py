from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dangjian.accounts"
    label = "accounts"
    verbose_name = "账号与权限"

    def ready(self) -> None:
        from dangjian.audit.services import set_role_resolver

        from . import policy, signals  # noqa: F401  (signals: login/logout audit)

        set_role_resolver(policy.role_for)
