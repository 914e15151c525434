"""The transfer workflow inside the deployment and out of it (rules.md §5; security.md §4).

start (the member or the branch) → the sending committee approves and issues the letter → (inside
the deployment) the receiving committee agrees → the receiving branch accepts: the member's
organization changes in the same transaction. Out of the deployment the receipt is recorded when it
comes back. Reject, cancel and expire close a transfer; the member stays with the sending
organization, which keeps responsibility until the member is received. Every write locks the
transfer row (and the member's on acceptance); the database allows one open transfer per member, so
two racing requests have one effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.audit.services import audit_record
from dangjian.core.errors import DomainError, NotVisible
from dangjian.members.constants import ACTIVE_STATUSES, MemberEventKind
from dangjian.members.models import Member, MemberEvent

from . import exchange
from .models import (
    OPEN_STATUSES,
    ExchangeKey,
    IncomingLetter,
    IncomingStatus,
    LostContact,
    LostStatus,
    MobileDirection,
    MobileMember,
    MobileReport,
    SeenMessage,
    Stage,
    Transfer,
    TransferStatus,
    TrustedKey,
)

DEFAULT_VALID_DAYS = 90
MAX_VALID_DAYS = 180


def committees_of(orgs: Any) -> dict[int, Any]:
    """The nearest committee above (or at) each organization, in one query for all of them: the
    committees among their ancestors' paths, the longest prefix winning."""
    orgs = list(orgs)
    if not orgs:
        return {}
    step = orgs[0].steplen
    prefixes = {o.path[:i] for o in orgs for i in range(step, len(o.path) + 1, step)}
    found = {c.path: c for c in type(orgs[0]).objects.filter(path__in=prefixes, kind="committee")}
    out = {}
    for o in orgs:
        out[o.pk] = next(
            (found[o.path[:i]] for i in range(len(o.path), 0, -step) if o.path[:i] in found), None
        )
    return out


def committee_of(org: Any) -> Any:
    """The nearest committee above (or at) an organization: it approves transfers for its branches."""
    return committees_of([org])[org.pk]


def _can(actor: Any, org: Any) -> bool:
    """actor None is the command line on the server (`dangjian transfers ...`), like the bundle import."""
    return org is not None and (actor is None or policy.can(actor, "change", org))


def _lock(t: Transfer) -> Transfer:
    return (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("member", "from_org", "to_org")
        .get(pk=t.pk)
    )


def _tell(t: Transfer, who: str, org: Any, title: str, body: str) -> None:
    """Tell the people who act next (in-app notice, their channels in the digest), in the caller's
    transaction: "member" = the member's own account; otherwise the staff who may change `org`."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from dangjian.notify.services import notice_send

    if org is None:
        return
    if who == "member":
        users: Any = get_user_model().objects.filter(member_id=t.member_id, is_active=True)
        url = reverse("transfers:my")
    else:
        users = policy.users_with_permission("change", org)
        url = reverse("transfers:detail", args=[t.pk])
    notice_send(
        users=users,
        organization=org,
        title=title,
        body=body,
        url=url,
        key=f"transfer:{t.pk}:{title}",
    )


def _today(on: date | None) -> date:
    today = timezone.localdate()
    if on is not None and on > today:
        raise DomainError("bad_date", "日期不能晚于今天", field="on")
    return on or today


@transaction.atomic(durable=True)
def transfer_start(
    *,
    actor: Any,
    member: Member,
    to_org: Any = None,
    to_name: str = "",
    reason: str = "",
    on: date | None = None,
) -> Transfer:
    """A member (from the portal) or their branch asks to move the organizational relationship."""
    m = Member.objects.select_for_update().select_related("organization").get(pk=member.pk)
    own = getattr(actor, "member_id", None) == m.pk
    if not own and not _can(actor, m.organization):
        raise NotVisible()
    if m.status not in ACTIVE_STATUSES:
        raise DomainError("status", f"{m.get_status_display()}不能办理组织关系转接")
    on = _today(on)
    to_name = (to_name or "").strip()
    if to_org is None and not to_name:
        raise DomainError(
            "required", "请选择转入的党支部，或填写本系统以外的接收党组织名称", field="to_org"
        )
    if to_org is not None:
        if to_org.pk == m.organization_id:
            raise DomainError("same", "转入组织与现在的组织相同", field="to_org")
        if to_org.kind != "branch" or not to_org.is_active:
            raise DomainError(
                "kind",
                f"“{to_org.name}”不是有效的党支部：组织关系转入党支部（不能转入党小组）",
                field="to_org",
            )
    if Transfer.objects.filter(member=m, status__in=OPEN_STATUSES).exists():
        raise DomainError("in_transit", "该党员已有正在办理的组织关系转接", field="member")
    try:
        with transaction.atomic():
            t = Transfer.objects.create(
                member=m,
                from_org=m.organization,
                to_org=to_org,
                to_name="" if to_org else to_name[:100],
                reason=(reason or "").strip()[:200],
                stage=Stage.STARTED,
                started_on=on,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError as exc:
        raise DomainError("in_transit", "该党员已有正在办理的组织关系转接", field="member") from exc
    _tell(
        t,
        "staff",
        committee_of(m.organization),
        "组织关系转接待审批",
        f"{m.name}申请将组织关系转往{to_org.name if to_org else to_name}。",
    )
    audit_record(
        actor=actor,
        action="transfers.start",
        obj=t,
        organization=m.organization,
        data={"member": m.member_no, "to": to_org.code if to_org else to_name, "by_member": own},
    )
    return t


def next_month(month: str) -> str:
    """The month after "YYYY-MM" ("" stays "")."""
    if len(month) != 7:
        return ""
    y, m = int(month[:4]), int(month[5:])
    return f"{y + m // 12}-{m % 12 + 1:02d}"


def _fee_paid_through(member: Member) -> str:
    from dangjian.fees.models import FeeMonth

    row = (
        FeeMonth.objects.filter(member=member, paid_fen__gt=0)
        .order_by("-month_index")
        .values_list("month", flat=True)
        .first()
    )
    return row or ""


@transaction.atomic(durable=True)
def transfer_issue(
    *, actor: Any, transfer: Transfer, valid_days: int = DEFAULT_VALID_DAYS, on: date | None = None
) -> Transfer:
    """The sending committee approves and issues the introduction letter (validity and fees paid up to)."""
    t = _lock(transfer)
    if not _can(actor, committee_of(t.from_org)):
        raise NotVisible()
    if t.status != TransferStatus.OPEN or t.stage != Stage.STARTED:
        raise DomainError(
            "stage", f"当前状态“{t.get_status_display()}·{t.get_stage_display()}”不能开具介绍信"
        )
    if not 1 <= (valid_days or 0) <= MAX_VALID_DAYS:
        raise DomainError(
            "validity", f"介绍信有效期为1至{MAX_VALID_DAYS}天（最长6个月）", field="valid_days"
        )
    on = _today(on)
    t.issued_on, t.valid_days, t.stage = on, valid_days, Stage.ISSUED
    t.letter_no = f"ZJ{on:%Y%m%d}{t.pk:06d}"
    t.fee_paid_through = _fee_paid_through(t.member)
    t.fee_resume = next_month(t.fee_paid_through)
    if t.to_org is None and ExchangeKey.objects.filter(active=True).exists():
        t.token = exchange.sign(letter_body(t))
    t.save(
        update_fields=[
            "issued_on",
            "valid_days",
            "stage",
            "letter_no",
            "fee_paid_through",
            "fee_resume",
            "token",
            "updated_at",
        ]
    )
    end = t.expires_on
    _tell(
        t,
        "member",
        t.from_org,
        "介绍信已开具",
        f"介绍信编号{t.letter_no}，请在{end:%Y年%m月%d日}前到接收党组织报到。",
    )
    if t.to_org is not None:
        _tell(
            t,
            "staff",
            committee_of(t.to_org),
            "组织关系转入待同意",
            f"{t.member.name}的组织关系由{t.from_org.name}转入{t.to_org.name}。",
        )
    audit_record(
        actor=actor,
        action="transfers.issue",
        obj=t,
        organization=t.from_org,
        data={
            "letter_no": t.letter_no,
            "valid_days": valid_days,
            "fee_paid_through": t.fee_paid_through,
        },
    )
    return t


def expires_on(t: Transfer) -> date | None:
    return t.expires_on


@transaction.atomic(durable=True)
def transfer_agree(*, actor: Any, transfer: Transfer, on: date | None = None) -> Transfer:
    """The receiving committee agrees (inside the deployment)."""
    t = _lock(transfer)
    if t.to_org is None or not _can(actor, committee_of(t.to_org)):
        raise NotVisible()
    if t.status != TransferStatus.OPEN or t.stage != Stage.ISSUED:
        raise DomainError(
            "stage", f"当前状态“{t.get_status_display()}·{t.get_stage_display()}”不能审批转入"
        )
    t.receiving_approved_on, t.stage = _today(on), Stage.RECEIVING_APPROVED
    t.save(update_fields=["receiving_approved_on", "stage", "updated_at"])
    _tell(
        t,
        "staff",
        t.to_org,
        "组织关系转入待接收",
        f"{t.member.name}的组织关系转入本支部，党员报到后请点击接收。",
    )
    audit_record(actor=actor, action="transfers.agree", obj=t, organization=t.to_org, data={})
    return t


@transaction.atomic(durable=True)
def transfer_accept(*, actor: Any, transfer: Transfer, on: date | None = None) -> Transfer:
    """Inside the deployment: the receiving branch accepts and the member's organization changes, in this
    transaction. Out of it: the sending committee records the receipt and the member leaves the roll."""
    return _accept_within(actor, _lock(transfer), _today(on))


def _accept_within(actor: Any, t: Transfer, on: date) -> Transfer:
    if t.status != TransferStatus.OPEN:
        raise DomainError("stage", f"该转接已{t.get_status_display()}")
    end = expires_on(t)
    if t.to_org is not None:
        if not _can(actor, t.to_org):
            raise NotVisible()
        if t.stage != Stage.RECEIVING_APPROVED:
            raise DomainError("stage", "转入党委同意后，支部才能接收")
    else:
        if not _can(actor, committee_of(t.from_org)):
            raise NotVisible()
        if t.stage != Stage.ISSUED:
            raise DomainError("stage", "介绍信开具后才能登记回执")
    if end is not None and on > end:
        raise DomainError("expired", f"介绍信已于{end:%Y-%m-%d}过期，须重新办理", field="on")
    m = Member.objects.select_for_update().select_related("organization").get(pk=t.member_id)
    if m.organization_id != t.from_org_id:
        raise DomainError("moved", "该党员的组织关系已不在转出组织")
    from dangjian.members.services import counters_adjust

    if t.to_org is not None:
        m.organization = t.to_org
        m.save(update_fields=["organization", "updated_at"])
        counters_adjust(t.from_org_id, m.status, -1)
        counters_adjust(t.to_org.pk, m.status, +1)
        MemberEvent.objects.create(
            member=m,
            organization=t.to_org,
            kind=MemberEventKind.MOVED,
            on=on,
            actor=actor,
            reason=f"组织关系转接（介绍信{t.letter_no}）",
            data={"from": t.from_org.code, "to": t.to_org.code, "transfer": t.pk},
        )
    else:
        from dangjian.members.services import member_change_status_within

        member_change_status_within(
            actor=actor,
            member=m,
            to_status="transferred_out",
            on=on,
            reason=f"组织关系转往{t.to_name}（介绍信{t.letter_no}），回执已收到",
        )
    t.status, t.accepted_on, t.closed_on = TransferStatus.ACCEPTED, on, on
    t.save(update_fields=["status", "accepted_on", "closed_on", "updated_at"])
    _tell(
        t,
        "member",
        t.to_org or t.from_org,
        "组织关系转接已完成",
        f"您的组织关系已转入{t.to_org.name if t.to_org else t.to_name}。",
    )
    audit_record(
        actor=actor,
        action="transfers.accept",
        obj=t,
        organization=t.to_org or t.from_org,
        data={
            "member": m.member_no,
            "from": t.from_org.code,
            "to": t.to_org.code if t.to_org else t.to_name,
        },
    )
    return t


@transaction.atomic(durable=True)
def transfer_close(
    *, actor: Any, transfer: Transfer, how: str, reason: str, on: date | None = None
) -> Transfer:
    """Reject (either committee, with a reason), cancel (the member or the sending branch) or mark a
    letter expired (the sending committee). The member stays where they are."""
    t = _lock(transfer)
    if t.status != TransferStatus.OPEN:
        raise DomainError("stage", f"该转接已{t.get_status_display()}")
    reason = (reason or "").strip()
    on = _today(on)
    if how == "reject":
        sides = [committee_of(t.from_org)] + (
            [committee_of(t.to_org), t.to_org] if t.to_org else []
        )
        if not any(_can(actor, o) for o in sides):
            raise NotVisible()
        if not reason:
            raise DomainError("required", "退回须说明理由", field="reason")
        status = TransferStatus.REJECTED
    elif how == "cancel":
        if getattr(actor, "member_id", None) != t.member_id and not _can(actor, t.from_org):
            raise NotVisible()
        status = TransferStatus.CANCELLED
    elif how == "expire":
        if not _can(actor, committee_of(t.from_org)):
            raise NotVisible()
        end = expires_on(t)
        if end is None or on <= end:
            raise DomainError("not_expired", "介绍信尚在有效期内")
        status = TransferStatus.EXPIRED
    else:
        raise DomainError("invalid", "未知操作")
    t.status, t.closed_on, t.closed_reason = status, on, reason[:200]
    t.save(update_fields=["status", "closed_on", "closed_reason", "updated_at"])
    if how != "cancel" or getattr(actor, "member_id", None) != t.member_id:
        _tell(
            t,
            "member",
            t.from_org,
            f"组织关系转接{t.get_status_display()}",
            reason or "请联系所在党支部。",
        )
    audit_record(
        actor=actor,
        action=f"transfers.{how}",
        obj=t,
        organization=t.from_org,
        data={"reason": reason},
    )
    return t


# ---- the signed exchange with other deployments ------------------------------------------------


def _security_admin(actor: Any) -> None:
    from dangjian.accounts.constants import Role

    if actor is not None and not policy.has_admin_role(actor, Role.SECURITY_ADMIN):
        raise NotVisible()


@transaction.atomic(durable=True)
def key_generate(*, actor: Any, deployment: str) -> ExchangeKey:
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
def key_trust(*, actor: Any, published: str) -> list[TrustedKey]:
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
def key_revoke(*, actor: Any, key: TrustedKey) -> TrustedKey:
    _security_admin(actor)
    key.revoked = True
    key.save(update_fields=["revoked"])
    audit_record(actor=actor, action="transfers.key_revoke", obj=key, data={"key_id": key.key_id})
    return key


def letter_body(t: Transfer) -> dict[str, Any]:
    m = t.member
    return {
        "kind": "letter",
        "letter_no": t.letter_no,
        "from_name": t.from_org.name,
        "to_name": t.to_name,
        "member_no": m.member_no,
        "name": m.name,
        "gender": m.gender,
        "birth_date": m.birth_date.isoformat(),
        "id_number": m.id_number(),
        "status": m.status,
        "joined_on": m.joined_on.isoformat(),
        "full_on": m.full_on.isoformat() if m.full_on else "",
        "issued_on": t.issued_on.isoformat() if t.issued_on else "",
        "valid_days": t.valid_days,
        "fee_paid_through": t.fee_paid_through,
        "fee_category": m.fee_category,
        "fee_base_fen": m.fee_base_fen,
    }


@transaction.atomic(durable=True)
def transfer_sign(*, actor: Any, transfer: Transfer) -> Transfer:
    """Sign an issued letter that leaves the deployment (when the key was created after the issue)."""
    t = _lock(transfer)
    if not _can(actor, committee_of(t.from_org)):
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


def _once(v: exchange.Verified) -> None:
    try:
        with transaction.atomic():
            SeenMessage.objects.create(
                key_id=v.key_id, nonce=str(v.body["nonce"])[:40], kind=str(v.body["kind"])[:10]
            )
    except IntegrityError as exc:
        raise DomainError("replay", "该文件已经导入过（重复提交已拒绝）", field="token") from exc


def _date(value: Any, label: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise DomainError("format", f"介绍信的{label}不是有效日期", field="token") from exc


def _receiving_branch(actor: Any, to_org: Any) -> None:
    if to_org is None:
        raise DomainError("required", "请选择转入的党支部", field="to_org")
    if not _can(actor, to_org):
        raise NotVisible()
    if to_org.kind != "branch" or not to_org.is_active:
        raise DomainError(
            "kind",
            f"“{to_org.name}”不是有效的党支部：组织关系转入党支部（不能转入党小组）",
            field="to_org",
        )


@transaction.atomic(durable=True)
def incoming_import(*, actor: Any, token: str, to_org: Any) -> IncomingLetter:
    """Import a letter signed by another dangjian deployment (its file or QR code): verified against
    the sender's registered key; a replayed or expired letter is refused."""
    _receiving_branch(actor, to_org)
    v = exchange.verify(token, "letter")
    b = v.body
    issued, days = _date(b.get("issued_on"), "开具日期"), int(b.get("valid_days") or 0)
    if timezone.localdate() > issued + timedelta(days=days):
        raise DomainError(
            "expired",
            f"介绍信已于{issued + timedelta(days=days):%Y-%m-%d}过期：请党员回原党组织重新办理",
            field="token",
        )
    if IncomingLetter.objects.filter(issuer=v.key_id, letter_no=b.get("letter_no", "")).exists():
        raise DomainError("replay", f"介绍信{b.get('letter_no')}已经登记过", field="token")
    _once(v)
    from dangjian.core import crypto, idnumber

    idn = idnumber.normalize(str(b.get("id_number") or ""))
    if idnumber.validate(idn):
        raise DomainError("invalid", "介绍信中的身份证号无效", field="token")
    letter = IncomingLetter.objects.create(
        letter_no=str(b["letter_no"])[:40],
        issuer=v.key_id,
        from_name=f"{v.deployment}·{b.get('from_name', '')}"[:100],
        to_org=to_org,
        member_no=str(b["member_no"])[:32],
        name=str(b["name"])[:50],
        gender=str(b.get("gender", ""))[:2],
        birth_date=_date(b.get("birth_date"), "出生日期"),
        id_number_encrypted=crypto.encrypt(idn),
        id_number_masked=idnumber.mask(idn),
        member_status=str(b.get("status", "full")),
        joined_on=_date(b.get("joined_on"), "入党日期"),
        full_on=_date(b["full_on"], "转正日期") if b.get("full_on") else None,
        issued_on=issued,
        valid_days=days,
        fee_paid_through=str(b.get("fee_paid_through", ""))[:7],
        fee_category=str(b.get("fee_category", ""))[:20],
        fee_base_fen=int(b.get("fee_base_fen") or 0),
        signed=True,
        payload=token.strip(),
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="transfers.incoming_import",
        obj=letter,
        organization=to_org,
        data={"letter_no": letter.letter_no, "issuer": v.key_id, "deployment": v.deployment},
    )
    return letter


@transaction.atomic(durable=True)
def incoming_register(
    *,
    actor: Any,
    to_org: Any,
    letter_no: str,
    from_name: str,
    member_no: str,
    name: str,
    gender: str,
    birth_date: date,
    id_number: str,
    member_status: str,
    joined_on: date,
    full_on: date | None,
    issued_on: date,
    valid_days: int,
    fee_paid_through: str = "",
) -> IncomingLetter:
    """Register a paper letter received from outside (no signature to verify)."""
    from dangjian.core import crypto, idnumber

    _receiving_branch(actor, to_org)
    for value, field, label in (
        (letter_no, "letter_no", "介绍信编号"),
        (from_name, "from_name", "转出党组织"),
        (member_no, "member_no", "党员编号"),
        (name, "name", "姓名"),
    ):
        if not (value or "").strip():
            raise DomainError("required", f"请填写{label}", field=field)
    if member_status not in ("full", "probationary"):
        raise DomainError("invalid", "党员类别应为正式党员或预备党员", field="member_status")
    if not 1 <= valid_days <= MAX_VALID_DAYS:
        raise DomainError("validity", f"介绍信有效期为1至{MAX_VALID_DAYS}天", field="valid_days")
    if timezone.localdate() > issued_on + timedelta(days=valid_days):
        raise DomainError(
            "expired", "介绍信已过有效期：请党员回原党组织重新办理", field="issued_on"
        )
    problem = idnumber.validate(idnumber.normalize(id_number or ""))
    if problem:
        raise DomainError("invalid", f"身份证号{problem}", field="id_number")
    from dangjian.members import validation as v

    errors = v.check_consistency(
        birth_date=birth_date,
        id_number=idnumber.normalize(id_number),
        gender=gender,
        joined_on=joined_on,
        status=member_status,
        full_on=full_on,
    )
    if errors:
        field, why = next(iter(errors.items()))
        raise DomainError("inconsistent", why, field=field)
    if IncomingLetter.objects.filter(issuer="", letter_no=letter_no.strip()).exists():
        raise DomainError("duplicate", f"介绍信{letter_no}已经登记过", field="letter_no")
    idn = idnumber.normalize(id_number)
    letter = IncomingLetter.objects.create(
        letter_no=letter_no.strip()[:40],
        from_name=from_name.strip()[:100],
        to_org=to_org,
        member_no=member_no.strip()[:32],
        name=name.strip()[:50],
        gender=gender,
        birth_date=birth_date,
        id_number_encrypted=crypto.encrypt(idn),
        id_number_masked=idnumber.mask(idn),
        member_status=member_status,
        joined_on=joined_on,
        full_on=full_on,
        issued_on=issued_on,
        valid_days=valid_days,
        fee_paid_through=(fee_paid_through or "").strip()[:7],
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="transfers.incoming_register",
        obj=letter,
        organization=to_org,
        data={"letter_no": letter.letter_no},
    )
    return letter


@transaction.atomic(durable=True)
def incoming_accept(
    *, actor: Any, letter: IncomingLetter, on: date | None = None
) -> IncomingLetter:
    """The receiving branch accepts a letter from outside: the member is created on its roll (or, coming
    back, restored to it), in this transaction; a signed letter gets a signed receipt to send back."""
    from dangjian.core import crypto
    from dangjian.members.services import MemberData, counters_adjust, member_create_within

    lt = (
        IncomingLetter.objects.select_for_update(of=("self",))
        .select_related("to_org")
        .get(pk=letter.pk)
    )
    if not _can(actor, lt.to_org):
        raise NotVisible()
    if lt.status != IncomingStatus.PENDING:
        raise DomainError("stage", f"该介绍信已{lt.get_status_display()}")
    on = _today(on)
    end = lt.issued_on + timedelta(days=lt.valid_days)
    if on > end:
        raise DomainError(
            "expired", f"介绍信已于{end:%Y-%m-%d}过期：请党员回原党组织重新办理", field="on"
        )
    existing = Member.objects.select_for_update().filter(member_no=lt.member_no).first()
    if existing is not None:
        from dangjian.core import idnumber

        if existing.id_number_index != crypto.blind_index(
            idnumber.normalize(crypto.decrypt(lt.id_number_encrypted))
        ):
            raise DomainError(
                "mismatch",
                f"党员编号“{lt.member_no}”在本系统属于另一名党员（身份证号不符），请核实后登记",
                field="member_no",
            )
        if existing.status != "transferred_out":
            raise DomainError(
                "duplicate",
                f"党员编号“{lt.member_no}”已在本系统{existing.get_status_display()}，不能重复接收",
                field="member_no",
            )
        old_org, existing.organization, existing.status, existing.left_on = (
            existing.organization_id,
            lt.to_org,
            lt.member_status,
            None,
        )
        existing.save(update_fields=["organization", "status", "left_on", "updated_at"])
        counters_adjust(old_org, "transferred_out", -1)
        counters_adjust(lt.to_org.pk, lt.member_status, +1)
        MemberEvent.objects.create(
            member=existing,
            organization=lt.to_org,
            kind=MemberEventKind.MOVED,
            on=on,
            actor=actor,
            reason=f"组织关系转回（介绍信{lt.letter_no}，来自{lt.from_name}）",
            data={"to": lt.to_org.code, "incoming": lt.pk},
        )
        member = existing
    else:
        category = lt.fee_category or "other"
        member = member_create_within(
            actor=actor,
            organization=lt.to_org,
            member_no=lt.member_no,
            data=MemberData(
                name=lt.name,
                gender=lt.gender,
                birth_date=lt.birth_date,
                id_number=crypto.decrypt(lt.id_number_encrypted),
                phone="",
                status=lt.member_status,
                joined_on=lt.joined_on,
                full_on=lt.full_on,
                fee_category=category,
                fee_base_fen=lt.fee_base_fen,
            ),
        )
    lt.status, lt.member, lt.accepted_on = IncomingStatus.ACCEPTED, member, on
    if lt.signed and ExchangeKey.objects.filter(active=True).exists():
        lt.receipt_token = exchange.sign(
            {
                "kind": "receipt",
                "letter_no": lt.letter_no,
                "letter_key": lt.issuer,
                "member_no": lt.member_no,
                "accepted_on": on.isoformat(),
                "receiver": lt.to_org.name,
            }
        )
    lt.save(update_fields=["status", "member", "accepted_on", "receipt_token"])
    audit_record(
        actor=actor,
        action="transfers.incoming_accept",
        obj=lt,
        organization=lt.to_org,
        data={"letter_no": lt.letter_no, "member": lt.member_no, "restored": existing is not None},
    )
    return lt


@transaction.atomic(durable=True)
def incoming_reject(*, actor: Any, letter: IncomingLetter, reason: str) -> IncomingLetter:
    lt = (
        IncomingLetter.objects.select_for_update(of=("self",))
        .select_related("to_org")
        .get(pk=letter.pk)
    )
    if not _can(actor, lt.to_org):
        raise NotVisible()
    if lt.status != IncomingStatus.PENDING:
        raise DomainError("stage", f"该介绍信已{lt.get_status_display()}")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("required", "退回须说明理由（不得无故拒绝接收）", field="reason")
    lt.status, lt.closed_reason = IncomingStatus.REJECTED, reason[:200]
    lt.save(update_fields=["status", "closed_reason"])
    audit_record(
        actor=actor,
        action="transfers.incoming_reject",
        obj=lt,
        organization=lt.to_org,
        data={"reason": reason},
    )
    return lt


@transaction.atomic(durable=True)
def receipt_import(*, actor: Any, token: str, on: date | None = None) -> Transfer:
    """The receipt of one of our letters comes back from the receiving deployment: verified, then
    recorded as the receipt (the member leaves our roll), once."""
    v = exchange.verify(token, "receipt")
    b = v.body
    if not ExchangeKey.objects.filter(key_id=b.get("letter_key")).exists():
        raise DomainError("not_ours", "该回执对应的介绍信不是本部署开具的", field="token")
    t = Transfer.objects.filter(letter_no=b.get("letter_no", ""), to_org__isnull=True).first()
    if t is None:
        raise DomainError("not_found", f"找不到介绍信{b.get('letter_no')}", field="token")
    t = _lock(t)
    if t.member.member_no != b.get("member_no"):
        raise DomainError("mismatch", "回执中的党员与介绍信不符", field="token")
    _once(v)
    accepted = _date(b.get("accepted_on"), "接收日期")
    t.to_name = t.to_name or str(b.get("receiver", ""))[:100]
    t = _accept_within(actor, t, min(accepted, timezone.localdate()))
    audit_record(
        actor=actor,
        action="transfers.receipt_import",
        obj=t,
        organization=t.from_org,
        data={"letter_no": t.letter_no, "key": v.key_id, "deployment": v.deployment},
    )
    return t


# ---- batch transfers ----------------------------------------------------------------------------


def transfer_batch_preview(
    *, actor: Any, members: list[Member], to_org: Any = None, to_name: str = ""
) -> list[tuple[Member, str]]:
    """Each member with the reason they cannot be moved ("" = can). Two queries, whatever the size."""
    pks = [m.pk for m in members]
    in_transit = set(
        Transfer.objects.filter(member_id__in=pks, status__in=OPEN_STATUSES).values_list(
            "member_id", flat=True
        )
    )
    committees = committees_of({m.organization_id: m.organization for m in members}.values())
    rows = []
    for m in members:
        if not _can(actor, committees[m.organization_id]):
            reason = "不在您所在党委的审批范围内"
        elif m.status not in ACTIVE_STATUSES:
            reason = f"{m.get_status_display()}不能办理转接"
        elif m.pk in in_transit:
            reason = "已有正在办理的转接"
        elif to_org is not None and to_org.pk == m.organization_id:
            reason = "已在转入组织"
        else:
            reason = ""
        rows.append((m, reason))
    return rows


@transaction.atomic(durable=True)
def transfer_batch(
    *,
    actor: Any,
    members: list[Member],
    to_org: Any = None,
    to_name: str = "",
    reason: str = "",
    valid_days: int = DEFAULT_VALID_DAYS,
    on: date | None = None,
) -> list[Transfer]:
    """Graduates, restructuring: one approval by the sending committee issues every letter at once (all
    or none). Inside the deployment the receiving committee and branch still agree and accept."""
    import uuid

    from django.db.models import Max

    from dangjian.fees.models import FeeMonth

    if not members:
        raise DomainError("required", "请选择要转接的党员", field="members")
    to_name = (to_name or "").strip()
    if to_org is None and not to_name:
        raise DomainError(
            "required", "请选择转入的党支部，或填写本系统以外的接收党组织名称", field="to_org"
        )
    if to_org is not None and (to_org.kind != "branch" or not to_org.is_active):
        raise DomainError(
            "kind",
            f"“{to_org.name}”不是有效的党支部：组织关系转入党支部（不能转入党小组）",
            field="to_org",
        )
    if not 1 <= (valid_days or 0) <= MAX_VALID_DAYS:
        raise DomainError(
            "validity", f"介绍信有效期为1至{MAX_VALID_DAYS}天（最长6个月）", field="valid_days"
        )
    locked = list(
        Member.objects.select_for_update(of=("self",))
        .select_related("organization")
        .filter(pk__in=[m.pk for m in members])
    )
    bad = [
        (m, why)
        for m, why in transfer_batch_preview(
            actor=actor, members=locked, to_org=to_org, to_name=to_name
        )
        if why
    ]
    if bad:
        raise DomainError(
            "batch",
            "以下党员不能转接，请移出后再提交："
            + "；".join(f"{m.name}（{why}）" for m, why in bad[:10])
            + (f"等{len(bad)}人" if len(bad) > 10 else ""),
            field="members",
        )
    on = _today(on)
    batch = uuid.uuid4().hex[:12]
    paid = dict(
        FeeMonth.objects.filter(member_id__in=[m.pk for m in locked], paid_fen__gt=0)
        .values("member_id")
        .annotate(last=Max("month"))
        .values_list("member_id", "last")
    )
    try:
        with transaction.atomic():
            made = Transfer.objects.bulk_create(
                [
                    Transfer(
                        member=m,
                        from_org=m.organization,
                        to_org=to_org,
                        to_name="" if to_org else to_name[:100],
                        reason=(reason or "").strip()[:200],
                        stage=Stage.ISSUED,
                        started_on=on,
                        issued_on=on,
                        valid_days=valid_days,
                        fee_paid_through=paid.get(m.pk, ""),
                        fee_resume=next_month(paid.get(m.pk, "")),
                        batch=batch,
                        created_by=actor,
                    )
                    for m in locked
                ]
            )
    except IntegrityError as exc:
        raise DomainError("in_transit", "有党员已在办理转接，请重新预览", field="members") from exc
    made = list(
        Transfer.objects.filter(batch=batch).select_related("member", "from_org").order_by("id")
    )
    key = ExchangeKey.objects.filter(active=True).first() if to_org is None else None
    for t in made:
        t.letter_no = f"ZJ{on:%Y%m%d}{t.pk:06d}"
        if key is not None:
            t.token = exchange.sign(letter_body(t), key)
    Transfer.objects.bulk_update(made, ["letter_no", "token"])
    audit_record(
        actor=actor,
        action="transfers.batch",
        organization=locked[0].organization,
        data={
            "batch": batch,
            "count": len(made),
            "to": to_org.code if to_org else to_name,
            "members": [m.member_no for m in locked],
        },
    )
    return made


# ---- mobile members and lost contact ------------------------------------------------------------


@transaction.atomic(durable=True)
def mobile_register(
    *,
    actor: Any,
    direction: str,
    organization: Any,
    place: str,
    reason: str,
    since: date,
    member: Member | None = None,
    name: str = "",
    home_org: str = "",
    fixed_place: bool = False,
    contact: str = "",
    card_no: str = "",
) -> MobileMember:
    """流出: one of our members away (the sending organization keeps them). 流入: a member of another
    organization living or working here, kept for day-to-day management."""
    if direction not in MobileDirection.values:
        raise DomainError("invalid", "请选择外出或外来", field="direction")
    if direction == MobileDirection.OUT:
        if member is None:
            raise DomainError("required", "请选择外出的党员", field="member")
        organization = member.organization
        name = member.name
        if member.status not in ACTIVE_STATUSES:
            raise DomainError(
                "status", f"{member.get_status_display()}不能登记为流动党员", field="member"
            )
    elif organization is None:
        raise DomainError("required", "请选择管理该外来党员的党支部", field="organization")
    elif not (name or "").strip() or not (home_org or "").strip():
        raise DomainError(
            "required",
            "请填写外来党员的姓名和组织关系所在党组织",
            field="name" if not (name or "").strip() else "home_org",
        )
    if not _can(actor, organization):
        raise NotVisible()
    for value, field, label in ((place, "place", "流向（流入）地点"), (reason, "reason", "原因")):
        if not (value or "").strip():
            raise DomainError("required", f"请填写{label}", field=field)
    if since > timezone.localdate():
        raise DomainError("bad_date", "日期不能晚于今天", field="since")
    try:
        with transaction.atomic():
            mm = MobileMember.objects.create(
                direction=direction,
                organization=organization,
                member=member,
                name=name.strip()[:50],
                home_org=(home_org or "").strip()[:100],
                place=place.strip()[:100],
                reason=reason.strip()[:100],
                fixed_place=fixed_place,
                since=since,
                contact=(contact or "").strip()[:50],
                card_no=(card_no or "").strip()[:30],
            )
    except IntegrityError as exc:
        raise DomainError("duplicate", "该党员已登记为外出流动党员", field="member") from exc
    audit_record(
        actor=actor,
        action="transfers.mobile_register",
        obj=mm,
        organization=organization,
        data={"direction": direction, "name": mm.name, "place": mm.place},
    )
    return mm


def _mobile(actor: Any, mobile: MobileMember) -> MobileMember:
    mm = (
        MobileMember.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=mobile.pk)
    )
    if not _can(actor, mm.organization):
        raise NotVisible()
    if mm.ended_on:
        raise DomainError("ended", "该流动党员登记已结束")
    return mm


@transaction.atomic(durable=True)
def mobile_report(*, actor: Any, mobile: MobileMember, on: date, content: str) -> MobileReport:
    """A mobile member's report to the sending organization (at least once a year)."""
    mm = _mobile(actor, mobile)
    if not (content or "").strip():
        raise DomainError("required", "请填写汇报内容", field="content")
    if on > timezone.localdate() or on < mm.since:
        raise DomainError("bad_date", "汇报日期应在外出日期之后、今天之前", field="on")
    r = MobileReport.objects.create(mobile=mm, on=on, content=content.strip())
    audit_record(
        actor=actor,
        action="transfers.mobile_report",
        obj=mm,
        organization=mm.organization,
        data={"on": on.isoformat()},
    )
    return r


@transaction.atomic(durable=True)
def mobile_end(*, actor: Any, mobile: MobileMember, on: date) -> MobileMember:
    mm = _mobile(actor, mobile)
    if on > timezone.localdate() or on < mm.since:
        raise DomainError("bad_date", "返回日期应在外出日期之后、今天之前", field="on")
    mm.ended_on = on
    mm.save(update_fields=["ended_on"])
    audit_record(
        actor=actor,
        action="transfers.mobile_end",
        obj=mm,
        organization=mm.organization,
        data={"on": on.isoformat()},
    )
    return mm


@transaction.atomic(durable=True)
def lost_record(*, actor: Any, member: Member, since: date, efforts: str = "") -> LostContact:
    """The branch records that it has lost contact with a member (since when, what was tried)."""
    m = Member.objects.select_related("organization").get(pk=member.pk)
    if not _can(actor, m.organization):
        raise NotVisible()
    if m.status not in ACTIVE_STATUSES:
        raise DomainError("status", f"{m.get_status_display()}不能登记为失联党员", field="member")
    if since > timezone.localdate():
        raise DomainError("bad_date", "失去联系日期不能晚于今天", field="since")
    try:
        with transaction.atomic():
            lc = LostContact.objects.create(
                member=m, organization=m.organization, since=since, efforts=(efforts or "").strip()
            )
    except IntegrityError as exc:
        raise DomainError("duplicate", "该党员已登记为失联党员", field="member") from exc
    audit_record(
        actor=actor,
        action="transfers.lost_record",
        obj=lc,
        organization=m.organization,
        data={"member": m.member_no, "since": since.isoformat()},
    )
    return lc


@dataclass(frozen=True)
class _LostStep:
    """One decision on a lost-contact member: from which state, how long after which date at the
    earliest (months), the member's new status (None = unchanged), the record's new state."""

    from_status: str
    stage_error: str
    since_field: str | None
    months: int
    too_early: str
    to_member: str | None
    default_reason: str
    to_status: str


LOST_STEPS = {
    "found": _LostStep(
        LostStatus.OPEN, "只有失去联系状态可以登记恢复联系", None, 0, "", None, "", LostStatus.FOUND
    ),
    "suspend": _LostStep(
        LostStatus.OPEN,
        "只有失去联系状态可以停止党籍",
        "since",
        6,
        "失去联系满6个月（{due}）后方可停止党籍",
        "suspended",
        "失去联系超过6个月，经支部决定停止党籍",
        LostStatus.SUSPENDED,
    ),
    "remove": _LostStep(
        LostStatus.SUSPENDED,
        "停止党籍后方可按自行脱党除名",
        "suspended_on",
        24,
        "停止党籍满2年（{due}）后仍无法取得联系的，方可按自行脱党除名",
        "removed_lapsed",
        "停止党籍2年后仍无法取得联系，按自行脱党予以除名",
        LostStatus.REMOVED,
    ),
    "restore": _LostStep(
        LostStatus.SUSPENDED,
        "只有停止党籍的党员可以恢复党籍",
        None,
        0,
        "",
        "full",
        "",
        LostStatus.RESTORED,
    ),
}


@transaction.atomic(durable=True)
def lost_decide(
    *, actor: Any, lost: LostContact, decision: str, on: date, reason: str = ""
) -> LostContact:
    """What people decided (nothing here is automatic): found again; 停止党籍 after ≥6 months (JY Art
    24); removed as 自行脱党 when still unreachable 2 years after the suspension; membership restored."""
    from dangjian.core.dates import add_months
    from dangjian.members.services import member_change_status_within

    lc = (
        LostContact.objects.select_for_update(of=("self",))
        .select_related("member", "organization")
        .get(pk=lost.pk)
    )
    if not _can(actor, lc.organization):
        raise NotVisible()
    step = LOST_STEPS.get(decision)
    if step is None:
        raise DomainError("invalid", "未知操作")
    on = _today(on)
    reason = (reason or "").strip()
    if lc.status != step.from_status:
        raise DomainError("stage", step.stage_error)
    if step.since_field:
        due = add_months(getattr(lc, step.since_field), step.months)
        if on < due:
            raise DomainError("too_early", step.too_early.format(due=f"{due:%Y-%m-%d}"), field="on")
    if decision == "restore" and not reason:
        raise DomainError(
            "required", "恢复党籍须写明依据（本人申请及支部大会决议）", field="reason"
        )
    if step.to_member:
        member_change_status_within(
            actor=actor,
            member=lc.member,
            to_status=step.to_member,
            on=on,
            reason=reason or step.default_reason,
        )
    lc.status = step.to_status
    if step.to_status == LostStatus.SUSPENDED:
        lc.suspended_on = on
    else:
        lc.closed_on = on
    lc.save(update_fields=["status", "suspended_on", "closed_on"])
    audit_record(
        actor=actor,
        action=f"transfers.lost_{decision}",
        obj=lc,
        organization=lc.organization,
        data={"member": lc.member.member_no, "on": on.isoformat(), "reason": reason},
    )
    return lc
