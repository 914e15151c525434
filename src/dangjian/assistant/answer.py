"""Ask the assistant: a question about the asker's own record goes to the record intents (the
platform's data, scoped like the pages); any other is answered from the knowledge base — the best
passages themselves, trimmed to the sentences that answer, with their citations — or declined when
nothing relevant is found or the question is off-topic. It never invents."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from dangjian.accounts import policy
from dangjian.core.errors import DomainError

from . import index, intents, text
from .models import DocKind, Piece

MAX_QUESTION = 500
# the share of the question's meaning (its terms weighted by how rare they are) that the best
# piece must contain; below it nothing counts as found. Calibrated on tests/assistant/questions.yaml
MIN_COVERAGE = 0.35
CITATIONS = 3
RULE_WEIGHT = 0.7  # a monitoring rule's note ranks below an explanation of the same matter
ANSWER_CHARS = 240
NOT_FOUND = "知识库里没有找到能回答这个问题的内容。可以换个说法再问，或者向所在党支部咨询。"
OFF_TOPIC = "我是党建助手，只能回答党务、党费、组织生活、学习教育等方面的问题。"


@dataclass
class Citation:
    document: str
    article: str | None
    excerpt: str
    score: float
    piece: int = 0
    version: str = ""
    note: str = ""  # e.g. the version in force since when, and what applied before
    url: str = ""
    section: str = ""  # the headings above the piece


@dataclass
class Answer:
    answer: str | None
    citations: list[Citation] = field(default_factory=list)
    kind: str = "knowledge"  # knowledge | record | opinion | refused
    link: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "citations": [
                {
                    "document": c.document,
                    "article": c.article,
                    "excerpt": c.excerpt,
                    "score": round(c.score, 3),
                }
                for c in self.citations
            ],
            "kind": self.kind,
        }

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def visible_paths(user: Any) -> list[str] | None:
    """The organization paths the user belongs to or works on; None = everything (no user)."""
    if user is None:
        return None
    paths = []
    member = getattr(user, "member", None)
    if member is not None:
        paths.append(member.organization.path)
    paths += policy.roots(user, "view")
    return paths


def _visible(piece: Piece, paths: list[str] | None) -> bool:
    org = piece.document.organization
    if org is None or paths is None:
        return True
    return any(p.startswith(org.path) for p in paths)


def _trim(piece_text: str, terms: set[str]) -> str:
    """The sentences of the piece that answer: those sharing the most terms with the question,
    kept in their order, at most about ANSWER_CHARS characters."""
    sents = text.sentences(piece_text)
    overlap = [len(terms & set(text.tokens(s))) for s in sents]
    chosen: set[int] = set()
    used = 0
    for i in sorted(range(len(sents)), key=lambda i: (-overlap[i], i)):
        if overlap[i] == 0 or (chosen and used + len(sents[i]) > ANSWER_CHARS):
            break
        chosen.add(i)
        used += len(sents[i])
    if not chosen:
        chosen = set(range(min(2, len(sents))))
    out = "".join(
        sents[i] if sents[i][-1] in "。！？；" else sents[i] + "。" for i in sorted(chosen)
    )
    return out[:ANSWER_CHARS] + ("…" if len(out) > ANSWER_CHARS else "")


def _note(piece: Piece) -> str:
    doc = piece.document
    older = list(doc.older.order_by("-issued_on").values_list("version", "issued_on")[:1])
    if not older:
        return ""
    since = f"自{doc.issued_on:%Y年%m月%d日}起" if doc.issued_on else ""
    version, issued = older[0]
    before = version or (f"{issued:%Y年}版" if issued else "旧版本")
    return f"现行{doc.version or '版本'}{since}施行；此前适用{before}"


def knowledge(user: Any, question: str) -> Answer:
    terms = text.tokens(question)
    hits = index.search(terms, k=30)
    if not hits:
        return _declined(question)
    pieces = Piece.objects.select_related("document__organization").in_bulk(
        [pid for pid, _ in hits]
    )
    paths = visible_paths(user)
    ranked = sorted(
        (
            (pieces[pid], score * (RULE_WEIGHT if pieces[pid].document.kind == DocKind.RULE else 1))
            for pid, score in hits
            if pid in pieces and pieces[pid].document.in_force and _visible(pieces[pid], paths)
        ),
        key=lambda x: -x[1],
    )
    if not ranked:
        return _declined(question)
    best, _top = ranked[0]
    wanted = set(terms)
    weights = index.idf(sorted(wanted))
    found = wanted & set(best.tokens.split(" "))
    coverage = sum(weights[t] for t in found) / max(1e-9, sum(weights.values()))
    if coverage < MIN_COVERAGE:
        return _declined(question)
    citations = [
        Citation(
            document=p.document.title,
            article=p.article or None,
            excerpt=_trim(p.text, wanted),
            score=score,
            piece=p.pk,
            section=p.heading,
            version=p.document.version,
            note=_note(p),
        )
        for p, score in ranked[:CITATIONS]
    ]
    return Answer(citations[0].excerpt, citations, "knowledge")


def _declined(question: str) -> Answer:
    if any(w in question for w in text.offtopic_words()):
        return Answer(OFF_TOPIC, [], "refused")
    return Answer(NOT_FOUND, [], "refused", link="opinion")


def ask(user: Any, question: str) -> Answer:
    """The one entry point: the command line, the staff page and the member's phone."""
    q = (question or "").strip()
    if not q:
        raise DomainError("empty", "请输入问题", field="question")
    if len(q) > MAX_QUESTION:
        raise DomainError("too_long", f"问题不能超过{MAX_QUESTION}个字", field="question")
    if user is not None:
        hit = intents.match(q)
        if hit is not None:
            return intents.answer(user, hit)
    return knowledge(user, q)
