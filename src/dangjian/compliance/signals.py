"""Signals the scan sends, so a domain app can act on its own findings without the engine knowing
it."""

from django.dispatch import Signal

# sent inside the scan's closing transaction, after findings are written: as_of=date; and after
# findings followed an act (compliance.follow) with paths=[organization paths] — only findings in
# those subtrees changed
scan_finished = Signal()
