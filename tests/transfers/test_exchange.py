"""Signed letters between deployments, inside one process: the other deployment is simulated by a
key this deployment trusts but does not hold. Tampered, replayed, expired, unknown-key and
wrong-kind messages are refused and nothing is written. test_two_deployments.py does it for real."""

from __future__ import annotations

import base64
import json
import zlib
from datetime import date, timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from dangjian.core.errors import DomainError, NotVisible
from dangjian.members.models import Member
from dangjian.transfers import exchange, services
from dangjian.transfers.models import ExchangeKey, IncomingLetter, SeenMessage, Transfer, TrustedKey

pytestmark = pytest.mark.django_db


def _foreign_letter(tree, users, member_key="A1-3"):
    """A letter signed by "another deployment": issued here, then our key becomes the trusted
    foreign one and the member leaves our roll (so the import creates them afresh)."""
    services.key_generate(actor=users["security_admin"], deployment="外市党建平台")
    m = tree.members[member_key]
    t = services.transfer_start(actor=users["branch_worker"], member=m, to_name="示范市委组织部")
    t = services.transfer_issue(actor=users["committee_staff"], transfer=t, valid_days=30)
    assert t.token.startswith("DJ1.")
    k = ExchangeKey.objects.get()
    TrustedKey.objects.create(key_id=k.key_id, deployment=k.deployment, public_key=k.public_key)
    ExchangeKey.objects.all().delete()
    Transfer.objects.all().delete()
    Member.objects.filter(pk=m.pk).update(member_no="X" + m.member_no, id_number_index="moved")
    return t.token, m


def _tamper(token: str, **change) -> str:
    env = json.loads(zlib.decompress(base64.urlsafe_b64decode(token[4:] + "==")))
    env["body"].update(change)
    return "DJ1." + base64.urlsafe_b64encode(
        zlib.compress(exchange.canonical(env))
    ).decode().rstrip("=")


def test_only_the_security_admin_manages_keys(tree, users):
    for who in ("committee_staff", "system_admin", "member"):
        with pytest.raises(NotVisible):
            services.key_generate(actor=users[who], deployment="x")
    with pytest.raises(DomainError, match="名称"):
        services.key_generate(actor=users["security_admin"], deployment=" ")
    a = services.key_generate(actor=users["security_admin"], deployment="本市")
    b = services.key_generate(actor=users["security_admin"], deployment="本市")
    assert list(ExchangeKey.objects.filter(active=True)) == [b]
    pub = exchange.published()
    assert [k["key_id"] for k in pub["keys"]] == [b.key_id, a.key_id]  # the old key stays published
    with pytest.raises(DomainError, match="本部署自己的公钥"):
        services.key_trust(actor=users["security_admin"], published=json.dumps(pub))


def test_key_file_is_checked(users):
    for bad in (
        "not json",
        json.dumps({"keys": []}),
        json.dumps({"keys": [{"key_id": "abc", "public_key": "AAAA"}]}),
    ):
        with pytest.raises(DomainError, match="公钥文件"):
            services.key_trust(actor=users["security_admin"], published=bad)
    assert not TrustedKey.objects.exists()


def test_signed_letter_imports_and_is_accepted_with_a_signed_receipt(tree, users):
    token, old = _foreign_letter(tree, users)
    services.key_generate(
        actor=users["security_admin"], deployment="本市党建平台"
    )  # ours, to sign the receipt
    lt = services.incoming_import(actor=users["sibling_staff"], token=token, to_org=tree.branch_b1)
    assert (lt.signed, lt.name, lt.member_no, lt.fee_category) == (
        True,
        old.name,
        old.member_no.lstrip("X"),
        old.fee_category,
    )
    assert lt.id_number_masked.count("*") >= 8
    lt = services.incoming_accept(actor=users["sibling_staff"], letter=lt)
    m = Member.objects.get(member_no=lt.member_no)
    assert (m.organization_id, m.status, m.id_number()) == (
        tree.branch_b1.pk,
        old.status,
        old.id_number(),
    )
    assert lt.receipt_token.startswith("DJ1.")


def test_refusals_leave_nothing_written(tree, users):
    token, _ = _foreign_letter(tree, users)
    before = (IncomingLetter.objects.count(), SeenMessage.objects.count())
    cases = [
        ("garbage", "不是本系统"),
        ("DJ1.!!!!", "损坏"),
        (_tamper(token, name="张冒名"), "签名验证失败"),
        (_tamper(token, valid_days=180), "签名验证失败"),
    ]
    for bad, reason in cases:
        with pytest.raises(DomainError, match=reason):
            services.incoming_import(actor=users["sibling_staff"], token=bad, to_org=tree.branch_b1)
    with pytest.raises(DomainError, match="不能转入党小组"):
        services.incoming_import(actor=users["committee_staff"], token=token, to_org=tree.group_a1)
    with pytest.raises(NotVisible):  # a branch outside the importer's subtree
        services.incoming_import(actor=users["committee_staff"], token=token, to_org=tree.branch_b1)
    with pytest.raises(DomainError, match="请上传回执"):
        services.receipt_import(actor=users["committee_staff"], token=token)
    assert (IncomingLetter.objects.count(), SeenMessage.objects.count()) == before
    TrustedKey.objects.update(revoked=True)
    with pytest.raises(DomainError, match="已停用"):
        services.incoming_import(actor=users["sibling_staff"], token=token, to_org=tree.branch_b1)
    TrustedKey.objects.all().delete()
    with pytest.raises(DomainError, match="不在信任列表"):
        services.incoming_import(actor=users["sibling_staff"], token=token, to_org=tree.branch_b1)


def test_replay_and_expiry_are_refused(tree, users):
    token, _ = _foreign_letter(tree, users)
    services.incoming_import(actor=users["sibling_staff"], token=token, to_org=tree.branch_b1)
    with pytest.raises(DomainError, match="已经登记过"):
        services.incoming_import(actor=users["sibling_staff"], token=token, to_org=tree.branch_b1)
    IncomingLetter.objects.all().delete()  # even with the letter gone, the message was seen
    with pytest.raises(DomainError, match="已经导入过"):
        services.incoming_import(actor=users["sibling_staff"], token=token, to_org=tree.branch_b1)
    SeenMessage.objects.all().delete()
    with (
        freeze_time(timezone.localdate() + timedelta(days=31)),
        pytest.raises(DomainError, match="过期"),
    ):
        services.incoming_import(actor=users["sibling_staff"], token=token, to_org=tree.branch_b1)


def test_paper_letter_registered_by_hand(tree, users):
    from dangjian.core import idnumber

    today = timezone.localdate()
    idn = idnumber.make("350203", date(today.year - 30, 1, 1), 7)
    kw = {
        "to_org": tree.branch_b1,
        "letter_no": "外2026-001",
        "from_name": "外省某党委",
        "member_no": "P1",
        "name": "陈外来",
        "gender": "男",
        "birth_date": idnumber.birth_date(idn),
        "id_number": idn,
        "member_status": "full",
        "joined_on": date(today.year - 5, 3, 1),
        "full_on": date(today.year - 4, 3, 1),
        "issued_on": today,
        "valid_days": 30,
        "fee_paid_through": "",
    }
    with pytest.raises(DomainError, match="身份证号"):
        services.incoming_register(actor=users["sibling_staff"], **{**kw, "id_number": "123"})
    with pytest.raises(DomainError, match="有效期"):
        services.incoming_register(actor=users["sibling_staff"], **{**kw, "valid_days": 181})
    lt = services.incoming_register(actor=users["sibling_staff"], **kw)
    assert not lt.signed
    with pytest.raises(DomainError, match="已经登记过"):
        services.incoming_register(actor=users["sibling_staff"], **kw)
    with pytest.raises(DomainError, match="理由"):
        services.incoming_reject(actor=users["sibling_staff"], letter=lt, reason="")
    lt = services.incoming_accept(actor=users["sibling_staff"], letter=lt)
    assert lt.receipt_token == ""  # paper in, paper receipt out
    assert Member.objects.get(member_no="P1").organization_id == tree.branch_b1.pk


def test_letter_pdf_has_three_parts_and_the_qr(tree, users):
    import subprocess

    from dangjian.transfers.documents import letter_pdf

    services.key_generate(actor=users["security_admin"], deployment="本市")
    t = services.transfer_start(
        actor=users["branch_worker"], member=tree.members["A1-3"], to_name="示范大学党委"
    )
    t = services.transfer_issue(actor=users["committee_staff"], transfer=t, valid_days=60)
    data = letter_pdf(
        Transfer.objects.select_related("member", "from_org", "to_org").get(pk=t.pk), who="测试"
    )
    assert data.startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    for part in (
        "存根",
        "中国共产党党员组织关系介绍信",
        "回执",
        t.letter_no,
        "有效期60天",
        "示范大学党委",
    ):
        assert part in text
    assert text.count(t.letter_no) == 3


def test_a_returning_member_is_restored_and_a_stranger_with_the_number_gets_a_new_one(tree, users):
    from dangjian.core import idnumber

    m = tree.members["A1-4"]
    t = services.transfer_start(actor=users["branch_worker"], member=m, to_name="外市")
    services.transfer_issue(actor=users["committee_staff"], transfer=t)
    services.transfer_accept(
        actor=users["committee_staff"], transfer=t
    )  # the receipt came back: gone
    m.refresh_from_db()
    assert m.status == "transferred_out"
    today = timezone.localdate()
    kw = {
        "to_org": tree.branch_b1,
        "from_name": "外市某党委",
        "member_no": m.member_no,
        "name": m.name,
        "gender": m.gender,
        "birth_date": m.birth_date,
        "member_status": "full",
        "joined_on": m.joined_on,
        "full_on": m.full_on,
        "issued_on": today,
        "valid_days": 30,
    }
    other = idnumber.make("350203", m.birth_date, 901 if m.gender == "男" else 900)
    stranger = services.incoming_register(
        actor=users["sibling_staff"], letter_no="R-1", id_number=other, **kw
    )
    # another person with the same number (numbers are unique within a deployment only): received
    # under a number of ours, the sender's kept as a reference
    stranger = services.incoming_accept(actor=users["sibling_staff"], letter=stranger)
    new = stranger.member
    assert (new.origin_no, new.organization_id) == (m.member_no, tree.branch_b1.pk)
    assert new.member_no != m.member_no
    back = services.incoming_register(
        actor=users["sibling_staff"], letter_no="R-2", id_number=m.id_number(), **kw
    )
    services.incoming_accept(actor=users["sibling_staff"], letter=back)
    m.refresh_from_db()
    assert (m.status, m.organization_id, m.left_on) == ("full", tree.branch_b1.pk, None)
    # on the roll now: the same person cannot be received twice
    again = services.incoming_register(
        actor=users["sibling_staff"], letter_no="R-3", id_number=m.id_number(), **kw
    )
    with pytest.raises(DomainError, match="不能重复接收"):
        services.incoming_accept(actor=users["sibling_staff"], letter=again)
