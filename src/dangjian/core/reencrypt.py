"""Re-encrypt every encrypted field (and recompute its blind index) into the deployment's scheme.

After a deployment changes DANGJIAN_CRYPTO (aes ↔ sm) and restarts, new writes use the new scheme
and `crypto.decrypt` still reads the old one; `dangjian reencrypt` then converts what is stored.
Each batch is one transaction with its rows locked (SELECT … FOR UPDATE on PostgreSQL; SQLite
writes one transaction at a time), so a concurrent edit is never overwritten and an interrupted
run leaves every row either converted or untouched. Resuming needs no bookmark: the rows still to
convert are exactly those whose ciphertext does not carry the scheme's prefix.

Until the run ends, a lookup by ID number or phone (search, duplicate checks) does not find the rows
still unconverted, because their blind index is in the old scheme: run it in a maintenance window
(docs/security.md says how long a city takes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import transaction
from django.db.models import Q

from dangjian.core import crypto, privacy


@dataclass
class Progress:
    converted: dict[str, int] = field(default_factory=dict)  # "model.field" → rows converted
    remaining: dict[str, int] = field(default_factory=dict)  # filled by `pending`


def _pending_q(name: str) -> Q:
    prefix = crypto.PREFIX[crypto.scheme()] + ":"
    return ~Q(**{name: ""}) & ~Q(**{f"{name}__startswith": prefix})


def pending() -> dict[str, int]:
    """Rows per encrypted field not yet in the deployment's scheme."""
    out = {}
    for label, name, _index in privacy.encrypted_fields():
        model = apps.get_model(label)
        out[f"{label}.{name}"] = model._default_manager.filter(_pending_q(name)).count()
    return out


def reencrypt(batch: int = 1000, on_batch: Callable[[str, int], None] | None = None) -> Progress:
    """Convert every pending row, `batch` rows per transaction; `on_batch(field, n)` after each."""
    progress = Progress()
    for label, name, index in privacy.encrypted_fields():
        model = apps.get_model(label)
        key = f"{label}.{name}"
        progress.converted[key] = 0
        columns = [name, index] if index else [name]
        while True:
            with transaction.atomic():
                rows = list(
                    model._default_manager.select_for_update()
                    .filter(_pending_q(name))
                    .order_by("pk")
                    .values_list("pk", name)[:batch]
                )
                if not rows:
                    break
                updates = []
                for pk, token in rows:
                    plain = crypto.decrypt(token)
                    obj = model(pk=pk)
                    setattr(obj, name, crypto.encrypt(plain))
                    if index:
                        setattr(obj, index, crypto.blind_index(plain))
                    updates.append(obj)
                model._default_manager.bulk_update(updates, columns, batch_size=500)
            progress.converted[key] += len(rows)
            if on_batch is not None:
                on_batch(key, len(rows))
    progress.remaining = pending()
    return progress
