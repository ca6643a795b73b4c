"""Plain text out of whatever a network publishes (HTML, entities, odd whitespace)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

TEXT_LIMIT = 2000
TITLE_LIMIT = 300

# Elements whose content is never text a reader sees.
_INVISIBLE = frozenset({"script", "style", "noscript", "template", "iframe", "object", "svg", "head", "title"})
# Elements that separate words even when the markup has no whitespace between them.
_BREAKING = frozenset({
    "p", "div", "br", "li", "ul", "ol", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "section", "article", "header", "footer", "hr", "table", "figcaption",
})
_WHITESPACE = re.compile(r"\s+")
# CDATA markers: their content is markup to read like the rest, the markers themselves nothing.
_CDATA_MARKER = re.compile(r"<!\[CDATA\[|\]\]>")
#: Most passes over markup that still holds CDATA markers once read (see :func:`plain_text`).
MARKUP_PASSES = 3


class _TextExtractor(HTMLParser):
    """Collects the text a reader of an HTML fragment sees, in ``parts``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        """Hide what an invisible element holds; let a block element separate words."""
        if tag in _INVISIBLE:
            self._hidden_depth += 1
        elif tag in _BREAKING:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs) -> None:
        """A self-closing block element (``<br/>``, ``<hr/>``) separates words."""
        if tag in _BREAKING:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        """Leave an invisible element; the end of a block element separates words."""
        if tag in _INVISIBLE:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in _BREAKING:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        """Keep text a reader sees, drop text inside invisible elements."""
        if not self._hidden_depth:
            self.parts.append(data)


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters at a word boundary, ending with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    boundary = cut.rfind(" ")
    if boundary > limit // 2:  # a very long word is cut mid-word rather than losing half the text
        cut = cut[:boundary]
    return cut.rstrip(" ,;:.-") + "…"


def one_line(text: str | None, limit: int) -> str:
    """``text`` on one line (every run of whitespace one space) and cut to ``limit`` as
    :func:`truncate` cuts: how people's text is quoted inside a sentence or a list."""
    return truncate(" ".join((text or "").split()), limit)


def _visible_text(markup: str) -> str:
    """One pass: the text an HTML fragment shows, CDATA sections read as the markup they hold."""
    parser = _TextExtractor()
    parser.feed(_CDATA_MARKER.sub(" ", markup))
    parser.close()
    return "".join(parser.parts)


def plain_text(markup: str | None, *, limit: int = TEXT_LIMIT) -> str:
    """Visible text of an HTML fragment: tags stripped, entities decoded, no script or style
    content, whitespace collapsed, truncated at a word boundary.

    Text a reader sees as markup-like stays (an escaped ``&lt;!channel&gt;`` is the text
    ``<!channel>``), but a CDATA marker is never text: a section nested in another (which a
    feed's XML parser leaves escaped) is markup to read again, up to :data:`MARKUP_PASSES` times,
    and any marker left is removed, so no remnant such as ``<![CDATA[<script>]]>`` reaches the
    text."""
    if not markup:
        return ""
    if "<" in markup or "&" in markup:
        text = _visible_text(markup)
        for _ in range(MARKUP_PASSES - 1):
            if not _CDATA_MARKER.search(text):
                break
            text = _visible_text(text)
    else:  # no tag, entity or opening CDATA marker: already the text a reader sees
        text = markup
    text = _WHITESPACE.sub(" ", _CDATA_MARKER.sub(" ", text)).strip()
    return truncate(text, limit)
