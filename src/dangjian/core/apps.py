from django.apps import AppConfig

from dangjian.core import crypto


class CoreConfig(AppConfig):
    name = "dangjian.core"
    label = "core"
    verbose_name = "核心"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from . import lookups  # noqa: F401 - registers path__under
        from .prepared import generic_plans

        connection_created.connect(generic_plans, dispatch_uid="dangjian.generic_plans")

        # known-answer tests of AES-GCM, SM4(-GCM), SM3 and HMAC-SM3 before anything is encrypted:
        # a broken library or OpenSSL build stops the platform at start instead of writing
        # ciphertext nobody can read (well under a millisecond)
        crypto.self_test()
