"""The assistant's lists exported and printed (web.exports): the knowledge base, 意见建议 (the
author shown as the receivers see it: 匿名党员 when the member asked)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import QueryDict

from dangjian.web.exports import Described, Export, filter_label, register

from . import selectors
from .models import DocKind, OpinionStatus, OpinionTopic


def _documents(user: Any, params: QueryDict) -> Any:
    return selectors.documents_for(
        user,
        kind=params.get("kind", ""),
        q=(params.get("q") or "").strip(),
        all_versions=params.get("versions") == "all",
    )


def _doc_rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    for d in _documents(user, params):
        yield [
            d.title,
            d.get_kind_display(),
            d.issuer,
            d.issued_on,
            d.version,
            d.organization.name if d.organization else "全平台",
            "现行" if d.in_force else "已替代",
            d.piece_count,
            d.created_at,
        ]


def _doc_describe(user: Any, params: QueryDict) -> Described:
    return Described(
        "本人可见的知识库文档",
        [
            ("类别", filter_label(DocKind.choices, params.get("kind", ""))),
            ("标题或发文机关", (params.get("q") or "").strip()),
            ("含已替代的版本", "是" if params.get("versions") == "all" else ""),
        ],
    )


register(
    Export(
        name="kb_documents",
        title="助手知识库文档",
        columns=[
            "标题",
            "类别",
            "发文机关",
            "发布日期",
            "版本",
            "适用范围",
            "状态",
            "段数",
            "载入时间",
        ],
        widths=[36, 14, 20, 12, 12, 20, 8, 8, 18],
        rows=_doc_rows,
        count=lambda user, params: _documents(user, params).count(),
        describe=_doc_describe,
    )
)


def _opinions(user: Any, params: QueryDict) -> Any:
    return selectors.opinions_for(
        user, status=params.get("status", ""), topic=params.get("topic", "")
    )


def _op_rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    for o in _opinions(user, params).iterator(chunk_size=2000):
        yield [
            o.created_at,
            o.get_topic_display(),
            o.text,
            "匿名党员" if o.anonymous else o.member.name,
            o.organization.name,
            o.get_status_display(),
            o.replied_at,
            o.rating or "",
        ]


def _op_describe(user: Any, params: QueryDict) -> Described:
    return Described(
        "本级及下级党组织收到的意见建议",
        [
            ("状态", filter_label(OpinionStatus.choices, params.get("status", ""))),
            ("类别", filter_label(OpinionTopic.choices, params.get("topic", ""))),
        ],
    )


register(
    Export(
        name="opinions",
        title="意见建议",
        columns=["提出时间", "类别", "内容", "提出人", "办理党组织", "状态", "答复时间", "满意度"],
        widths=[18, 12, 50, 12, 24, 10, 18, 8],
        rows=_op_rows,
        count=lambda user, params: _opinions(user, params).count(),
        describe=_op_describe,
        personal=True,
    )
)
