"""Signals the scan sends, so a domain app can act on its own findings without the engine knowing
it."""

from django.dispatch import Signal

# sent inside the scan's closing transaction, after findings and reminders are written: as_of=date
scan_finished = Signal()
