"""Audit details read in Chinese (issue 15, item 9): every key the code records in an audit event
has a label, values are shown by their labels, and the audit search finds a person by user name
or by name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.urls import reverse

from dangjian.audit.labels import FIELDS, describe
from dangjian.audit.services import audit_record
from tests.conftest import login

SRC = Path(__file__).resolve().parents[2] / "src" / "dangjian"


def _recorded_keys() -> set[str]:
    keys: set[str] = set()
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name != "audit_record":
                continue
            for kw in node.keywords:
                if kw.arg == "data" and isinstance(kw.value, ast.Dict):
                    keys |= {k.value for k in kw.value.keys if isinstance(k, ast.Constant)}
    return keys


def test_every_key_the_code_records_has_a_chinese_label():
    keys = _recorded_keys()
    assert len(keys) > 100  # the scan does find them
    assert sorted(keys - set(FIELDS)) == []
    assert all(not label.isascii() for label in FIELDS.values())


@pytest.mark.django_db
def test_values_read_as_people_read_them():
    assert describe("fees.pay", {"channel": "cash", "paid_by": None}) == "方式：现金；代缴人：无"
    assert describe("meetings.plan", {"kind": "theme_day", "theme_day": 15}) == (
        "会议类型：主题党日；主题党日（每月几日）：15"
    )
    assert describe("accounts.otp_verified", {"device": "StaticDevice"}) == "验证方式：备用码"
    assert describe("members.update", {"changes": {"status": ["full", "suspended"]}}) == (
        "党籍状态：正式党员 → 停止党籍"
    )
    assert describe("orgs.create", {"kind": "branch"}) == "组织类型：党支部"


@pytest.mark.django_db
def test_the_audit_search_finds_a_person_by_user_name_or_name(client, tree, users):
    from django.db import transaction

    staff = users["committee_staff"]
    staff.display_name = "王建国"
    staff.save(update_fields=["display_name"])
    with transaction.atomic():
        audit_record(actor=staff, action="members.view", data={"field": "id_number"})
    login(client, users["audit_admin"])
    for who in ("staff_da", "staff", "王建国", "建国"):
        page = client.get(reverse("portal:audit"), {"actor": who, "action": "members.view"})
        assert page.context["page"].paginator.count == 1, who
    body = page.content.decode()
    assert "字段：身份证号" in body
    assert (
        client.get(reverse("portal:audit"), {"actor": "nobody-like-this"})
        .context["page"]
        .paginator.count
        == 0
    )
