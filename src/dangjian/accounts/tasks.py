"""Jobs of accounts: sessions past their expiry deleted every night."""

from importlib import import_module

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(hour="1", minute="5"))
def sessions_cleared() -> None:
    """Nightly: the sessions that have expired (15 minutes idle, or signed out by closing the
    browser) are deleted in one statement, so the table the sign-in reads holds only live ones."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
