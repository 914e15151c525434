"""The knowledge base and its answers (issue 17): documents split along their structure, answers
only from retrieved passages with their citations, versions, scope, refusals, bad documents, the
commands."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from reportlab.pdfgen import canvas

from dangjian.assistant import index, services
from dangjian.assistant.answer import ask
from dangjian.assistant.models import Document, Piece
from dangjian.audit.models import AuditEvent
from dangjian.core.errors import DomainError
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

REGULATION = """中国共产党示范条例
第一章 总则
第一条 为了规范示范工作，制定本条例。
第二条 本条例适用于党的基层组织。
第二章 会议
第三条 党支部每季度召开一次党员大会。
党员大会由支部委员会召集。
第四条 党小组每月召开一次党小组会。
"""


def _load(name: str, body: str, **meta) -> Document:
    return services.document_load(
        actor=None, name=name, data=body.encode(), meta=services.Meta(**meta) if meta else None
    )


def test_a_regulation_is_split_by_article_under_its_chapters(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    doc = _load("rule.txt", REGULATION, title="示范条例", issuer="示范机关", version="2020年版")
    pieces = list(doc.pieces.order_by("ordinal"))
    assert [p.article for p in pieces] == ["", "第一条", "第二条", "第三条", "第四条"]
    third = pieces[3]
    assert third.heading == "第二章 会议"
    assert "党员大会由支部委员会召集" in third.text  # the article keeps all its paragraphs
    assert doc.kind == "regulation"
    assert AuditEvent.objects.filter(action="assistant.document_load").count() == 1


def test_an_answer_cites_the_article_and_never_invents(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    _load("rule.txt", REGULATION, title="示范条例")
    a = ask(None, "党员大会多久开一次")
    assert a.kind == "knowledge"
    assert a.citations[0].document == "示范条例"
    assert a.citations[0].article == "第三条"
    assert "每季度召开一次党员大会" in a.answer
    out = a.as_json()
    assert set(out) == {"answer", "citations", "kind"}
    assert set(out["citations"][0]) == {"document", "article", "excerpt", "score"}
    nothing = ask(None, "航天员怎么选拔")
    assert nothing.kind == "refused"
    assert nothing.citations == []
    assert "向所在党支部咨询" in nothing.answer
    assert ask(None, "明天天气怎么样").kind == "refused"


def test_a_new_version_supersedes_and_is_cited_with_its_version(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    old = _load(
        "v1.txt", REGULATION, title="示范条例", version="2020年版", issued_on=date(2020, 1, 1)
    )
    new_text = REGULATION.replace("每季度召开一次", "每两个月召开一次")
    new = _load(
        "v2.txt", new_text, title="示范条例", version="2025年版", issued_on=date(2025, 3, 1)
    )
    old.refresh_from_db()
    assert not old.in_force
    assert old.superseded_by == new
    assert Document.objects.count() == 2  # both kept
    a = ask(None, "党员大会多久开一次")
    assert "每两个月召开一次" in a.answer
    assert "每季度" not in a.answer
    assert "2025年版" in a.citations[0].note
    assert "此前适用2020年版" in a.citations[0].note


def test_a_document_for_a_subtree_answers_only_there(tree, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    services.document_load(
        actor=None,
        name="b.txt",
        data="乙区党员志愿服务规定\n乙区党员每年参加志愿服务不少于二十小时。".encode(),
        organization=tree.district_b,
    )
    inside = make_user("mb", member=tree.members["B1-8"])
    outside = make_user("ma", member=tree.members["A1-2"])
    assert ask(inside, "志愿服务每年多少小时").kind == "knowledge"
    assert ask(outside, "志愿服务每年多少小时").kind == "refused"


def test_staff_load_only_where_they_may(tree, users, settings, tmp_path):
    from dangjian.core.errors import NotVisible

    settings.VAR_DIR = tmp_path
    data = "甲区规定\n甲区党员每月参加一次主题党日。".encode()
    staff = users["committee_staff"]  # district A
    services.document_load(actor=staff, name="a.txt", data=data, organization=tree.district_a)
    with pytest.raises(NotVisible):
        services.document_load(actor=staff, name="b.txt", data=data, organization=tree.district_b)
    with pytest.raises(NotVisible):  # for everyone: only the city
        services.document_load(actor=staff, name="c.txt", data=data)


def _pdf(draw_text: bool) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    if draw_text:
        c.drawString(72, 720, "Party fee rules: members pay every month." * 2)
    else:
        c.line(72, 720, 400, 720)  # a scan: shapes, no text
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("scan.pdf", _pdf(False), "需要文字版"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer<<>>\n%%EOF", "无法读取"),
        (
            "evil.pdf",
            _pdf(True).replace(b"/Type /Page", b"/JS (app.alert(1)) /Type /Page", 1),
            "脚本",
        ),
        ("empty.txt", b"   ", "空文件"),
        ("x.exe", b"MZ\x90\x00", "类型不受支持"),
        ("big.txt", b"a" * (20 * 1024 * 1024 + 1), "超过20MB"),
    ],
)
def test_bad_documents_are_refused_with_the_reason(settings, tmp_path, name, data, reason):
    settings.VAR_DIR = tmp_path
    with pytest.raises(DomainError, match=reason):
        services.document_load(actor=None, name=name, data=data)
    assert not Document.objects.exists()


def test_html_scripts_are_dropped(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    page = "<h1>主题党日</h1><p>主题党日每月固定一天。</p><script>alert('x')</script>"
    doc = services.document_load(actor=None, name="p.html", data=page.encode())
    assert "alert" not in doc.text
    assert "主题党日每月固定一天" in doc.text


def test_the_index_survives_a_restart(settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path
    _load("rule.txt", REGULATION, title="示范条例")
    assert ask(None, "党小组会多久开一次").citations[0].article == "第四条"
    monkeypatch.setattr(index, "_current", None)  # a new process

    def no_rebuild(token):
        raise AssertionError("rebuilt instead of loading the index from disk")

    monkeypatch.setattr(index, "_build", no_rebuild)
    assert ask(None, "党小组会多久开一次").citations[0].article == "第四条"


def test_questions_are_checked(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    with pytest.raises(DomainError, match="请输入问题"):
        ask(None, "  ")
    with pytest.raises(DomainError, match="500"):
        ask(None, "党" * 501)


def test_kb_import_keeps_the_rest_of_a_batch_and_ask_answers_json(settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text(REGULATION, encoding="utf-8")
    (folder / "scan.pdf").write_bytes(_pdf(False))
    call_command("kb", "import", str(folder))
    out = capsys.readouterr()
    assert "未载入 " in out.err
    assert "需要文字版" in out.err
    assert "共载入 1 个文件，未载入 1 个" in out.out
    call_command("kb", "rules")
    assert Piece.objects.filter(document__kind="rule").count() >= 50
    capsys.readouterr()
    call_command("ask", "党小组会多久开一次", json=True)
    answer = json.loads(capsys.readouterr().out)
    assert answer["kind"] == "knowledge"
    assert answer["citations"][0]["article"] == "第四条"
    with pytest.raises(CommandError, match="不存在"):
        call_command("ask", "问题", username="nobody-here")


def test_the_demo_documents_answer_their_questions(kb):
    a = ask(None, "在职党员每月工资5400元，党费按什么比例交")
    assert a.citations[0].document.startswith("党费交纳标准")
    assert "1.5%" in a.answer or "1%" in a.answer
    assert (
        ask(None, "组织关系介绍信有效期多久").citations[0].document.startswith("党员组织关系转接")
    )
    assert "32" in ask(None, "党员一年要学习多少学时").answer


def test_many_committees_copies_do_not_crowd_out_ones_own(tree, settings, tmp_path):
    from dangjian.assistant.models import Document as Doc
    from dangjian.orgs.services import org_create

    settings.VAR_DIR = tmp_path
    body = (
        "党费收缴办法\n第一条 党员每月{n}日前交纳党费。\n第二条 党费由支部统一收缴。\n"
        "第三条 其他事项另行规定。"
    )
    for i in range(40):  # 40 other committees, each with its own version
        org = org_create(
            actor=None,
            parent=tree.city,
            code=f"X{i}",
            name=f"中共其他{i}区委员会",
            kind="committee",
            category="organ",
            established_on=date(2000, 1, 1),
        )
        services.document_load(
            actor=None, name=f"x{i}.txt", data=body.format(n=i % 28 + 1).encode(), organization=org
        )
    services.document_load(
        actor=None, name="a.txt", data=body.format(n=5).encode(), organization=tree.district_a
    )
    assert Doc.objects.count() == 41
    a = ask(make_user("ma", member=tree.members["A1-2"]), "党员每月几号前交党费")
    assert a.kind == "knowledge"
    assert "5日前" in a.answer
