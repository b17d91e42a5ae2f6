"""One ``challenge.yml`` (ctfcli's format and Drillboard's additions) into a ``ChallengeSpec``.

The reader never stops at the first mistake: every problem and warning goes to the findings
with its line. What ctfcli accepts loads with ctfcli's meaning; fields nobody reads are
warnings, so a pack of a real event loads while a typo still shows up.
"""
from __future__ import annotations

from typing import Any

from scoreboard.core.errors import N_, Invalid, Message
from scoreboard.packs import attachments, fields, translations, yamlfile
from scoreboard.packs.fields import MAX_INT
from scoreboard.packs.kinds import DYNAMIC_EXTRA, KIND_FIELDS, KINDS
from scoreboard.packs.problems import quoted, short, unknown
from scoreboard.packs.reader import FieldReader
from scoreboard.packs.spec import ChallengeSpec, HintSpec

CHALLENGE_FIELDS = {
    "id", "name", "author", "category", "description", "value", "type", "extra", "flags", "hints",
    "files", "tags", "topics", "requirements", "state", "attempts", "connection_info",
    "version", "attribution", "logic", "scheduled_at", "release_at", "release_after",
    "translations", "solution", "rubric", "deadline", "deadline_after", "phase", "late", "guide",
}
# ctfcli's deployment and linking fields: accepted so CTFd repositories import, then ignored.
IGNORED_FIELDS = {"image", "protocol", "host", "healthcheck", "module", "next"}
# A challenge file has at least one of these; a file of that name with none of them is some
# other tool's (DUCTF's challenge.yaml is a Kubernetes config) and is skipped, not refused.
CHALLENGE_MARKS = ("name", "flags", "value")


class ChallengeReader(FieldReader):
    """Validates one challenge.yml into the findings; ``plugin_type`` is set for a CTFd plugin type."""

    plugin_type: tuple[int, str] | None = None

    def read(self) -> ChallengeSpec | None:
        before = self.findings.problem_count
        data = yamlfile.load(self.path, self.rel, self.findings)
        if data is None:
            if self.findings.problem_count == before:
                self.problem(1, Message(N_("the file is empty; a challenge needs at least 'name', 'value' and 'flags'")))
            return None
        if not isinstance(data, dict):
            self.problem(1, Message(N_("a challenge.yml must be a mapping of fields")))
            return None
        if not any(key in data for key in CHALLENGE_MARKS):
            self.warn(1, Message(N_("not a ctfcli challenge (no 'name', 'flags' or 'value': another tool's file?); "
                                    "skipped")))
            return None
        self.data = data
        kind = data.get("type", "standard")
        if not isinstance(kind, str):
            self.problem(self.line("type"), Message(N_("'type' must be one of %(allowed)s"), allowed=quoted(KINDS)))
            kind = "standard"
        elif kind not in KINDS:
            self.plugin_type = (self.line("type"), kind)  # the folder reader words this problem
            return None
        self._fields(kind)
        name = self.checked("name", fields.text, 200, default="").strip()
        if not name:
            self.problem(1, Message(N_("missing 'name'")))
        spec = ChallengeSpec(name=name, source=self.rel, key=self.checked("id", _key),
                             lines={"name": self.line("name"), "requirements": self.line("requirements"),
                                    "phase": self.line("phase"), "id": self.line("id")})
        spec.category = self.checked("category", fields.text, 100, default="").strip() or "Misc"
        spec.author = self.checked("author", fields.text, 200, default="")
        spec.description = self.checked("description", fields.markdown, default="")
        spec.connection_info = self.checked("connection_info", fields.text) or None  # ctfcli writes ""
        spec.attribution = self.checked("attribution", fields.text) or None
        spec.version = self.checked("version", fields.text, 50)
        spec.state = self._choice("state", ("visible", "hidden"), "visible")
        spec.logic = self._choice("logic", ("any", "all", "team"), "any")
        spec.max_attempts = self.checked("attempts", fields.whole, default=0)
        self._kind(kind, spec)
        spec.hints = self._hints()
        spec.files = attachments.files(self)
        spec.solution = attachments.solution(self)
        spec.tags = self._words("tags")
        spec.topics = self._words("topics")
        self._requirements(spec)
        self._schedule(spec)
        spec.phase = self.checked("phase", fields.text, 100)
        spec.translations = self._translations(len(spec.hints), spec.rubric)
        return spec if name else None

    def _fields(self, kind: str) -> None:
        """Warn about fields nobody reads; a dynamic setting outside ``extra`` is a problem, since
        CTFd would ignore it and score with its defaults (decay 0: the value falls at once)."""
        for key in self.data:
            if key in DYNAMIC_EXTRA and key not in CHALLENGE_FIELDS:
                where = {"key": f"'{key}'", "field": key, "value": short(self.data[key])}
                extra = self.data.get("extra")
                if kind == "dynamic" and not (isinstance(extra, dict) and key in extra):
                    self.problem(self.line(key), Message(N_("%(key)s belongs under 'extra:' (extra: {%(field)s: "
                                                            "%(value)s}); move it there"), **where))
                else:
                    self.warn(self.line(key), Message(N_("%(key)s belongs under 'extra:' (extra: {%(field)s: "
                                                         "%(value)s}); move it there; ignored here"), **where))
            elif key not in CHALLENGE_FIELDS and key not in IGNORED_FIELDS:
                self.warn(self.line(key), unknown(key, CHALLENGE_FIELDS))
            elif KIND_FIELDS.get(key, kind) != kind:
                self.warn(self.line(key), Message(N_("%(key)s is read only when 'type' is %(kind)s; ignored"),
                                                  key=f"'{key}'", kind=f"'{KIND_FIELDS[key]}'"))

    def _kind(self, kind: str, spec: ChallengeSpec) -> None:
        """The fields only this ``type`` reads (value, flags, rubric...), through the kinds registry."""
        spec.scoring = "dynamic" if kind == "dynamic" else "standard"
        spec.kind = KINDS[kind].stored
        KINDS[kind].read(self, spec)

    def _choice(self, key: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.data.get(key, default)
        if value not in allowed:
            self.problem(self.line(key), Message(N_("%(key)s must be one of %(allowed)s, not %(value)s"), key=f"'{key}'",
                                                 allowed=quoted(allowed), value=short(value)))
            return default
        return value

    def _hints(self) -> list[HintSpec]:
        hints = self.get("hints", list, [])
        result: list[HintSpec] = []
        lines: list[int] = []
        for item, line in zip(hints, getattr(hints, "lines", []), strict=False):
            hint = self._hint(item, line)
            if hint:
                result.append(hint)
                lines.append(line)
        keys = [h.key for h in result if h.key is not None]
        for hint, line in zip(result, lines, strict=True):
            if hint.key is not None and keys.count(hint.key) > 1:
                self.problem(line, Message(N_("two hints have the key %(key)s"), key=short(hint.key)))
            for required in hint.requirements:
                if required == hint.key:
                    self.problem(line, Message(N_("a hint cannot require itself")))
                elif required not in keys:
                    self.problem(line, Message(N_("the hint requirement %(key)s names no hint 'key' of this challenge"),
                                              key=short(required)))
        if _has_cycle(result):
            self.problem(self.line("hints"), Message(N_("hint requirements go round in a circle: no team could "
                                                       "unlock them")))
        return result

    def _hint(self, item: Any, line: int) -> HintSpec | None:
        if not isinstance(item, (str, dict)) or isinstance(item, dict) and not isinstance(item.get("content"), str):
            self.problem(line, Message(N_("a hint must be text or a mapping with 'content' (and optional 'cost', "
                                          "'title', 'key', 'requirements')")))
            return None
        try:
            content = fields.markdown(item if isinstance(item, str) else item["content"], "hint")
        except Invalid as err:
            self.problem(line, err)
            return None
        if isinstance(item, str):
            return HintSpec(content)
        lines = getattr(item, "lines", {})
        for key in item:
            if key not in ("content", "cost", "title", "key", "requirements"):
                self.warn(lines.get(key, line), unknown(key, {"content", "cost", "title", "key", "requirements"},
                                                        "hint field"))
        hint = HintSpec(content)
        try:
            hint.cost = fields.whole(item.get("cost", 0), "cost")
            hint.title = fields.text(item["title"], "title", 200) if "title" in item else None
            hint.key = fields.text(item["key"], "key", 100) if "key" in item else None
        except Invalid as err:
            self.problem(line, err)
        required = item.get("requirements", [])
        if isinstance(required, (str, int)):
            required = [required]
        if not isinstance(required, list) or not all(isinstance(r, (str, int)) for r in required):
            self.problem(lines.get("requirements", line),
                         Message(N_("a hint's 'requirements' must be a list of other hints' keys")))
        else:
            hint.requirements = [str(r) for r in required]
        return hint

    def _words(self, key: str) -> list[str]:
        items = self.get(key, list, [])
        words = []
        for item, line in zip(items, getattr(items, "lines", []), strict=False):
            if isinstance(item, dict) and isinstance(item.get("value"), str):
                item = item["value"]
            if not isinstance(item, (str, int)) or isinstance(item, bool):
                self.problem(line, Message(N_("each item of %(key)s must be text"), key=f"'{key}'"))
                continue
            words.append(str(item))
        return words

    def _requirements(self, spec: ChallengeSpec) -> None:
        value = self.data.get("requirements", [])
        line = self.line("requirements")
        if isinstance(value, dict):
            for key in value:
                if key not in ("prerequisites", "anonymize"):
                    self.warn(line, unknown(key, ("prerequisites", "anonymize"), prefix="requirements."))
            spec.anonymize = bool(value.get("anonymize", False))
            value = value.get("prerequisites", [])
        if not isinstance(value, list):
            self.problem(line, Message(N_("'requirements' must be a list of challenge names or ids")))
            return
        for item in value:
            if isinstance(item, str) and item.strip():
                spec.requirements.append(item.strip())
            elif isinstance(item, int) and not isinstance(item, bool) and 0 < item <= MAX_INT:
                spec.requirements.append(item)  # a loaded challenge's id, resolved on apply
            else:
                self.problem(line, Message(N_("the requirement %(value)s must be a challenge name or id"),
                                          value=short(item)))

    def _schedule(self, spec: ChallengeSpec) -> None:
        keys = [k for k in ("release_at", "scheduled_at", "release_after") if k in self.data]
        if len(keys) > 1:
            self.problem(self.line(keys[1]), Message(N_("use only one of %(keys)s"), keys=quoted(keys)))
        for key in keys[:1]:
            if key == "release_after":
                spec.release_after = self.checked(key, fields.duration)
            else:
                spec.release_at = self.checked(key, fields.moment)

    def _translations(self, hint_count: int, rubric: list[dict[str, Any]]) -> dict[str, Any]:
        if self.data.get("translations") is None:
            return {}
        found, problems = translations.check(self.data["translations"], self.line("translations"),
                                          translations.CHALLENGE_KEYS, hint_count, rubric)
        for line, message in problems:
            self.problem(line, message)
        return found


def _key(value: Any, key: str) -> str:
    """challenge.yml's ``id:``: text or a number, kept as text (it is compared, never counted)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        raise Invalid(N_("%(key)s must be text or a whole number that stays the same across versions, not %(value)s"),
                      key=f"'{key}'", value=short(value))
    return fields.text(value, key, 100).strip()


def _has_cycle(hints: list[HintSpec]) -> bool:
    """Whether some keyed hints require each other in a circle (so none of them could open)."""
    needs = {h.key: set(h.requirements) for h in hints if h.key is not None}
    needs = {key: (required & needs.keys()) - {key} for key, required in needs.items()}
    done: set[str] = set()
    while ready := {key for key, required in needs.items() if key not in done and required <= done}:
        done |= ready
    return len(done) < len(needs)
