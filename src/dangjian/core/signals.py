"""Signals that let a low layer hand work over without importing the app that tells people.

`handover` is sent inside a service's transaction when an act makes someone else responsible for
the next step and the sending app sits below notify (accounts, orgs, members). notify's receiver
turns it into in-app notices at once (their chosen channels in the daily digest). Arguments:

    organization   the organization concerned
    title, body    what happened and what to do (Chinese)
    url            where it is done
    key            one notice per person and key
    users          the people to tell (a queryset of users), or None for those responsible for
                   `action` on the organization (the nearest level with someone granted)
    action         "change" by default
"""

from django.dispatch import Signal

handover = Signal()
