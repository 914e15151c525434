from django.apps import AppConfig

from dangjian.core import crypto


class CoreConfig(AppConfig):
    name = "dangjian.core"
    label = "core"
    verbose_name = "核心"

    def ready(self) -> None:
        from . import lookups  # noqa: F401 - registers path__under

        # known-answer tests of AES-GCM, SM4(-GCM), SM3 and HMAC-SM3 before anything is encrypted:
        # a broken library or OpenSSL build stops the platform at start instead of writing
        # ciphertext nobody can read (well under a millisecond)
        crypto.self_test()
