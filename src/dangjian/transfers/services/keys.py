"""This deployment's signing keys and the keys it trusts; letters signed for other deployments
(security.md §4: Ed25519, the private key encrypted with the field key)."""

from __future__ import annotations

from django.db import transaction

from dangjian.accounts import policy
from dangjian.accounts.constants import Role
from dangjian.accounts.types import Actor
from dangjian.audit.services import audit_record
from dangjian.core.errors import DomainError, NotVisible

from .. import exchange
from ..models import (
    ExchangeKey,
    Stage,
    Transfer,
    TransferStatus,
    TrustedKey,
)
from ..selectors import committee_of
from ._shared import can_act, letter_body, lock


def _security_admin(actor: Actor) -> None:

    if actor is not None and not policy.has_admin_role(actor, Role.SECURITY_ADMIN):
        raise NotVisible()


@transaction.atomic(durable=True)
def key_generate(*, actor: Actor, deployment: str) -> ExchangeKey:
    """The security admin creates this deployment's signing key; the previous one stays published
    (letters it signed still verify) but no longer signs."""
    _security_admin(actor)
    deployment = (deployment or "").strip()
    if not deployment:
        raise DomainError(
            "required",
            "请填写本部署的名称（如“厦门市委组织部党建平台”），对方据此识别来源",
            field="deployment",
        )
    ExchangeKey.objects.filter(active=True).update(active=False)
    key_id, public, private = exchange.new_keypair()
    k = ExchangeKey.objects.create(
        key_id=key_id,
        deployment=deployment[:100],
        public_key=public,
        private_encrypted=private,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="transfers.key_generate",
        obj=k,
        data={"key_id": key_id, "deployment": k.deployment},
    )
    return k


@transaction.atomic(durable=True)
def key_trust(*, actor: Actor, published: str) -> list[TrustedKey]:
    """Register the keys another deployment publishes (its key file)."""
    _security_admin(actor)
    own = set(ExchangeKey.objects.values_list("key_id", flat=True))
    out = []
    for k in exchange.parse_published(published):
        if k["key_id"] in own:
            raise DomainError("own", "这是本部署自己的公钥，无需登记", field="keys")
        t, _ = TrustedKey.objects.update_or_create(
            key_id=k["key_id"],
            defaults={
                "public_key": k["public_key"],
                "deployment": k["deployment"] or "未命名部署",
                "revoked": False,
                "created_by": actor,
            },
        )
        out.append(t)
    audit_record(
        actor=actor,
        action="transfers.key_trust",
        data={"keys": [t.key_id for t in out], "deployment": out[0].deployment},
    )
    return out


@transaction.atomic(durable=True)
def key_revoke(*, actor: Actor, key: TrustedKey) -> TrustedKey:
    _security_admin(actor)
    key.revoked = True
    key.save(update_fields=["revoked"])
    audit_record(actor=actor, action="transfers.key_revoke", obj=key, data={"key_id": key.key_id})
    return key


@transaction.atomic(durable=True)
def transfer_sign(*, actor: Actor, transfer: Transfer) -> Transfer:
    """Sign an issued letter that leaves the deployment (when the key was created after the
    issue)."""
    t = lock(transfer)
    if not can_act(actor, committee_of(t.from_org)):
        raise NotVisible()
    if t.to_org is not None or t.status != TransferStatus.OPEN or t.stage != Stage.ISSUED:
        raise DomainError("stage", "只有已开具、转往本系统以外的介绍信需要电子签名")
    t.token = exchange.sign(letter_body(t))
    t.save(update_fields=["token", "updated_at"])
    audit_record(
        actor=actor,
        action="transfers.sign",
        obj=t,
        organization=t.from_org,
        data={"letter_no": t.letter_no},
    )
    return t
