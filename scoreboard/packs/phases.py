"""pack.yml's ``phases``: the exercise's phases, each checked with its own line for ``file:line``.

``phases: [{id, title, description, opens_at | opens_after, translations}]``: a phase opens at a
fixed time, some time after the drill starts, or (neither) when an organizer opens it. A
challenge's ``phase: ID`` must name one of them (checked with the whole pack in ``folder``).
"""
from __future__ import annotations

import re
from typing import Any

from scoreboard.core.errors import N_, Invalid, Message
from scoreboard.packs import fields, translations
from scoreboard.packs.problems import Findings, short, unknown
from scoreboard.packs.spec import PhaseSpec

PHASE_FIELDS = ("id", "title", "description", "opens_at", "opens_after", "translations")
PHASE_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")
MAX_PHASES = 50
_IN_PHASE = N_("the phase %(phase)s: %(problem)s")


def read(value: Any, line: int, findings: Findings) -> list[PhaseSpec]:
    """Every valid phase of ``phases``; each problem goes to ``findings`` against pack.yml."""
    if not isinstance(value, list):
        findings.problem("pack.yml", line, Message(N_("'phases' must be a list of {id, title, opens_at | opens_after}")))
        return []
    if len(value) > MAX_PHASES:
        findings.problem("pack.yml", line, Message(N_("'phases' lists too many phases (%(count)s; at most %(max)s)"),
                                                   count=len(value), max=MAX_PHASES))
        return []
    found: list[PhaseSpec] = []
    for item, item_line in zip(value, getattr(value, "lines", [line] * len(value)), strict=False):
        phase = _phase(item, item_line, findings)
        if phase is None:
            continue
        twin = next((p for p in found if p.id == phase.id), None)
        if twin is not None:
            findings.problem("pack.yml", item_line, Message(N_("two phases have the id %(id)s (also on line %(line)s)"),
                                                            id=short(phase.id), line=twin.line))
            continue
        found.append(phase)
    return found


def _phase(item: Any, line: int, findings: Findings) -> PhaseSpec | None:
    if not isinstance(item, dict):
        findings.problem("pack.yml", line, Message(N_("each phase must be a mapping with 'id' and 'title'")))
        return None
    lines = getattr(item, "lines", {})
    for key in item:
        if key not in PHASE_FIELDS:
            findings.warn("pack.yml", lines.get(key, line), unknown(key, PHASE_FIELDS, "phase field"))
    phase_id = item.get("id")
    if not isinstance(phase_id, str) or not PHASE_ID.fullmatch(phase_id):
        findings.problem("pack.yml", lines.get("id", line),
                         Message(N_("a phase's 'id' must be lowercase letters, digits, - or _ (at most 100), not "
                                    "%(value)s"), value=fields.shown(phase_id)))
        return None
    try:
        title = fields.text(item.get("title", ""), "title", 200).strip()
        description = fields.text(item.get("description", ""), "description")
    except Invalid as err:
        findings.problem("pack.yml", line, Message(_IN_PHASE, phase=short(phase_id), problem=err))
        return None
    if not title:
        findings.problem("pack.yml", line, Message(N_("the phase %(phase)s needs a 'title'"), phase=short(phase_id)))
        return None
    phase = PhaseSpec(phase_id, title, description, line=line)
    if "opens_at" in item and "opens_after" in item:
        findings.problem("pack.yml", lines["opens_after"], Message(N_("the phase %(phase)s: use only one of 'opens_at', "
                                                                    "'opens_after'"), phase=short(phase_id)))
        return None
    try:
        if "opens_at" in item:
            phase.opens_at = fields.moment(item["opens_at"], "opens_at")
        elif "opens_after" in item:
            phase.opens_after = fields.duration(item["opens_after"], "opens_after")
    except Invalid as err:
        findings.problem("pack.yml", lines.get("opens_at", lines.get("opens_after", line)),
                         Message(_IN_PHASE, phase=short(phase_id), problem=err))
        return None
    if "translations" in item:
        phase.translations, problems = translations.check(item["translations"], lines["translations"],
                                                          translations.PHASE_KEYS)
        for problem_line, message in problems:
            findings.problem("pack.yml", problem_line, message)
    return phase
