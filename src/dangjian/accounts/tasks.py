"""Jobs of accounts: sessions past their expiry deleted every night."""

from importlib import import_module

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(hour="1", minute="5"))
def sessions_cleared() -> None:
    """Nightly: the sessions past their expiry (15 minutes without a page; a closed browser's
    session too, since its row stays until then) are deleted in one statement, so the table every
    page reads holds only live ones."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
