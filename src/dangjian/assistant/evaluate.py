"""Retrieval quality on a question set (tests/assistant/questions.yaml): per category the share of
questions whose accepted source is the first citation (top 1) or among the first three (top 3),
and the share of off-topic questions declined."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .answer import ask


@dataclass
class Score:
    n: int = 0
    top1: int = 0
    top3: int = 0
    misses: list[str] = field(default_factory=list)

    def rate(self, k: int) -> float:
        return (self.top1 if k == 1 else self.top3) / self.n if self.n else 0.0


def _hit(citation: Any, accept: list[list[str]]) -> bool:
    return any(
        citation.document.startswith(doc)
        and (where in (citation.section or "") or (citation.article or "").startswith(where))
        for doc, where in accept
    )


def evaluate(path: Path) -> dict[str, Score]:
    questions = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: dict[str, Score] = {}
    for category, items in questions.items():
        score = out.setdefault(category, Score())
        for item in items:
            score.n += 1
            answer = ask(None, item["q"])
            if category == "offtopic":
                ok = answer.kind == "refused"
                score.top1 += ok
                score.top3 += ok
                if not ok:
                    score.misses.append(item["q"])
                continue
            cites = answer.citations if answer.kind == "knowledge" else []
            if cites and _hit(cites[0], item["accept"]):
                score.top1 += 1
            if any(_hit(c, item["accept"]) for c in cites[:3]):
                score.top3 += 1
            else:
                score.misses.append(item["q"])
    return out
