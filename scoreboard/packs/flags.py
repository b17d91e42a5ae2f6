"""Reading a challenge's ``flags``: static, regex and Drillboard's investigation answer types."""
from __future__ import annotations

from typing import Any

from scoreboard.core import answers
from scoreboard.core.errors import N_, Invalid, Message
from scoreboard.packs import fields
from scoreboard.packs.problems import quoted, short, unknown
from scoreboard.packs.reader import FieldReader
from scoreboard.packs.spec import AnswerSpec
from scoreboard.packs.yamlfile import LineList


def read(reader: FieldReader) -> list[AnswerSpec]:
    """The ``flags`` field: each flag checked against its answer type."""
    flags = reader.data.get("flags")
    if flags is None or flags == []:
        reader.warn(1, Message(N_("no 'flags': the challenge loads, but no answer can solve it until a flag is "
                                  "added")))
        return []
    if isinstance(flags, (str, int, dict)):
        flags = LineList([flags])
        flags.lines = [reader.line("flags")]
    if not isinstance(flags, list):
        reader.problem(reader.line("flags"), Message(N_("'flags' must be a list")))
        return []
    found = (_answer(reader, item, line) for item, line in zip(flags, flags.lines, strict=True))
    return [answer for answer in found if answer]

def _answer(reader: FieldReader, item: Any, line: int) -> AnswerSpec | None:
    if isinstance(item, (str, int)) and not isinstance(item, bool):
        item = {"type": "static", "content": item}
    if not isinstance(item, dict):
        reader.problem(line, Message(N_("a flag must be text or a mapping, not %(value)s"), value=fields.shown(item)))
        return None
    kind = item.get("type", "static")
    answer_type = answers.TYPES.get(kind) if isinstance(kind, str) else None
    if answer_type is None:
        reader.problem(line, Message(N_("unknown flag type %(kind)s (use one of %(allowed)s)"), kind=short(kind),
                                     allowed=quoted(answers.TYPES)))
        return None
    lines = getattr(item, "lines", {})
    for key in item:
        if key in ("type", "content", "data") or key in answer_type.fields:
            continue
        if any(key in other.fields for other in answers.TYPES.values()):
            reader.problem(lines.get(key, line), Message(N_("%(key)s does not apply to flags of type %(kind)s"),
                                                         key=f"'{key}'", kind=f"'{kind}'"))
        else:
            reader.warn(lines.get(key, line), unknown(key, {"type", "content", "data"}, "flag field"))
    data = item.get("data", "")
    if data not in ("", "case_insensitive", "case_sensitive"):
        reader.problem(line, Message(N_("a flag's 'data' must be 'case_insensitive' or 'case_sensitive', not "
                                        "%(value)s"), value=short(data)))
    content = item.get("content")
    if content is None or content == "" or content == []:
        reader.problem(line, Message(N_("a flag of type %(kind)s has no 'content'"), kind=f"'{kind}'"))
        return None
    try:
        content, options = answer_type.parse(content, item)
    except Invalid as err:
        reader.problem(line, Message(N_("a flag of type %(kind)s: %(problem)s"), kind=f"'{kind}'", problem=err))
        return None
    return AnswerSpec(kind, content, options)
