"""Transfers of organizational relationship (rules.md §5): the services, by topic.

Callers import from `transfers.services`; the package holds the workflow inside the deployment and
out of it (`workflow`), this deployment's exchange keys (`keys`), letters from other deployments
(`incoming`), batch transfers (`batch`), mobile and lost-contact members (`mobile`), and what they
share (`_shared`).
"""

from __future__ import annotations

from ..selectors import committee_of, committees_of, expires_on
from ._shared import (
    DEFAULT_VALID_DAYS,
    MAX_VALID_DAYS,
    letter_body,
    next_month,
)
from .batch import (
    transfer_batch,
    transfer_batch_preview,
)
from .incoming import (
    incoming_accept,
    incoming_import,
    incoming_register,
    incoming_reject,
    receipt_import,
)
from .keys import (
    key_generate,
    key_revoke,
    key_trust,
    transfer_sign,
)
from .mobile import (
    LOST_STEPS,
    lost_decide,
    lost_record,
    mobile_end,
    mobile_register,
    mobile_report,
)
from .workflow import (
    transfer_accept,
    transfer_agree,
    transfer_close,
    transfer_issue,
    transfer_start,
)

__all__ = [
    "DEFAULT_VALID_DAYS",
    "LOST_STEPS",
    "MAX_VALID_DAYS",
    "committee_of",
    "committees_of",
    "expires_on",
    "incoming_accept",
    "incoming_import",
    "incoming_register",
    "incoming_reject",
    "key_generate",
    "key_revoke",
    "key_trust",
    "letter_body",
    "lost_decide",
    "lost_record",
    "mobile_end",
    "mobile_register",
    "mobile_report",
    "next_month",
    "receipt_import",
    "transfer_accept",
    "transfer_agree",
    "transfer_batch",
    "transfer_batch_preview",
    "transfer_close",
    "transfer_issue",
    "transfer_sign",
    "transfer_start",
]
