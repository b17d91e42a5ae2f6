"""Whole sentences only: a lint over templates and static/js that fails on a translated string
glued to a variable, and checks of the catalogs for fragment message ids and missing plural forms
(docs/i18n.md, "Writing strings that translate well")."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ROOT / "scoreboard" / "translations"
TRANSLATED = r"(?:_|gettext|ngettext|pgettext)\("
# Jinja: `_('x') ~ y`, `y ~ _('x')`, and `{{ _('Log out') }} ({{ name }})` — a translated
# expression and another one side by side in the same text, joined by spaces, brackets or a colon.
JINJA = [
    re.compile(TRANSLATED + r"[^}]*\)\s*~"), re.compile(r"~\s*" + TRANSLATED),
    re.compile(r"\{\{\s*" + TRANSLATED + r"[^}]*\}\}[ \t(:]*\{\{(?!\s*" + TRANSLATED + ")"),
    re.compile(r"\{\{(?!\s*" + TRANSLATED + r")[^}]*\}\}[ \t):]*\{\{\s*" + TRANSLATED),
]
# JavaScript: `t(...) + x`, `x + t(...)`, a translated word kept in a variable and joined
# (`" " + verb + " "`), and the English `statusText` shown instead of a translated message.
JS = [
    re.compile(r"\bt\([^()]*(?:\([^()]*\)[^()]*)*\)\s*\+"), re.compile(r"\+\s*(?:\w+\.)?t\("),
    re.compile(r"\"\s\"\s*\+\s*\w+\s*\+\s*\"\s\""), re.compile(r"statusText"),
]


def _hits(paths: list[Path], patterns: list[re.Pattern[str]]) -> list[str]:
    found = []
    for path in paths:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if any(p.search(line) for p in patterns):
                found.append(f"{path.name}:{number}: {line.strip()}")
    return found


def test_no_template_glues_a_translated_string_to_a_value() -> None:
    found = _hits(sorted((ROOT / "templates").rglob("*.html")), JINJA)
    assert not found, "one msgid with placeholders, e.g. _('Log out (%(name)s)', name=...):\n" + "\n".join(found)


def test_no_script_glues_a_translated_string_to_a_value() -> None:
    found = _hits(sorted((ROOT / "static" / "js").glob("*.js")), JS)
    assert not found, "one sentence per catalog entry, filled by D.t(key, params) or D.parts:\n" + "\n".join(found)


def test_the_lint_catches_the_known_fragment_patterns(tmp_path: Path) -> None:
    page, script = tmp_path / "p.html", tmp_path / "s.js"
    page.write_text("<b>{{ _('Log out') }} ({{ name }})</b>\n{{ _('x') ~ y }}\n<p>{{ _('Phase:') }} {{ p }}</p>\n")
    script.write_text('a = D.t("x") + y;\nb = " " + verb + " ";\nc = response.statusText;\n')
    assert len(_hits([page], JINJA)) == 3 and len(_hits([script], JS)) == 3
    page.write_text("<b>{{ _('Log out (%(name)s)', name=name) }}</b> · {{ when }}\n")
    assert not _hits([page], JINJA)


CONNECTIVES = {"and", "or", "by", "of", "to", "from", "in", "on", "with", "for", "at", "but", "than", "then"}


def _catalog(lang: str):  # noqa: ANN202 - babel's Catalog
    with (CATALOGS / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=lang)


def test_no_fragment_message_ids() -> None:
    """A msgid that ends in a colon (a label glued to a value) or starts with a connective word
    ("by %(author)s", "and more") is part of a sentence, which no translator can order."""
    fragments = []
    for message in _catalog("ru"):
        for msgid in message.id if isinstance(message.id, tuple) else (message.id,):
            if msgid and (msgid.rstrip().endswith(":") or msgid.split(" ", 1)[0] in CONNECTIVES):
                fragments.append(msgid)
    assert not fragments, fragments


@pytest.mark.parametrize("lang", ["ru", "zh"])
def test_every_plural_message_has_all_its_forms(lang: str) -> None:
    """As many forms as the language's plural rule (ru: one, few, many; zh: one form), none empty."""
    catalog = _catalog(lang)
    wanted = catalog.num_plurals
    assert wanted == {"ru": 3, "zh": 1}[lang] and len(Locale.parse(lang).plural_form.tags | {"other"}) >= wanted
    short = [m.id[0] for m in catalog if m.pluralizable
             and (len(m.string) != wanted or not all(m.string))]
    assert not short, f"{lang}: plural messages without every form: {short}"
