"""The assistant's pages: a member asks on the phone and opens the cited article; staff load a
document from the knowledge-base page (a bad one answers its reason inline)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from dangjian.assistant.answer import ask
from dangjian.assistant.models import Document
from tests.conftest import login, make_user

pytestmark = pytest.mark.django_db


def test_a_member_asks_and_opens_the_cited_article(client, tree, kb, django_assert_max_num_queries):
    user = make_user("m2", member=tree.members["A1-2"])
    login(client, user)
    with django_assert_max_num_queries(40):
        resp = client.post(reverse("assistant:ask"), {"question": "组织关系介绍信有效期多久"})
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "最长不超过六个月" in html
    assert "《党员组织关系转接（通俗解读）》" in html
    piece = (
        Document.objects.get(title__startswith="党员组织关系转接")
        .pieces.filter(text__contains="有效期")
        .first()
    )
    assert reverse("assistant:piece", args=[piece.pk]) in html
    page = client.get(reverse("assistant:piece", args=[piece.pk])).content.decode()
    assert "本平台默认三个月" in page
    assert "tabbar" in page  # the member's phone frame
    empty = client.post(reverse("assistant:ask"), {"question": ""}).content.decode()
    assert "请输入问题" in empty
    assert client.get(reverse("assistant:documents")).status_code == 403


def test_a_member_asks_about_their_record_and_gets_the_page_link(client, tree, kb):
    user = make_user("m2", member=tree.members["A1-2"])
    login(client, user)
    html = client.get(reverse("assistant:ask"), {"q": "我今年学习了多少学时"}).content.decode()
    assert "查询本人记录" in html
    assert reverse("learning:my") in html


def test_staff_load_a_document_and_see_it_listed(client, tree, users, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    staff = users["committee_staff"]
    login(client, staff)
    f = io.BytesIO("甲区党员志愿服务办法\n甲区党员每年参加志愿服务不少于二十小时。".encode())
    f.name = "volunteer.txt"
    resp = client.post(
        reverse("assistant:documents"),
        {"file": f, "organization": tree.district_a.code, "version": "2026年版"},
    )
    assert resp.status_code == 302
    doc = Document.objects.get(title="甲区党员志愿服务办法")
    assert doc.organization == tree.district_a
    listing = client.get(reverse("assistant:documents")).content.decode()
    assert "甲区党员志愿服务办法" in listing
    bad = io.BytesIO(b"%PDF-1.4 broken")
    bad.name = "bad.pdf"
    html = client.post(
        reverse("assistant:documents"), {"file": bad, "organization": tree.district_a.code}
    ).content.decode()
    assert "无法读取" in html or "已损坏" in html
    city = io.BytesIO("全市规定\n全市党员每年参加一次集中轮训。".encode())
    city.name = "city.txt"
    html = client.post(reverse("assistant:documents"), {"file": city}).content.decode()
    assert "只有市级党委可以载入全平台适用的文档" in html


def test_staff_keep_an_faq_that_the_assistant_cites(client, tree, users, kb):
    login(client, users["committee_staff"])
    form = {
        "form": "faq",
        "question": "党费可以用手机交吗",
        "answer": "可以。在“我的党费”里选择月份，用在线支付交纳，收据自动生成。",
        "source": "本区党费收缴办法",
        "organization": tree.district_a.code,
    }
    assert client.post(reverse("assistant:documents"), form).status_code == 302
    member = users["member"]
    a = ask(member, "手机上能交党费吗")
    assert a.citations[0].document == "党费可以用手机交吗"
    assert "在线支付" in a.answer
    form["answer"] = "可以。打开“我的党费”，选择月份后在线交纳。"
    client.post(reverse("assistant:documents"), form)
    docs = Document.objects.filter(kind="faq").order_by("id")
    assert [d.in_force for d in docs] == [False, True]
    assert docs[1].version == "第2版"
    assert "打开“我的党费”" in ask(member, "手机上能交党费吗").answer
    bad = client.post(reverse("assistant:documents"), {**form, "answer": "可"}).content.decode()
    assert "请填写答案" in bad
