"""The viewer's language and time zone at the web edge: locale choice, country and zone names.

Interface text lives in ``scoreboard/translations`` (Flask-Babel catalogs, see docs/i18n.md);
pack text in other languages is the pack's own business (``packs.translations``).
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import get_timezone_location
from flask import Flask, request, session
from flask_babel import get_locale, get_translations, pgettext
from flask_babel import gettext as _
from markupsafe import Markup

from scoreboard.core.errors import Message
from scoreboard.core.names import COUNTRIES

LANGUAGES = ("en", "ru", "zh")
# What <html lang> says: Chinese here is always Simplified.
HTML_LANG = {"en": "en", "ru": "ru", "zh": "zh-Hans"}
# Each language named in itself, so a reader finds their own whatever the page shows.
ENDONYMS = {"en": "English", "ru": "Русский", "zh": "中文"}


def select_locale() -> str:
    """The picker's choice (kept in the session), else the browser's Accept-Language, else English."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "en"


def language() -> str:
    return str(get_locale() or "en")


@lru_cache(maxsize=len(LANGUAGES))
def country_names(lang: str) -> dict[str, str]:
    """Every country code we accept, named in ``lang`` (Babel's CLDR territory names)."""
    territories = Locale.parse(lang).territories
    return {code: territories.get(code, name) for code, name in COUNTRIES.items()}


def country_name(code: str) -> str:
    return country_names(language()).get((code or "").upper(), code)


def zone_name(zone: str) -> str:
    """A time zone as people say it: its city in the viewer's language (Алматы, 阿拉木图)."""
    if zone == "UTC":
        return "UTC"
    return get_timezone_location(zone, locale=language(), return_city=True)


def time_tag(value: datetime | str | None, style: str = "datetime") -> Markup | str:
    """A ``<time>`` that JavaScript shows in the viewer's zone; without JavaScript it reads in UTC."""
    if not value:
        return "–"
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    when = when.astimezone(timezone.utc)
    text = when.strftime("%H:%M:%S UTC" if style == "time" else "%Y-%m-%d %H:%M UTC")
    return Markup('<time datetime="{}" data-style="{}">{}</time>').format(when.isoformat(), style, text)


def zone_now(zone: str, now: datetime | None = None) -> str:
    """The time now in the drill's home zone, for pages read without JavaScript."""
    return (now or datetime.now(timezone.utc)).astimezone(ZoneInfo(zone)).strftime("%H:%M")


def said(message: Message | Exception) -> str:
    """What the domain said (a refusal, a pack problem, a partial answer) in the reader's language."""
    return message.text(get_translations()) if isinstance(message, Message) else str(message)


def phase_label(phase: str) -> str:
    return {"not_started": _("not started"), "running": _("running"), "paused": _("paused"),
            "ended": _("ended")}.get(phase, phase)


def verdict_label(verdict: str) -> str:
    return {"correct": pgettext("verdict", "correct"), "incorrect": pgettext("verdict", "incorrect"),
            "already_solved": pgettext("verdict", "already solved")}.get(verdict, verdict)


def duration(seconds: int) -> str:
    """A span of time as H:MM:SS (an outage's length): the same digits in every language."""
    seconds = max(0, int(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _globals() -> dict[str, Any]:
    lang = language()
    return {"LANGUAGES": LANGUAGES, "ENDONYMS": ENDONYMS, "lang": lang, "html_lang": HTML_LANG.get(lang, lang),
            "countries": country_names(lang)}


def init_app(app: Flask) -> None:
    app.context_processor(_globals)
    app.add_template_filter(country_name, "country")
    app.add_template_filter(time_tag, "when")
    app.add_template_filter(zone_name, "zone")
    app.add_template_filter(zone_now, "zone_now")
    app.add_template_filter(phase_label, "phase")
    app.add_template_filter(verdict_label, "verdict")
    app.add_template_filter(said, "said")
    app.add_template_filter(duration, "duration")
