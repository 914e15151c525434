"""讲解 (issue 17, item 7): staff publish a video or audio explanation in the library with its
transcript; the assistant answers from the transcript and cites it like a document, with the
player on the cited page; a corrected transcript supersedes the old one; scope follows the
course's publisher."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dangjian.assistant.answer import ask
from dangjian.assistant.models import DocKind, Document
from dangjian.audit.models import AuditEvent
from dangjian.core.errors import DomainError
from dangjian.learning import services as learning
from tests.conftest import login, make_user

pytestmark = pytest.mark.django_db

MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * 4000
TRANSCRIPT = """大家好，今天讲一讲流动党员活动证。
外出务工经商六个月以上、地点相对固定的党员，应当将组织关系转到所在地党组织；暂时无法转移的，由原党支部发给流动党员活动证。
流动党员持活动证到外出地党组织报到，参加组织生活，按时交纳党费。"""


def _explanation(tree, users, *, org=None, transcript=TRANSCRIPT, publish=True):
    staff = users["committee_staff"]
    c = learning.course_create(
        actor=staff, publisher=org or tree.district_a, title="流动党员怎么管", units=["讲解"]
    )
    r = learning.resource_add(
        actor=staff,
        unit=c.units.get(),
        kind="audio",
        title="流动党员活动证讲解",
        upload=SimpleUploadedFile("讲解.mp3", MP3, content_type="audio/mpeg"),
        minutes=5,
        transcript=transcript,
    )
    if publish:
        learning.course_publish(actor=staff, course=c)
    return c, r


def _member(tree, code="A1-3"):
    return make_user(f"u{code}", member=tree.members[code])


def test_a_published_explanation_is_cited_like_a_document(tree, users, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    c, r = _explanation(tree, users, publish=False)
    user = _member(tree)
    assert not Document.objects.filter(kind=DocKind.MEDIA).exists()  # not before publication
    assert ask(user, "流动党员活动证是什么").kind == "refused"

    learning.course_publish(actor=users["committee_staff"], course=c)
    doc = Document.objects.get(kind=DocKind.MEDIA, in_force=True)
    assert (doc.resource, doc.organization, doc.issuer) == (r, tree.district_a, "中共甲区委员会")
    answer = ask(user, "外出务工的党员组织关系暂时无法转移怎么办")
    assert answer.kind == "knowledge"
    first = answer.citations[0]
    assert (first.document, first.kind) == ("流动党员活动证讲解", DocKind.MEDIA)
    assert "流动党员活动证" in answer.answer
    assert answer.as_json()["citations"][0]["document"] == "流动党员活动证讲解"


def test_the_cited_page_plays_the_explanation(client, tree, users, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    _, r = _explanation(tree, users)
    login(client, _member(tree))
    html = client.post(
        reverse("assistant:ask"), {"question": "流动党员活动证怎么用"}
    ).content.decode()
    assert "讲解</span>" in html
    piece = Document.objects.get(kind=DocKind.MEDIA).pieces.first()
    page = client.get(reverse("assistant:piece", args=[piece.pk])).content.decode()
    assert f'src="{reverse("learning:media", args=[r.pk])}"' in page
    assert reverse("learning:study", args=[r.pk]) in page  # where it counts as study time
    assert client.get(reverse("learning:media", args=[r.pk])).status_code == 200
    study = client.get(reverse("learning:study", args=[r.pk])).content.decode()
    assert "文字稿" in study
    assert "持活动证到外出地党组织报到" in study

    staff = client.__class__()
    login(staff, users["committee_staff"])
    page = staff.get(reverse("assistant:piece", args=[piece.pk])).content.decode()
    assert f'src="{reverse("learning:staff_media", args=[r.pk])}"' in page


def test_a_corrected_transcript_supersedes_and_an_emptied_one_withdraws(
    client, tree, users, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    _, r = _explanation(tree, users)
    first = Document.objects.get(kind=DocKind.MEDIA, in_force=True)
    login(client, users["committee_staff"])
    page = client.get(reverse("learning:transcript", args=[r.pk]))
    assert page.status_code == 200
    assert "党建助手据此文字稿回答" in page.content.decode()
    resp = client.post(
        reverse("learning:transcript", args=[r.pk]),
        {"transcript": TRANSCRIPT + "\n流动党员返回后，应当及时向原党支部报告外出期间的情况。"},
    )
    assert resp.status_code == 302
    second = Document.objects.get(kind=DocKind.MEDIA, in_force=True)
    first.refresh_from_db()
    assert (first.in_force, first.superseded_by) == (False, second)
    assert second.version.endswith("文字稿")
    user = _member(tree)
    assert (
        ask(user, "流动党员返回后要向原党支部报告什么").citations[0].document
        == "流动党员活动证讲解"
    )
    assert AuditEvent.objects.filter(action="learning.resource_transcript").count() == 1

    client.post(reverse("learning:transcript", args=[r.pk]), {"transcript": ""})
    assert not Document.objects.filter(kind=DocKind.MEDIA, in_force=True).exists()
    assert ask(user, "流动党员活动证是什么").kind == "refused"


def test_scope_follows_the_publisher(tree, users, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    _explanation(tree, users)
    assert ask(_member(tree, "A1-3"), "流动党员活动证是什么").kind == "knowledge"
    other = ask(_member(tree, "B1-8"), "流动党员活动证是什么")  # another district's member
    assert other.kind == "refused"
    piece = Document.objects.get(kind=DocKind.MEDIA).pieces.first()
    assert all(c.piece != piece.pk for c in other.citations)


def test_only_video_and_audio_take_a_transcript(tree, users, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    c = learning.course_create(
        actor=users["committee_staff"], publisher=tree.district_a, title="课", units=["一"]
    )
    with pytest.raises(DomainError) as err:
        learning.resource_add(
            actor=users["committee_staff"],
            unit=c.units.get(),
            kind="article",
            title="图文",
            body="<p>正文内容</p>",
            transcript="文字稿",
        )
    assert err.value.field == "transcript"
    with pytest.raises(DomainError) as err:
        _explanation(tree, users, transcript="字" * 20_001)
    assert "不能超过20000字" in err.value.message
