"""Documents into pieces. A regulation along its structure: 编/章/节 headings above, one piece per
article (第X条 with all its paragraphs). Any other document by its headings (Markdown #, or a
short line without closing punctuation) and paragraphs, a piece holding paragraphs up to about
PIECE_CHARS characters."""

from __future__ import annotations

import re
from dataclasses import dataclass

NUM = "一二三四五六七八九十百零〇两0123456789"
HEADING = re.compile(rf"^\s*(第[{NUM}]+[编章节])\s*(.*)$")
ARTICLE = re.compile(rf"^\s*(第[{NUM}]+条)[\s　]*(.*)$")
MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s*(.+?)\s*#*\s*$")
LEVEL = {"编": 0, "章": 1, "节": 2}
PIECE_CHARS = 500
CLOSING = "。！？；：，、.!?;:,）)”」"


@dataclass
class PieceData:
    heading: str
    article: str
    text: str


def looks_like_regulation(text: str) -> bool:
    return sum(1 for line in text.splitlines() if ARTICLE.match(line)) >= 3


def _lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines()]


def split_regulation(text: str) -> list[PieceData]:
    heads: list[str] = ["", "", ""]
    pieces: list[PieceData] = []
    current: PieceData | None = None
    preamble: list[str] = []
    for line in _lines(text):
        if not line:
            continue
        if m := HEADING.match(line):
            level = LEVEL[m.group(1)[-1]]
            heads[level] = f"{m.group(1)} {m.group(2)}".strip()
            for deeper in range(level + 1, 3):
                heads[deeper] = ""
            current = None
            continue
        if m := ARTICLE.match(line):
            current = PieceData(" ".join(h for h in heads if h), m.group(1), m.group(2))
            pieces.append(current)
            continue
        if current is None:
            preamble.append(line)
        else:
            current.text += "\n" + line
    if preamble:
        pieces.insert(0, PieceData("", "", "\n".join(preamble)))
    return [p for p in pieces if p.text.strip() or p.article]


def _is_heading(line: str) -> bool:
    return len(line) <= 30 and line[-1] not in CLOSING and not line[0].isdigit()


def split_plain(text: str) -> list[PieceData]:
    pieces: list[PieceData] = []
    heading = ""
    buf: list[str] = []

    def flush() -> None:
        if buf:
            pieces.append(PieceData(heading, "", "\n".join(buf)))
            buf.clear()

    for line in _lines(text):
        if not line:
            continue
        md = MD_HEADING.match(line)
        if md or _is_heading(line):
            flush()
            heading = md.group(2) if md else line
            continue
        if buf and sum(len(x) for x in buf) + len(line) > PIECE_CHARS:
            flush()
        buf.append(line)
    flush()
    return pieces


def split(text: str) -> list[PieceData]:
    return split_regulation(text) if looks_like_regulation(text) else split_plain(text)
