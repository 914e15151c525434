"""Two deployments, two databases, two field keys (issue 7, "Done when"): this test's database is
deployment 甲; deployment 乙 is another `dangjian` process on its own SQLite file. 甲 signs a
letter, 乙 verifies it against 甲's published key, receives the member and signs the receipt, 甲
verifies the receipt and the member leaves 甲's roll. Tampered and replayed files are refused on
both sides."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from dangjian.core import idnumber
from dangjian.core.errors import DomainError
from dangjian.transfers import exchange, services
from dangjian.transfers.models import Transfer
from tests.compliance.test_org_rules import MEMBER_HEAD, ORG_HEAD

pytestmark = pytest.mark.django_db

DANGJIAN = str(Path(sys.executable).with_name("dangjian"))


def _other(tmp: Path):  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'yi.sqlite3'}",
        "DEBUG": "1",
        "DANGJIAN_FIELD_KEY": "乙市党建平台的字段加密密钥-与甲不同-0123456789",
        "DJANGO_SETTINGS_MODULE": "dangjian.settings",
    }
    env.pop("PYTEST_XDIST_WORKER", None)

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
        p = subprocess.run(
            [DANGJIAN, *args], env=env, capture_output=True, text=True, timeout=300, cwd=tmp
        )
        if ok:
            assert p.returncode == 0, p.stderr[-2000:]
        return p

    return run


def test_letter_and_receipt_between_two_deployments(tmp_path, tree, users):
    yi = _other(tmp_path)
    yi("migrate", "-v0")
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "orgs.csv").write_text(
        ORG_HEAD + "YC,中共乙市委员会,,committee,organ,2000-01-01\n"
        "YB1,乙市第一支部,YC,branch,organ,2000-01-01\n",
        encoding="utf-8",
    )
    (bundle / "members.csv").write_text(MEMBER_HEAD, encoding="utf-8")
    yi("import", "bundle", str(bundle))
    yi("transfers", "keygen", "--deployment", "乙市党建平台")
    (tmp_path / "yi-keys.json").write_text(yi("transfers", "keys").stdout, encoding="utf-8")

    # 甲: its key, 乙's key trusted, a letter to 乙
    services.key_generate(actor=users["security_admin"], deployment="甲市党建平台")
    services.key_trust(
        actor=users["security_admin"],
        published=(tmp_path / "yi-keys.json").read_text(encoding="utf-8"),
    )
    m = tree.members["A1-3"]
    t = services.transfer_start(
        actor=users["branch_worker"], member=m, to_name="乙市第一支部", reason="工作调动到乙市"
    )
    t = services.transfer_issue(actor=users["committee_staff"], transfer=t, valid_days=60)
    (tmp_path / "letter.dgl").write_text(t.token, encoding="utf-8")
    (tmp_path / "jia-keys.json").write_text(
        json.dumps(exchange.published(), ensure_ascii=False), encoding="utf-8"
    )

    # 乙: before trusting 甲 the letter is refused; tampered, refused; then imported once, accepted
    p = yi("transfers", "import-letter", "letter.dgl", "--to", "YB1", ok=False)
    assert p.returncode != 0
    assert "不在信任列表" in p.stderr
    yi("transfers", "trust", "jia-keys.json")
    forged = t.token[:-6] + ("A" if t.token[-6] != "A" else "B") + t.token[-5:]
    (tmp_path / "forged.dgl").write_text(forged, encoding="utf-8")
    p = yi("transfers", "import-letter", "forged.dgl", "--to", "YB1", ok=False)
    assert p.returncode != 0
    assert "签名验证失败" in p.stderr or "损坏" in p.stderr
    assert "已导入介绍信" in yi("transfers", "import-letter", "letter.dgl", "--to", "YB1").stdout
    p = yi("transfers", "import-letter", "letter.dgl", "--to", "YB1", ok=False)
    assert p.returncode != 0
    assert "已经登记过" in p.stderr
    yi("transfers", "accept", t.letter_no)
    check = (
        "from dangjian.members.models import Member as M; "
        f"m = M.objects.get(member_no={m.member_no!r}); "
        "print(m.organization.code, m.status, m.name, m.id_number())"
    )
    assert yi("shell", "-v0", "-c", check).stdout.split() == [
        "YB1",
        m.status,
        m.name,
        m.id_number(),
    ]
    yi("transfers", "receipt", t.letter_no, "--out", "receipt.dgr")

    # 甲: the receipt closes the transfer; the member leaves the roll; a replay is refused
    receipt = (tmp_path / "receipt.dgr").read_text(encoding="utf-8")
    with pytest.raises(DomainError, match="请上传介绍信"):
        services.incoming_import(actor=users["sibling_staff"], token=receipt, to_org=tree.branch_b1)
    services.receipt_import(actor=users["committee_staff"], token=receipt)
    t = Transfer.objects.get(pk=t.pk)
    m.refresh_from_db()
    assert (t.status, m.status) == ("accepted", "transferred_out")
    with pytest.raises(DomainError, match="已经导入过|已接收"):
        services.receipt_import(actor=users["committee_staff"], token=receipt)


def _yi_with_a_branch(tmp: Path, members: str = ""):  # type: ignore[no-untyped-def]
    yi = _other(tmp)
    yi("migrate", "-v0")
    bundle = tmp / "bundle"
    bundle.mkdir()
    (bundle / "orgs.csv").write_text(
        ORG_HEAD + "YC,中共乙市委员会,,committee,organ,2000-01-01\n"
        "YB1,乙市第一支部,YC,branch,organ,2000-01-01\n",
        encoding="utf-8",
    )
    (bundle / "members.csv").write_text(MEMBER_HEAD + members, encoding="utf-8")
    yi("import", "bundle", str(bundle))
    yi("transfers", "keygen", "--deployment", "乙市党建平台")
    (tmp / "yi-keys.json").write_text(yi("transfers", "keys").stdout, encoding="utf-8")
    return yi


def _letter_to_yi(tmp: Path, yi, users, m):  # type: ignore[no-untyped-def]
    services.key_generate(actor=users["security_admin"], deployment="甲市党建平台")
    services.key_trust(
        actor=users["security_admin"], published=(tmp / "yi-keys.json").read_text(encoding="utf-8")
    )
    t = services.transfer_start(
        actor=users["branch_worker"], member=m, to_name="乙市第一支部", reason="工作调动到乙市"
    )
    t = services.transfer_issue(actor=users["committee_staff"], transfer=t, valid_days=60)
    (tmp / "letter.dgl").write_text(t.token, encoding="utf-8")
    (tmp / "jia-keys.json").write_text(
        json.dumps(exchange.published(), ensure_ascii=False), encoding="utf-8"
    )
    yi("transfers", "trust", "jia-keys.json")
    yi("transfers", "import-letter", "letter.dgl", "--to", "YB1")
    return t


def _yi_member(yi, id_number: str) -> list[str]:  # type: ignore[no-untyped-def]
    check = (
        "from dangjian.core import crypto, idnumber; "
        "from dangjian.members.models import Member as M; "
        f"i = crypto.blind_index(idnumber.normalize({id_number!r})); "
        "ms = list(M.objects.filter(id_number_index=i)); "
        "print(len(ms), *[x for m in ms for x in (m.member_no, m.origin_no or '-', m.status, "
        "m.organization.code)])"
    )
    return yi("shell", "-v0", "-c", check).stdout.split()


def test_a_member_number_used_by_someone_else_there_gets_a_new_number(tmp_path, tree, users):
    """Both deployments seeded alike start their numbers at the same place: 乙 already has a
    member numbered like ours. The letter is accepted all the same: the person (recognised by the
    ID number) is new there, gets a number from 乙's pattern, and keeps ours as a reference; the
    receipt names both, and closes the transfer here."""
    m = tree.members["A1-3"]
    stranger = idnumber.make("350206", date(1980, 5, 5), 124)
    yi = _yi_with_a_branch(
        tmp_path,
        f"{m.member_no},乙市党员,女,1980-05-05,{stranger},,YB1,full,2005-07-01,2006-07-01,"
        "employed,5000.00\n",
    )
    t = _letter_to_yi(tmp_path, yi, users, m)
    yi("transfers", "accept", t.letter_no)
    count, number, origin, status, org = _yi_member(yi, m.id_number())
    assert (count, origin, status, org) == ("1", m.member_no, m.status, "YB1")
    assert number != m.member_no
    assert number.startswith("M")
    # the stranger keeps their number and record
    assert _yi_member(yi, stranger) == ["1", m.member_no, "-", "full", "YB1"]
    yi("transfers", "receipt", t.letter_no, "--out", "receipt.dgr")
    receipt = (tmp_path / "receipt.dgr").read_text(encoding="utf-8")
    assert exchange.verify(receipt, "receipt").body["receiver_member_no"] == number
    services.receipt_import(actor=users["committee_staff"], token=receipt)
    m.refresh_from_db()
    assert m.status == "transferred_out"


def test_a_member_coming_back_there_is_restored_by_the_id_number(tmp_path, tree, users):
    """乙 had the same person before, under another number, and moved them out: the letter restores
    that record (its own number), with ours kept as a reference."""
    m = tree.members["A1-3"]
    yi = _yi_with_a_branch(tmp_path)
    earlier = (
        "from dangjian.core import crypto, idnumber; "
        "from dangjian.members.models import Member as M; "
        "from dangjian.orgs.models import Organization as O; "
        f"i = {m.id_number()!r}; "
        "M.objects.create(member_no='Y00000042', name='旧档案', gender='男', "
        "birth_date='1980-01-01', id_number_encrypted=crypto.encrypt(i), "
        "id_number_index=crypto.blind_index(idnumber.normalize(i)), "
        "id_number_masked=idnumber.mask(i), organization=O.objects.get(code='YB1'), "
        "status='transferred_out', joined_on='2005-07-01', full_on='2006-07-01', "
        "left_on='2020-01-01', fee_category='employed', fee_base_fen=500000)"
    )
    yi("shell", "-v0", "-c", earlier)
    t = _letter_to_yi(tmp_path, yi, users, m)
    yi("transfers", "accept", t.letter_no)
    assert _yi_member(yi, m.id_number()) == ["1", "Y00000042", m.member_no, m.status, "YB1"]
