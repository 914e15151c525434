"""Headers and limits (issue 16, D1): a Content-Security-Policy without inline scripts and a
Permissions-Policy on every response (pages, static files, errors, the API); no template carries an
inline script or an inline event handler; request bodies over the limit answer 413 before anything
parses them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.conftest import login

pytestmark = pytest.mark.django_db
SRC = Path(__file__).resolve().parents[2] / "src" / "dangjian"


def _script_src(csp: str) -> str:
    [directive] = [d.strip() for d in csp.split(";") if d.strip().startswith("script-src")]
    return directive


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/static/web/app.js", "/no-such-page/", "/healthz", "/api/v1/"]
)
def test_every_response_carries_the_policies(client, path):
    resp = client.get(path)
    script = _script_src(resp["Content-Security-Policy"])
    assert script == "script-src 'self'"
    assert "'unsafe-inline'" not in script
    assert "'unsafe-eval'" not in script
    assert "frame-ancestors" in resp["Content-Security-Policy"]
    assert "geolocation=()" in resp["Permissions-Policy"]


def test_signed_in_pages_carry_them_too(client, users, tree):
    login(client, users["committee_staff"])
    resp = client.get(reverse("portal:home"))
    assert resp.status_code == 200
    assert "script-src 'self'" in resp["Content-Security-Policy"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def test_no_template_has_an_inline_script_or_handler():
    found = []
    for f in SRC.rglob("templates/**/*.html"):
        text = f.read_text(encoding="utf-8")
        found += [f"{f.relative_to(SRC)}: script" for _ in INLINE_SCRIPT.finditer(text)]
        found += [f"{f.relative_to(SRC)}: {m.group().strip()}" for m in HANDLER.finditer(text)]
    assert found == []


def test_a_body_over_the_limit_is_refused_before_parsing(client, users, settings):
    big = str(300 * 1024 * 1024)
    resp = client.generic(
        "POST",
        reverse("portal:login"),
        b"x",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=big,
    )
    assert resp.status_code == 413
    assert "请求内容过大" in resp.content.decode()
    small = client.post(reverse("portal:login"), {"username": "a", "password": "b"})
    assert small.status_code == 200
    login(client, users["branch_worker"])
    ok = client.generic("POST", "/members/", b"x", CONTENT_LENGTH=str(300 * 1024))
    assert ok.status_code != 413  # a signed-in user's limit is larger
    over = client.generic(
        "POST", "/members/", b"x", CONTENT_LENGTH=str(settings.MAX_REQUEST_BYTES + 1)
    )
    assert over.status_code == 413


def test_out_of_scope_requests_are_audited_and_rate_limited(client, users, tree):
    from django.core.cache import cache

    from dangjian.audit.models import AuditEvent

    cache.clear()
    login(client, users["sibling_staff"])  # district B staff asking for district A's member
    url = reverse("members:detail", args=[tree.members["A1-1"].pk])
    for _ in range(30):
        assert client.get(url).status_code == 404
    denied = AuditEvent.objects.filter(action="accounts.access_denied", data__reason="out_of_scope")
    assert denied.count() == 20  # the first 20 in the minute; a scanner cannot flood the log
    assert denied.first().data["path"] == url
