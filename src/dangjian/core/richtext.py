"""Rich text kept safe: a small allow-list sanitizer for the minutes editor (paragraphs, headings,
bold/italic/underline, lists, line breaks). Everything else is dropped or escaped; attributes never
survive, so no script, style or link can be smuggled in."""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser

ALLOWED = {"p", "br", "b", "strong", "i", "em", "u", "ul", "ol", "li", "h3", "h4", "div"}
VOID = {"br"}
DROP_CONTENT = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "template",
    "svg",
    "math",
    "noscript",
}


class _Cleaner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.stack: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROP_CONTENT:
            self.skip += 1
            return
        if self.skip or tag not in ALLOWED:
            return
        tag = "p" if tag == "div" else tag
        self.out.append(f"<{tag}>")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in DROP_CONTENT:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip or tag not in ALLOWED or tag in VOID:
            return
        tag = "p" if tag == "div" else tag
        if tag in self.stack:
            while self.stack:
                t = self.stack.pop()
                self.out.append(f"</{t}>")
                if t == tag:
                    break

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(escape(data, quote=False))


def clean(html: str) -> str:
    """The allowed subset of `html`; plain text (no tags) becomes paragraphs."""
    html = (html or "").strip()
    if not html:
        return ""
    if "<" not in html:
        return "".join(
            f"<p>{escape(line, quote=False)}</p>" for line in html.splitlines() if line.strip()
        )
    c = _Cleaner()
    c.feed(html)
    c.close()
    c.out.extend(f"</{t}>" for t in reversed(c.stack))
    return "".join(c.out)


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
