"""The system admin opens accounts without ever holding a credential (issue 16, B2): a new or reset
account has no usable password; its person activates it with a sealed slip in two parts — the
first from the system admin, the second from the security admin, so neither can open it alone —
and sets their own password; the first authenticator is bound only after that activation."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice

from dangjian.accounts.models import User
from dangjian.audit.models import AuditEvent
from tests.conftest import login

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Gong-Zuo-2026!"


def _slip_code(pdf: bytes, tmp_path: Path) -> str:
    f = tmp_path / "slip.pdf"
    f.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(f), "-"], capture_output=True, text=True, check=True
    ).stdout
    [line] = [ln for ln in text.splitlines() if "激活码：" in ln]
    return line.split("激活码：")[1].split()[0]


def test_a_new_account_is_opened_by_its_person_with_a_two_part_sealed_slip(client, users, tmp_path):
    login(client, users["system_admin"])
    url = reverse("portal:users")
    resp = client.post(url, {"op": "create", "username": "zhang.san", "display_name": "张三"})
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "初始密码" not in html
    assert "打印激活单第一联" in html
    user = User.objects.get(username="zhang.san")
    assert not user.has_usable_password()  # nobody, the admin included, can sign in as it yet
    pdf = client.post(url, {"op": "slip", "user_id": user.pk})
    assert pdf["Content-Type"] == "application/pdf"
    code = _slip_code(pdf.content, tmp_path)
    assert AuditEvent.objects.filter(action="accounts.activation_slip", object_id=str(user.pk))
    # a second slip makes the first one useless
    second = _slip_code(client.post(url, {"op": "slip", "user_id": user.pk}).content, tmp_path)
    client.logout()
    form = {"name": "张三", "code": second, "password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    # the system admin's part alone opens nothing (B2: the admin cannot become the user)
    page = client.post(reverse("portal:activate_slip"), form).content.decode()
    assert "还须填写第二联" in page
    user.refresh_from_db()
    assert not user.has_usable_password()
    # the security admin prints the second part (and cannot print the first)
    login(client, users["security_admin"])
    grants = client.get(reverse("portal:grants")).content.decode()
    assert "zhang.san" in grants
    assert "打印第二联" in grants
    part2 = client.post(reverse("portal:grants"), {"op": "slip2", "user_id": user.pk})
    assert part2["Content-Type"] == "application/pdf"
    code2 = _slip_code(part2.content, tmp_path)
    assert AuditEvent.objects.filter(action="accounts.activation_slip2", object_id=str(user.pk))
    refused = client.post(url, {"op": "slip", "user_id": user.pk})
    assert refused.status_code in (403, 404)
    client.logout()
    form["code"] = code  # the superseded first part, with the right second part
    form["code2"] = code2
    assert (
        "姓名或激活码不正确" in client.post(reverse("portal:activate_slip"), form).content.decode()
    )
    form["code"] = second
    form["code2"] = "AAAA-BBBB-CCCC"
    assert (
        "第二联激活码不正确" in client.post(reverse("portal:activate_slip"), form).content.decode()
    )
    form["code2"] = code2
    assert client.post(reverse("portal:activate_slip"), form).status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert user.activated_at is not None


def test_the_system_admin_cannot_print_the_second_part(client, users):
    login(client, users["system_admin"])
    client.post(
        reverse("portal:users"), {"op": "create", "username": "li.si", "display_name": "李四"}
    )
    user = User.objects.get(username="li.si")
    resp = client.post(reverse("portal:grants"), {"op": "slip2", "user_id": user.pk})
    assert resp.status_code in (403, 404)


def test_reset_takes_the_password_away_and_keeps_the_authenticator(client, users):
    target = users["branch_worker"]
    StaticDevice.objects.get_or_create(user=target, name="backup")
    login(client, users["system_admin"])
    resp = client.post(reverse("portal:users"), {"op": "reset", "user_id": target.pk})
    assert "初始密码" not in resp.content.decode()
    target.refresh_from_db()
    assert not target.has_usable_password()
    assert StaticDevice.objects.filter(user=target).exists()


def test_an_account_with_a_password_issued_by_someone_else_cannot_bind_the_first_authenticator(
    client, users
):
    worker = users["branch_worker"]
    User.objects.filter(pk=worker.pk).update(activated_at=None)  # a password set by an admin
    StaticDevice.objects.filter(user=worker).delete()
    login(client, worker, verify=False)
    resp = client.get(reverse("portal:otp_setup"))
    assert resp.status_code == 302
    assert resp["Location"] == reverse("portal:activate_slip")
    assert not StaticDevice.objects.filter(user=worker).exists()


def test_the_admin_prints_no_slip_for_an_open_account(client, users):
    login(client, users["system_admin"])
    resp = client.post(
        reverse("portal:users"), {"op": "slip", "user_id": users["branch_worker"].pk}, follow=True
    )
    assert "该账号已开通" in resp.content.decode()


def test_the_admin_prints_no_slip_for_a_members_account(client, users):
    from dangjian.accounts.models import User

    member_user = users["member"]
    User.objects.filter(pk=member_user.pk).update(password="!unusable")  # waiting for activation
    login(client, users["system_admin"])
    resp = client.post(
        reverse("portal:users"), {"op": "slip", "user_id": member_user.pk}, follow=True
    )
    assert resp["Content-Type"].startswith("text/html")
    assert "短信验证码或所在党支部打印的激活单" in resp.content.decode()
