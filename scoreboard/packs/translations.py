"""A pack's own text in the teams' languages: checking ``translations:`` and choosing the viewer's.

challenge.yml may carry ``translations: {ru: {name, category, description, hints}}`` where
``hints`` is a list matching the challenge's ``hints`` by position, each item the hint's
content as text or ``{title, content}``; a report task's may add ``rubric`` (by position,
``{criterion, levels: [descriptor, ...]}``) and ``guide`` (judges only); pack.yml may carry
``translations: {ru: {title, description, briefing}}``, and each of its ``phases``
``translations: {ru: {title, description}}``. Whatever a translation leaves out is shown as
the pack wrote it. No Flask here.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoreboard.core.errors import N_, Message
from scoreboard.core.text import render_markdown
from scoreboard.packs.problems import quoted
from scoreboard.store.models import Challenge

LANGUAGES = ("en", "ru", "zh")
CHALLENGE_KEYS = ("name", "category", "description", "hints", "rubric", "guide")
PACK_KEYS = ("title", "description", "briefing")
PHASE_KEYS = ("title", "description")
Problem = tuple[int, Message]


def _lines(value: Any, key: Any, default: int) -> int:
    return getattr(value, "lines", {}).get(key, default) if isinstance(value, dict) else default


def _check_hints(items: Any, line: int, where: str, hint_count: int) -> tuple[list[dict[str, str]], list[Problem]]:
    if not isinstance(items, list):
        return [], [(line, Message(N_("%(key)s must be a list of hints in the order of 'hints'"), key=f"'{where}'"))]
    if len(items) > hint_count:
        return [], [(line, Message(N_("%(key)s lists more hints than the challenge has (translated: %(given)s, "
                                      "hints: %(count)s)"), key=f"'{where}'", given=len(items), count=hint_count))]
    found, problems = [], []
    item_lines = getattr(items, "lines", [])
    for index, item in enumerate(items):
        item_line = item_lines[index] if index < len(item_lines) else line
        if isinstance(item, str):
            found.append({"content": item})
        elif isinstance(item, dict) and item and all(k in ("title", "content") and isinstance(v, str)
                                                     for k, v in item.items()):
            found.append(dict(item))
        else:
            problems.append((item_line, Message(N_("%(key)s must be text or a mapping with text 'title' and/or "
                                                   "'content'"), key=f"'{where}[{index}]'")))
    return found, problems


def _check_rubric(items: Any, line: int, where: str, rubric: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[Problem]]:
    """``rubric`` translated by position: each item ``{criterion, levels}`` with ``levels`` the
    descriptors in the order of the criterion's levels."""
    if not isinstance(items, list) or len(items) > len(rubric):
        return [], [(line, Message(N_("%(key)s must be a list in the order of 'rubric', with no more items than "
                                      "'rubric' has (criteria: %(count)s)"), key=f"'{where}'", count=len(rubric)))]
    found, problems = [], []
    item_lines = getattr(items, "lines", [])
    for index, (item, criterion) in enumerate(zip(items, rubric, strict=False)):
        item_line = item_lines[index] if index < len(item_lines) else line
        levels = item.get("levels", []) if isinstance(item, dict) else None
        if (not isinstance(item, dict) or any(k not in ("criterion", "levels") for k in item)
                or not isinstance(item.get("criterion", ""), str) or not isinstance(levels, list)
                or not all(isinstance(text, str) for text in levels)
                or len(levels) > len(criterion.get("levels", []))):
            problems.append((item_line, Message(N_("%(key)s must be a mapping with text 'criterion' and/or 'levels' "
                                                   "(one descriptor per level of the criterion, in order)"),
                                                key=f"'{where}[{index}]'")))
            continue
        found.append({"criterion": item.get("criterion", ""), "levels": list(levels)})
    return found, problems


def check(value: Any, line: int, allowed: tuple[str, ...], hint_count: int = 0,
          rubric: list[dict[str, Any]] | None = None) -> tuple[dict[str, Any], list[Problem]]:
    """The valid part of a ``translations`` mapping and each problem as (line, message)."""
    if not isinstance(value, dict):
        return {}, [(line, Message(N_("'translations' must be a mapping of language code to translated fields")))]
    result: dict[str, Any] = {}
    problems: list[Problem] = []
    for lang, entry in value.items():
        lang_line = _lines(value, lang, line)
        if lang not in LANGUAGES:
            problems.append((lang_line, Message(N_("the translation's language must be one of %(allowed)s, not "
                                                   "%(value)s"), allowed=quoted(LANGUAGES), value=repr(lang))))
            continue
        if not isinstance(entry, dict):
            problems.append((lang_line, Message(N_("%(key)s must be a mapping with %(allowed)s"),
                                                key=f"'translations.{lang}'", allowed=quoted(allowed))))
            continue
        version: dict[str, Any] = {}
        for key, text in entry.items():
            key_line = _lines(entry, key, lang_line)
            if key not in allowed:
                problems.append((key_line, Message(N_("%(key)s may hold only %(allowed)s, not %(value)s"),
                                                   key=f"'translations.{lang}'", allowed=quoted(allowed),
                                                   value=repr(key))))
            elif key == "hints":
                hints, found = _check_hints(text, key_line, f"translations.{lang}.hints", hint_count)
                version[key] = hints
                problems.extend(found)
            elif key == "rubric":
                items, found = _check_rubric(text, key_line, f"translations.{lang}.rubric", rubric or [])
                version[key] = items
                problems.extend(found)
            elif not isinstance(text, str):
                problems.append((key_line, Message(N_("%(key)s must be text"), key=f"'translations.{lang}.{key}'")))
            else:
                version[key] = text
        result[lang] = version
    return result, problems


def challenge_in(item: dict[str, Any], translations: dict[str, Any], lang: str, hide_name: bool = False) -> dict[str, Any]:
    """A challenge listing or page (``challenges.list_for_team``/``detail_for_team``) in ``lang``.

    Hint content is replaced only where the team already sees it, so a translation never
    opens a locked hint; a name (and category) the pack hides until unlocked stays hidden.
    """
    version = translations.get(lang)
    if not version:
        return item
    out = dict(item)
    if version.get("name") and not hide_name:
        out["name"] = version["name"]
    if version.get("category") and not hide_name:
        out["category"] = version["category"]
    if version.get("description") and "description_html" in item:
        out["description_html"] = render_markdown(version["description"])
    if item.get("hints"):
        translated = version.get("hints", [])
        out["hints"] = [_hint_in(hint, translated[i] if i < len(translated) else {})
                        for i, hint in enumerate(item["hints"])]
    if item.get("rubric"):
        out["rubric"] = rubric_in(item["rubric"], translations, lang)
    return out


def rubric_in(rubric: list[dict[str, Any]], translations: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """A rubric's criteria and level descriptors in ``lang`` where the pack translates them."""
    translated = translations.get(lang, {}).get("rubric", [])
    out = []
    for index, criterion in enumerate(rubric):
        version = translated[index] if index < len(translated) else {}
        shown = dict(criterion, criterion=version.get("criterion") or criterion["criterion"])
        descriptors = version.get("levels", [])
        if "levels" in criterion:
            shown["levels"] = [dict(level, descriptor=descriptors[n] if n < len(descriptors) and descriptors[n]
                                    else level["descriptor"]) for n, level in enumerate(criterion["levels"])]
        out.append(shown)
    return out


def guide_in(guide: str, translations: dict[str, Any], lang: str) -> str:
    """The marking guide in ``lang`` if the pack translates it (Markdown, judges only)."""
    return translations.get(lang, {}).get("guide") or guide


def _hint_in(hint: dict[str, Any], version: dict[str, str]) -> dict[str, Any]:
    out = dict(hint)
    if version.get("title"):
        out["title"] = version["title"]
    if version.get("content") and hint.get("content") is not None:
        out["content"] = render_markdown(version["content"])
    return out


def drill_title(title: str, translations: dict[str, Any], lang: str) -> str:
    """The drill's title in ``lang``, from the translations of the pack that names the drill."""
    return translations.get(lang, {}).get("title") or title


def names_in(session: Session, lang: str) -> tuple[dict[str, str], dict[str, str]]:
    """Challenge names and categories as packs wrote them -> as ``lang`` reads them."""
    names: dict[str, str] = {}
    categories: dict[str, str] = {}
    for name, category, translations in session.execute(select(Challenge.name, Challenge.category, Challenge.translations)):
        version = translations.get(lang, {})
        names[name] = version.get("name") or name
        categories[category] = version.get("category") or categories.get(category, category)
    return names, categories


def challenge_names(session: Session, ids: list[int], lang: str) -> dict[int, str]:
    """The names in ``lang`` of the given (already public) challenges that have one."""
    rows = session.execute(select(Challenge.id, Challenge.translations).where(Challenge.id.in_(ids))) if ids else []
    return {cid: t[lang]["name"] for cid, t in rows if t.get(lang, {}).get("name")}
