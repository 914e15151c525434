"""Rich text kept safe by a maintained sanitizer (nh3, the Rust ammonia library) with one
allow-list for the whole platform: meeting minutes, learning articles, and the HTML documents the
assistant loads. Paragraphs, headings, bold/italic/underline, lists, line breaks; no attribute
survives, script and style are dropped with their content, everything else is unwrapped to its
text. Editors' <div> lines become paragraphs."""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

import nh3

ALLOWED = {"p", "br", "b", "strong", "i", "em", "u", "ul", "ol", "li", "h3", "h4", "div"}
DROP_CONTENT = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "template",
    "noscript",
    "svg",
    "math",
}
_DIV = re.compile(r"<(/?)div>")


def clean(html: str) -> str:
    """The allowed subset of `html`; plain text (no tags) becomes paragraphs."""
    html = (html or "").strip()
    if not html:
        return ""
    if "<" not in html:
        return "".join(
            f"<p>{escape(line, quote=False)}</p>" for line in html.splitlines() if line.strip()
        )
    out = nh3.clean(
        html,
        tags=ALLOWED,
        clean_content_tags=DROP_CONTENT,
        attributes={},
        strip_comments=True,
        link_rel=None,
    )
    return _DIV.sub(r"<\1p>", out)


def blocks(html: str) -> list[tuple[str, str]]:
    """The text as (kind, text) blocks for documents: kind is p, h, or li."""
    out: list[tuple[str, str]] = []

    class _Blocks(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.kind, self.buf = "p", []  # type: ignore[var-annotated]

        def flush(self) -> None:
            text = "".join(self.buf).strip()
            if text:
                out.append((self.kind, text))
            self.buf = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in ("p", "li", "h3", "h4", "br"):
                self.flush()
                self.kind = "li" if tag == "li" else "h" if tag in ("h3", "h4") else "p"

        def handle_endtag(self, tag: str) -> None:
            if tag in ("p", "li", "h3", "h4"):
                self.flush()
                self.kind = "p"

        def handle_data(self, data: str) -> None:
            self.buf.append(data)

    b = _Blocks()
    b.feed(clean(html))
    b.close()
    b.flush()
    return out
