"""Markdown from packs, organizers and teams, rendered to HTML that is safe to put in a page.

Rendering is pure Python on the one event loop, so what one text may cost is bounded here, the
one place every Markdown goes through: tables of at most ``MAX_TABLE_ROWS`` rows and quotes or
lists at most ``MAX_DEPTH`` levels deep. Writers that take text from people (reports) refuse
more with ``check_markdown``; text that is already stored (a pack, an announcement) is rendered
up to the first line beyond a bound and the rest is left out, with a note that says so.
"""
from __future__ import annotations

import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

from scoreboard.core.errors import N_, Refused

MAX_TABLE_ROWS = 500
MAX_DEPTH = 8
# Each level of a quote or list is two of markdown-it's nesting levels (the list and its item).
_md = (MarkdownIt("commonmark", {"html": False, "linkify": False, "maxNesting": 2 * MAX_DEPTH + 4})
       .enable("table").enable("strikethrough"))
_LIST_ITEM = re.compile(r"([-*+]|\d{1,9}[.)])(\s|$)")
CUT_NOTE = '<p class="md-cut">[…]</p>'

_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "img",
}
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}


def _depth(line: str) -> int:
    """Quote markers plus list levels (two spaces of indent each) that open this line."""
    line = line.expandtabs(4)
    quotes, rest = 0, line
    while True:
        stripped = rest.lstrip(" ")
        if not stripped.startswith(">"):
            break
        quotes, rest = quotes + 1, stripped[1:]
    indent = len(rest) - len(rest.lstrip(" "))
    return quotes + (indent // 2 + 1 if _LIST_ITEM.match(rest.lstrip(" ")) else 0)


def _first_line_over(source: str) -> tuple[int, Refused] | None:
    """The number of the first line beyond a bound and why, or None: one pass, no parsing."""
    rows = 0
    for number, line in enumerate(source.splitlines()):
        if "|" in line:
            rows += 1
            if rows > MAX_TABLE_ROWS:
                return number, Refused(N_("the text has more than %(max)s table rows; attach long tables "
                                          "as a file"), max=MAX_TABLE_ROWS)
        if (">" in line or line[:1] in " \t") and _depth(line) > MAX_DEPTH:
            return number, Refused(N_("the text nests quotes or lists more than %(max)s levels deep"),
                                   max=MAX_DEPTH)
    return None


def check_markdown(source: str) -> None:
    """Refuse Markdown beyond the bounds (for writers that can tell the author)."""
    over = _first_line_over(source)
    if over is not None:
        raise over[1]


@lru_cache(maxsize=2048)
def render_markdown(source: str) -> str:
    """Markdown to sanitised HTML: raw HTML is escaped, then nh3 keeps only harmless tags.

    Beyond a bound, only the lines before it are rendered, followed by ``CUT_NOTE``."""
    over = _first_line_over(source or "")
    if over is not None:
        source = "\n".join(source.splitlines()[:over[0]])
    html = nh3.clean(_md.render(source or ""), tags=_TAGS, attributes=_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow")
    return html + CUT_NOTE if over is not None else html


def spreadsheet_safe(value: object) -> object:
    """Keep a cell that starts like a formula (=, +, -, @) from running when a CSV is opened."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
