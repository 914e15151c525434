"""Signals members sends so the apps above can follow without members importing them.

`members_added` is sent inside the transaction that put members on the roll here — created on the
web or through the API, imported, received by transfer, admitted from recruitment — with
`member_ids` (a list) or, for a bulk import, `first_id` (every member with an id from it on is
new), and for a bulk import `today` when its record is as of another day than this one (the
seed's), and `defer` (the import's `BundleContext.at_end`) for work to leave to the end of the
import's transaction (the fee roll-up's refresh, which holds a lock shared by the whole
deployment until the commit). Party fees opens their ledger from the month they must start paying
through that month.
"""

from django.dispatch import Signal

members_added = Signal()
