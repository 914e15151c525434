"""No full ID number or phone reaches a role without unmask (issue 16, B3): every page and API route
of the access matrix that answers such a role, every list export and print view, and the documents
among them (PDF text, Word and Excel XML) are searched for the seeded members' ID numbers and
phones."""

from __future__ import annotations

import io
import subprocess
import tempfile
import zipfile

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from dangjian.members.models import Member
from dangjian.web import exports
from tests.conftest import login
from tests.web.test_access_matrix import MATRIX

pytestmark = pytest.mark.django_db
ROLES = ["branch_worker", "supervisor"]  # staff without unmask


def _text(resp) -> str:
    body = b"".join(resp.streaming_content) if resp.streaming else resp.content
    kind = resp.get("Content-Type", "")
    if body.startswith(b"%PDF"):
        with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
            f.write(body)
            f.flush()
            return subprocess.run(
                ["pdftotext", f.name, "-"], capture_output=True, text=True, check=True
            ).stdout
    if body.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            return "".join(
                z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml")
            )
    if "json" in kind or "text" in kind or "html" in kind or not kind:
        return body.decode("utf-8", "replace")
    return body.decode("latin-1")


def _secrets() -> set[str]:
    out = set()
    for m in Member.objects.all():
        out.add(m.id_number())
        if m.phone_encrypted:
            out.add(m.phone())
    return {s for s in out if s}


@pytest.mark.parametrize("role", ROLES)
def test_no_page_export_or_document_shows_a_full_id_or_phone(client, tree, users, role):
    secrets = _secrets()
    assert len(secrets) >= 20  # the fixture tree: 10 members, each with an ID and a phone
    login(client, users[role])
    hits: list[tuple[str, str]] = []
    seen = 0
    for name, (args_fn, query, expected) in sorted(MATRIX.items()):
        if expected.get(role) != 200:
            continue
        try:
            with transaction.atomic():  # two routes may build the same object: the second skips
                args = args_fn(tree)
        except IntegrityError:
            continue
        url = reverse(name.split("#")[0], args=args) + query.format(a1=tree.branch_a1.pk)
        resp = client.get(url)
        if resp.status_code != 200:
            continue
        seen += 1
        text = _text(resp)
        hits += [(name, s[-4:]) for s in secrets if s in text]
    for name in sorted(exports.REGISTRY):
        for view in ("interchange:export", "interchange:print"):
            resp = client.get(reverse(view, args=[name]))
            if resp.status_code == 200:
                seen += 1
                text = _text(resp)
                hits += [(f"{view}:{name}", s[-4:]) for s in secrets if s in text]
    assert hits == []
    assert seen >= 60  # pages, API answers, exports and print views actually searched
