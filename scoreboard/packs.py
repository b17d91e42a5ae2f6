"""Reading challenge packs: a folder or zip of ``challenge.yml`` files (a superset of ctfcli's).

Loading is two steps. ``read_pack`` validates everything and returns either a ``PackSpec`` or
every problem found, as ``file:line: message``; it touches no database. ``apply_pack`` then
writes the spec in one transaction, updating challenges in place (matched by name) so
submissions and solves survive a reload. No Flask here.
"""
from __future__ import annotations

import difflib
import hashlib
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import archives, clock, events, grading, pack_text
from .models import Answer, Challenge, Drill, File, Hint, Pack, PackLoad, utcnow

MAX_YAML_BYTES = 1024 * 1024
MAX_FILE_BYTES = 100 * 1024 * 1024

CHALLENGE_FIELDS = {
    "name", "author", "category", "description", "value", "type", "extra", "flags", "hints",
    "files", "tags", "topics", "requirements", "state", "attempts", "connection_info",
    "version", "attribution", "logic", "scheduled_at", "release_at", "release_after",
    "translations", "solution",
}
# ctfcli's deployment and linking fields: accepted so CTFd repositories import, then ignored.
IGNORED_FIELDS = {"image", "protocol", "host", "healthcheck", "module", "next"}
PACK_FIELDS = {"id", "title", "description", "starts_at", "ends_at", "freeze_at", "first_blood_bonus", "timezone",
               "translations"}


class PackError(Exception):
    """A pack that cannot be loaded; ``problems`` holds every ``file:line: message``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# --- YAML with line numbers -------------------------------------------------------------


class _LineDict(dict):
    lines: dict[Any, int]
    line: int


class _LineList(list):
    lines: list[int]
    line: int


class _Loader(yaml.SafeLoader):
    """SafeLoader that remembers the line of every key and item and keeps dates as text."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _LineDict:
    result = _LineDict()
    result.lines = {}
    result.line = node.start_mark.line + 1
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise yaml.MarkedYAMLError(problem=f"key {key!r} is not text", problem_mark=key_node.start_mark)
        if key in result:
            raise yaml.MarkedYAMLError(problem=f"'{key}' appears twice (also on line {result.lines[key]})",
                                       problem_mark=key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> _LineList:
    result = _LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.lines = [child.start_mark.line + 1 for child in node.value]
    result.line = node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


# --- what a valid pack becomes ----------------------------------------------------------


@dataclass
class AnswerSpec:
    type: str
    content: Any
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class HintSpec:
    content: str
    cost: int = 0
    title: str | None = None


@dataclass
class FileSpec:
    name: str
    path: Path
    sha256: str
    size: int


@dataclass
class ChallengeSpec:
    name: str
    source: str
    category: str = "Misc"
    author: str = ""
    description: str = ""
    scoring: str = "standard"
    value: int = 0
    initial: int | None = None
    decay: int | None = None
    minimum: int | None = None
    function: str = "logarithmic"
    answers: list[AnswerSpec] = field(default_factory=list)
    hints: list[HintSpec] = field(default_factory=list)
    files: list[FileSpec] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)
    anonymize: bool = False
    state: str = "visible"
    max_attempts: int = 0
    logic: str = "any"
    connection_info: str | None = None
    version: str | None = None
    attribution: str | None = None
    release_at: datetime | None = None
    release_after: int | None = None
    translations: dict[str, Any] = field(default_factory=dict)
    solution: str | None = None
    # Where 'name' and 'requirements' stand in the file, for cross-challenge problems.
    lines: dict[str, int] = field(default_factory=dict)

    def fingerprint(self) -> dict[str, Any]:
        """Everything that, when it differs from the database, makes this a change."""
        data = asdict(self)
        data["files"] = [(f.name, f.sha256) for f in self.files]
        data.pop("source")
        data.pop("lines")
        return data


@dataclass
class PackSpec:
    id: str
    title: str
    description: str
    root: Path
    digest: str
    challenges: list[ChallengeSpec]
    settings: dict[str, Any]
    translations: dict[str, Any] = field(default_factory=dict)


# --- reading ----------------------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, file: str, line: int, message: str) -> None:
        self.items.append(f"{file}:{line}: {message}")


def _type_name(value: Any) -> str:
    for kind, words in ((bool, "true/false"), (int, "a whole number"), (float, "a number"),
                        (str, "text"), (list, "a list"), (dict, "a mapping")):
        if isinstance(value, kind):
            return words
    return "empty" if value is None else type(value).__name__


class _ChallengeReader:
    """Validates one challenge.yml; appends problems instead of stopping at the first."""

    def __init__(self, root: Path, path: Path, problems: _Problems) -> None:
        self.root, self.path, self.problems = root, path, problems
        self.rel = path.relative_to(root).as_posix()
        self.data: _LineDict = _LineDict()

    def problem(self, line: int, message: str) -> None:
        self.problems.add(self.rel, line, message)

    def line(self, key: str) -> int:
        return self.data.lines.get(key, 1) if hasattr(self.data, "lines") else 1

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        value = self.data.get(key, default)
        if value is default:
            return default
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            self.problem(self.line(key), f"'{key}' must be a whole number, not {value!r}")
            return default
        if not isinstance(value, kind):
            expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.problem(self.line(key), f"'{key}' must be {_kind_words(expected)}, not {_type_name(value)}")
            return default
        return value

    def read(self) -> ChallengeSpec | None:
        before = len(self.problems.items)
        data = _load_yaml(self.path, self.rel, self.problems)
        if data is None:
            if len(self.problems.items) == before:
                self.problem(1, "the file is empty; a challenge needs at least name, value and flags")
            return None
        if not isinstance(data, dict):
            self.problem(1, "a challenge.yml must be a mapping of fields")
            return None
        self.data = data
        for key in data:
            if key not in CHALLENGE_FIELDS and key not in IGNORED_FIELDS:
                close = difflib.get_close_matches(key, CHALLENGE_FIELDS, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                self.problem(self.line(key), f"unknown field '{key}'{hint}")
        name = self.get("name", str)
        if not name or not name.strip():
            self.problem(1, "missing 'name'")
            name = None
        spec = ChallengeSpec(name=(name or "").strip(), source=self.rel,
                             lines={"name": self.line("name"), "requirements": self.line("requirements")})
        spec.category = (self.get("category", str) or "Misc").strip() or "Misc"
        spec.author = self.get("author", str) or ""
        spec.description = self.get("description", str) or ""
        spec.connection_info = self.get("connection_info", str)
        spec.attribution = self.get("attribution", str)
        spec.solution = self.get("solution", str)
        version = self.get("version", (str, int, float))
        spec.version = None if version is None else str(version)
        spec.state = self._choice("state", ("visible", "hidden"), "visible")
        spec.logic = self._choice("logic", ("any", "all"), "any")
        attempts = self.get("attempts", int, 0)
        if attempts < 0:
            self.problem(self.line("attempts"), "'attempts' must be 0 (unlimited) or more")
        spec.max_attempts = max(attempts, 0)
        self._scoring(spec)
        spec.answers = self._answers()
        spec.hints = self._hints()
        spec.files = self._files()
        spec.tags = self._words("tags")
        spec.topics = self._words("topics")
        self._requirements(spec)
        self._schedule(spec)
        spec.translations = self._translations(len(spec.hints))
        return spec if name else None

    def _choice(self, key: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.get(key, str, default)
        if value not in allowed:
            self.problem(self.line(key), f"'{key}' must be one of {', '.join(allowed)}, not {value!r}")
            return default
        return value

    def _scoring(self, spec: ChallengeSpec) -> None:
        spec.scoring = self._choice("type", ("standard", "dynamic"), "standard")
        value = self.get("value", int)
        extra = self.get("extra", dict, _LineDict())
        if spec.scoring == "standard":
            if value is None and "value" not in self.data:
                self.problem(1, "missing 'value' (the points for solving)")
            spec.value = max(value or 0, 0)
            if value is not None and value < 0:
                self.problem(self.line("value"), "'value' must not be negative")
            return
        lines = getattr(extra, "lines", {})
        for key in extra:
            if key not in ("initial", "decay", "minimum", "function"):
                self.problem(lines.get(key, self.line("extra")), f"unknown field 'extra.{key}'")
        numbers = {}
        for key in ("initial", "decay", "minimum"):
            got = extra.get(key, self.data.get(key))
            if got is None:
                self.problem(self.line("extra") if "extra" in self.data else self.line("type"),
                             f"a dynamic challenge needs 'extra.{key}'")
            elif isinstance(got, bool) or not isinstance(got, int) or got < 0:
                self.problem(lines.get(key, self.line("extra")), f"'extra.{key}' must be a whole number ≥ 0")
            else:
                numbers[key] = got
        function = extra.get("function", "logarithmic")
        if function not in ("logarithmic", "linear"):
            self.problem(lines.get("function", self.line("extra")),
                         f"'extra.function' must be logarithmic or linear, not {function!r}")
            function = "logarithmic"
        if len(numbers) == 3:
            if numbers["minimum"] > numbers["initial"]:
                self.problem(self.line("extra"), "'extra.minimum' must not exceed 'extra.initial'")
            if numbers["decay"] == 0 and function == "logarithmic":
                self.problem(lines.get("decay", self.line("extra")), "'extra.decay' must be at least 1")
        spec.initial, spec.decay, spec.minimum = (numbers.get(k) for k in ("initial", "decay", "minimum"))
        spec.function = function
        spec.value = spec.initial or 0

    def _answers(self) -> list[AnswerSpec]:
        flags = self.data.get("flags")
        if flags is None:
            self.problem(1, "missing 'flags': a challenge needs at least one accepted answer")
            return []
        if isinstance(flags, (str, dict)):
            flags = _LineList([flags])
            flags.lines = [self.line("flags")]
        if not isinstance(flags, list) or not flags:
            self.problem(self.line("flags"), "'flags' must be a non-empty list")
            return []
        answers = []
        for item, line in zip(flags, getattr(flags, "lines", [self.line("flags")] * len(flags)), strict=False):
            answer = self._answer(item, line)
            if answer:
                answers.append(answer)
        return answers

    def _answer(self, item: Any, line: int) -> AnswerSpec | None:
        if isinstance(item, str):
            item = {"type": "static", "content": item}
        if not isinstance(item, dict):
            self.problem(line, f"a flag must be text or a mapping, not {_type_name(item)}")
            return None
        for key in item:
            if key not in ("type", "content", "data", "tolerance"):
                self.problem(item.lines.get(key, line) if hasattr(item, "lines") else line, f"unknown flag field '{key}'")
        kind = item.get("type", "static")
        content = item.get("content")
        data = item.get("data") or ""
        if kind not in grading.TYPES:
            self.problem(line, f"unknown flag type {kind!r} (use one of {', '.join(grading.TYPES)})")
            return None
        if content is None or content == "" or content == []:
            self.problem(line, f"{kind} flag has no 'content'")
            return None
        if data not in ("", "case_insensitive", "case_sensitive"):
            self.problem(line, f"flag 'data' must be case_insensitive or case_sensitive, not {data!r}")
        options: dict[str, Any] = {"case_insensitive": data == "case_insensitive"} if data == "case_insensitive" else {}
        try:
            content = self._check_answer(kind, content, item, options)
        except ValueError as err:
            self.problem(line, f"{kind} flag: {err}")
            return None
        return AnswerSpec(kind, content, options)

    @staticmethod
    def _check_answer(kind: str, content: Any, item: dict, options: dict[str, Any]) -> Any:
        if kind == "set":
            if isinstance(content, str):
                content = [part.strip() for part in content.split(",")]
            if not isinstance(content, list) or not all(isinstance(c, (str, int)) for c in content):
                raise ValueError("'content' must be a list of items")
            items = [str(c).strip() for c in content]
            if any(not item or re.search(r"[,;\n]", item) for item in items):
                raise ValueError("set items must be non-empty and contain no ',', ';' or line breaks "
                                 "(answers list their items separated by those)")
            return items
        if kind == "number":
            if isinstance(content, bool) or not isinstance(content, (int, float, str)) or not grading.check("number", content, str(content)):
                raise ValueError(f"'content' must be a number, not {content!r}")
            tolerance = item.get("tolerance", 0)
            if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or tolerance < 0:
                raise ValueError("'tolerance' must be a number ≥ 0")
            options["tolerance"] = tolerance
            return str(content)
        if "tolerance" in item:
            raise ValueError("'tolerance' only applies to number flags")
        if not isinstance(content, (str, int)) or isinstance(content, bool):
            raise ValueError(f"'content' must be text, not {_type_name(content)}")
        # Answers are stripped before grading, so a flag keeps no surrounding white space either
        # (a YAML block scalar would otherwise end in a newline nobody can type).
        content = str(content).strip()
        if not content:
            raise ValueError("'content' is empty")
        if kind == "regex":
            try:
                grading.compiled(content, bool(options.get("case_insensitive")))
            except (re.error, ValueError) as err:
                raise ValueError(f"bad regular expression: {err}") from None
        elif kind == "ip" and not grading.check("ip", content, content):
            raise ValueError(f"{content!r} is not an IPv4 or IPv6 address")
        elif kind == "hash":
            if not re.fullmatch(r"(0x)?[0-9a-fA-F]+", content):
                raise ValueError(f"{content!r} is not a hexadecimal hash")
            content = content.lower().removeprefix("0x")
        return content

    def _hints(self) -> list[HintSpec]:
        hints = self.get("hints", list, [])
        result = []
        for item, line in zip(hints, getattr(hints, "lines", []), strict=False):
            if isinstance(item, str):
                result.append(HintSpec(item))
            elif isinstance(item, dict) and isinstance(item.get("content"), str):
                for key in item:
                    if key not in ("content", "cost", "title"):
                        self.problem(item.lines.get(key, line), f"unknown hint field '{key}'")
                cost = item.get("cost", 0)
                if isinstance(cost, bool) or not isinstance(cost, int) or cost < 0:
                    self.problem(line, "hint 'cost' must be a whole number ≥ 0")
                    cost = 0
                title = item.get("title")
                result.append(HintSpec(item["content"], cost, str(title) if title else None))
            else:
                self.problem(line, "a hint must be text or a mapping with 'content' (and optional 'cost', 'title')")
        return result

    def _files(self) -> list[FileSpec]:
        files = self.get("files", list, [])
        result = []
        seen = set()
        for item, line in zip(files, getattr(files, "lines", []), strict=False):
            if not isinstance(item, str) or not item.strip():
                self.problem(line, "a file entry must be a path relative to the challenge folder")
                continue
            target = (self.path.parent / item).resolve()
            if not target.is_relative_to(self.root.resolve()):
                self.problem(line, f"file {item!r} points outside the pack")
                continue
            if not target.is_file():
                self.problem(line, f"file {item!r} not found")
                continue
            size = target.stat().st_size
            if size > MAX_FILE_BYTES:
                self.problem(line, f"file {item!r} is larger than {MAX_FILE_BYTES // 2**20} MB")
                continue
            name = PurePosixPath(item).name
            if name in seen:
                self.problem(line, f"two files are named {name!r}")
                continue
            seen.add(name)
            result.append(FileSpec(name, target, _sha256(target), size))
        return result

    def _words(self, key: str) -> list[str]:
        items = self.get(key, list, [])
        words = []
        for item, line in zip(items, getattr(items, "lines", []), strict=False):
            if isinstance(item, dict) and isinstance(item.get("value"), str):
                item = item["value"]
            if not isinstance(item, (str, int)) or isinstance(item, bool):
                self.problem(line, f"each of '{key}' must be text")
                continue
            words.append(str(item))
        return words

    def _requirements(self, spec: ChallengeSpec) -> None:
        value = self.data.get("requirements", [])
        line = self.line("requirements")
        if isinstance(value, dict):
            for key in value:
                if key not in ("prerequisites", "anonymize"):
                    self.problem(line, f"unknown field 'requirements.{key}'")
            spec.anonymize = bool(value.get("anonymize", False))
            value = value.get("prerequisites", [])
        if not isinstance(value, list):
            self.problem(line, "'requirements' must be a list of challenge names")
            return
        for item in value:
            if not isinstance(item, str):
                self.problem(line, f"requirement {item!r} must be a challenge name")
            else:
                spec.requirements.append(item.strip())

    def _schedule(self, spec: ChallengeSpec) -> None:
        keys = [k for k in ("release_at", "scheduled_at", "release_after") if k in self.data]
        if len(keys) > 1:
            self.problem(self.line(keys[1]), f"use only one of {', '.join(keys)}")
        for key in keys[:1]:
            try:
                if key == "release_after":
                    spec.release_after = clock.parse_duration(self.data[key])
                else:
                    spec.release_at = clock.parse_time(str(self.data[key]))
            except ValueError as err:
                self.problem(self.line(key), f"'{key}': {err}")

    def _translations(self, hint_count: int) -> dict[str, Any]:
        if self.data.get("translations") is None:
            return {}
        found, problems = pack_text.check(self.data["translations"], self.line("translations"),
                                          pack_text.CHALLENGE_KEYS, hint_count)
        for line, message in problems:
            self.problem(line, message)
        return found


def _kind_words(name: str) -> str:
    return {"str": "text", "list": "a list", "dict": "a mapping", "int": "a whole number"}.get(name, name)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _load_yaml(path: Path, rel: str, problems: _Problems) -> Any:
    if path.stat().st_size > MAX_YAML_BYTES:
        problems.add(rel, 1, "file is larger than 1 MB")
        return None
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (safe subclass)
    except UnicodeDecodeError:
        problems.add(rel, 1, "file is not UTF-8 text")
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problems.add(rel, (mark.line + 1) if mark else 1, f"YAML syntax: {err.problem or err}")
    except yaml.YAMLError as err:
        problems.add(rel, 1, f"YAML syntax: {err}")
    return None


def _read_pack_yml(root: Path, problems: _Problems) -> dict[str, Any]:
    path = root / "pack.yml"
    settings: dict[str, Any] = {"id": _slug(root.name), "title": root.name, "description": ""}
    if not path.is_file():
        return settings
    data = _load_yaml(path, "pack.yml", problems)
    if data is None:
        return settings
    if not isinstance(data, dict):
        problems.add("pack.yml", 1, "pack.yml must be a mapping of fields")
        return settings
    for key, value in data.items():
        line = data.lines[key]
        if key not in PACK_FIELDS:
            problems.add("pack.yml", line, f"unknown field '{key}'")
        elif key == "id":
            if not isinstance(value, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,99}", value):
                problems.add("pack.yml", line, "'id' must be lowercase letters, digits, - or _")
            else:
                settings["id"] = value
        elif key in ("title", "description"):
            if not isinstance(value, str):
                problems.add("pack.yml", line, f"'{key}' must be text")
            else:
                settings[key] = value
        elif key == "timezone":
            try:
                settings["home_timezone"] = clock.parse_zone(value)
            except ValueError as err:
                problems.add("pack.yml", line, f"'timezone': {err}")
        elif key == "translations":
            settings["translations"], found = pack_text.check(value, line, pack_text.PACK_KEYS)
            for problem_line, message in found:
                problems.add("pack.yml", problem_line, message)
        elif key == "first_blood_bonus":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                problems.add("pack.yml", line, "'first_blood_bonus' must be a whole number ≥ 0")
            else:
                settings[key] = value
        else:
            try:
                settings[key] = clock.parse_time(str(value))
            except ValueError as err:
                problems.add("pack.yml", line, f"'{key}': {err}")
    start, end, freeze = (settings.get(k) for k in ("starts_at", "ends_at", "freeze_at"))
    if start and end and end <= start:
        problems.add("pack.yml", data.lines.get("ends_at", 1), "'ends_at' must be after 'starts_at'")
    if freeze and ((start and freeze < start) or (end and freeze > end)):
        problems.add("pack.yml", data.lines.get("freeze_at", 1), "'freeze_at' must lie between 'starts_at' and 'ends_at'")
    return settings


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-")[:100] or "pack"


def _challenge_files(root: Path) -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(folder) / f for f in sorted(files) if f in ("challenge.yml", "challenge.yaml"))
    return found


def read_folder(root: Path) -> PackSpec:
    """Validate a pack folder; raise PackError with every problem, or return the spec."""
    root = Path(root)
    if not root.is_dir():
        raise PackError([f"{root}:0: not a folder or .zip file"])
    problems = _Problems()
    settings = _read_pack_yml(root, problems)
    challenges = []
    paths = _challenge_files(root)
    if not paths:
        problems.add(".", 0, "no challenge.yml found anywhere in the pack")
    for path in paths:
        spec = _ChallengeReader(root, path, problems).read()
        if spec:
            challenges.append(spec)
    names: dict[str, str] = {}
    for spec in challenges:
        if spec.name in names:
            problems.add(spec.source, spec.lines["name"], f"duplicate name {spec.name!r} (also in {names[spec.name]})")
        names.setdefault(spec.name, spec.source)
    for spec in challenges:
        for required in spec.requirements:
            if required not in names:
                problems.add(spec.source, spec.lines["requirements"], f"requirement {required!r} names no challenge in this pack")
            elif required == spec.name:
                problems.add(spec.source, spec.lines["requirements"], "a challenge cannot require itself")
    if problems.items:
        raise PackError(problems.items)
    digest = hashlib.sha256(repr(sorted((c.name, c.fingerprint().__repr__()) for c in challenges)).encode())
    digest.update(repr(sorted((k, str(v)) for k, v in settings.items())).encode())
    translations = settings.pop("translations", {})
    return PackSpec(settings.pop("id"), settings.pop("title"), settings.pop("description"), root,
                    digest.hexdigest(), challenges, settings, translations)


@contextmanager
def opened(path: Path, max_unpacked: int = 200 * 1024 * 1024) -> Iterator[Path]:
    """Yield a folder for ``path``: the folder itself, or a checked extraction of a zip."""
    path = Path(path)
    if path.is_dir():
        yield path
        return
    if not path.is_file() or not zipfile.is_zipfile(path):
        raise PackError([f"{path.name}:0: not a pack folder or a .zip file"])
    with zipfile.ZipFile(path) as archive, tempfile.TemporaryDirectory(prefix="drillpack-") as tmp:
        problems = archives.problems(archive, path.name, max_unpacked)
        if problems:
            raise PackError(problems)
        target = Path(tmp) / "pack"
        archives.extract(archive, target)
        entries = [p for p in target.iterdir() if not p.name.startswith(("__MACOSX", "."))] if target.exists() else []
        root = entries[0] if len(entries) == 1 and entries[0].is_dir() and not (target / "pack.yml").exists() else target
        if root is target:
            root = target.rename(Path(tmp) / _slug(path.stem))
        yield root


# --- writing ----------------------------------------------------------------------------


@dataclass
class PackDiff:
    pack_id: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        out = [f"pack {self.pack_id}:"]
        out += [f"  + {name}" for name in self.added]
        out += [f"  ~ {name}" for name in self.changed]
        out += [f"  - {name}" for name in self.removed]
        out.append(f"  {len(self.added)} added, {len(self.changed)} changed, "
                   f"{len(self.removed)} removed, {len(self.unchanged)} unchanged")
        return out


def _stored_fingerprint(challenge: Challenge) -> dict[str, Any]:
    spec = ChallengeSpec(
        name=challenge.name, source="", category=challenge.category, author=challenge.author,
        description=challenge.description, scoring=challenge.scoring, value=challenge.value,
        initial=challenge.initial, decay=challenge.decay, minimum=challenge.minimum,
        function=challenge.function,
        answers=[AnswerSpec(a.type, a.content, a.options) for a in challenge.answers],
        hints=[HintSpec(h.content, h.cost, h.title) for h in challenge.hints if not h.removed],
        tags=list(challenge.tags), topics=list(challenge.topics),
        requirements=list(challenge.requirements), anonymize=challenge.anonymize,
        state=challenge.state, max_attempts=challenge.max_attempts, logic=challenge.logic,
        connection_info=challenge.connection_info, version=challenge.version,
        attribution=challenge.attribution, release_at=challenge.release_at,
        release_after=challenge.release_after, translations=dict(challenge.translations),
        solution=challenge.solution,
    )
    data = spec.fingerprint()
    data["files"] = [(f.name, f.sha256) for f in challenge.files]
    return data


def diff_pack(session: Session, spec: PackSpec) -> PackDiff:
    """What applying ``spec`` would add, change and remove: the dry run."""
    existing = {
        c.name: c for c in session.scalars(select(Challenge).where(Challenge.pack_id == spec.id))
    }
    diff = PackDiff(spec.id)
    for challenge in spec.challenges:
        stored = existing.get(challenge.name)
        if stored is None or stored.removed:
            diff.added.append(challenge.name)
        elif _stored_fingerprint(stored) != challenge.fingerprint():
            diff.changed.append(challenge.name)
        else:
            diff.unchanged.append(challenge.name)
    names = {c.name for c in spec.challenges}
    diff.removed = sorted(n for n, c in existing.items() if n not in names and not c.removed)
    return diff


def _store_file(files_dir: Path, spec: FileSpec) -> str:
    """Content-addressed copy: the stored name is the hash, so no pack path reaches the disk."""
    relative = f"{spec.sha256[:2]}/{spec.sha256}"
    target = files_dir / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        shutil.copyfile(spec.path, tmp)
        tmp.replace(target)
    return relative


def _slot(rows: list[Any], position: int, model: type) -> Any:
    """The row at ``position``, appending a new one when the list is shorter."""
    if position < len(rows):
        return rows[position]
    row = model(position=position)
    rows.append(row)
    return row


def _write_challenge(challenge: Challenge, spec: ChallengeSpec, stored_files: dict[str, str]) -> None:
    for attr in (
        "category", "author", "description", "scoring", "value", "initial", "decay", "minimum",
        "function", "tags", "topics", "requirements", "anonymize", "state", "max_attempts",
        "logic", "connection_info", "version", "attribution", "release_at", "release_after",
        "translations", "solution", "source",
    ):
        setattr(challenge, attr, getattr(spec, attr))
    challenge.removed = False
    # Answers and hints are updated in place by position so captures and unlocks stay attached.
    for position, answer_spec in enumerate(spec.answers):
        answer = _slot(challenge.answers, position, Answer)
        answer.type, answer.content, answer.options = answer_spec.type, answer_spec.content, answer_spec.options
    del challenge.answers[len(spec.answers):]
    for position, hint_spec in enumerate(spec.hints):
        hint = _slot(challenge.hints, position, Hint)
        hint.content, hint.cost, hint.title, hint.removed = hint_spec.content, hint_spec.cost, hint_spec.title, False
    for hint in challenge.hints[len(spec.hints):]:
        hint.removed = True
    challenge.files = [
        File(name=f.name, stored_path=stored_files[f.sha256], sha256=f.sha256, size=f.size)
        for f in spec.files
    ]


def apply_pack(session: Session, spec: PackSpec, files_dir: Path, actor_id: int | None = None) -> PackDiff:
    """Write a validated pack in the caller's transaction; return what changed."""
    diff = diff_pack(session, spec)
    stored = {f.sha256: _store_file(files_dir, f) for c in spec.challenges for f in c.files}
    pack = session.get(Pack, spec.id)
    if pack is None:
        pack = Pack(id=spec.id, title=spec.title, description=spec.description, digest=spec.digest, settings={})
        session.add(pack)
    pack.title, pack.description, pack.digest, pack.loaded_at = spec.title, spec.description, spec.digest, utcnow()
    pack.translations = spec.translations
    existing = {c.name: c for c in session.scalars(select(Challenge).where(Challenge.pack_id == spec.id))}
    now = utcnow()
    drill = events.drill(session)
    settings = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in spec.settings.items()}
    for key, value in settings.items():
        # An organizer's later `clock set` survives a reload unless pack.yml itself changed that time.
        if pack.settings.get(key) != value:
            setattr(drill, key, spec.settings[key])
    pack.settings = settings
    if drill.title == Drill.title.default.arg:
        drill.title = spec.title  # the first pack names the drill
    if drill.starts_at is None:
        drill.starts_at = now  # no start time anywhere: an open practice from the first load
    for position, challenge_spec in enumerate(spec.challenges):
        challenge = existing.get(challenge_spec.name)
        if challenge is None:
            challenge = Challenge(pack=pack, name=challenge_spec.name)
            session.add(challenge)
        challenge.position = position
        _write_challenge(challenge, challenge_spec, stored)
    for name in diff.removed:
        existing[name].removed = True
    session.add(PackLoad(pack_id=spec.id, digest=spec.digest, actor_id=actor_id, summary=diff.as_dict()))
    session.flush()
    events.record(session, "pack", {"pack_id": spec.id, "title": spec.title, "added": len(diff.added),
                                    "changed": len(diff.changed), "removed": len(diff.removed)}, now)
    events.announce_releases(session, now)
    return diff


def load(session: Session, path: Path, files_dir: Path, *, dry_run: bool = False,
         actor_id: int | None = None, max_unpacked: int = 200 * 1024 * 1024) -> PackDiff:
    """Validate then (unless ``dry_run``) apply the pack at ``path``; raises PackError."""
    with opened(path, max_unpacked) as root:
        spec = read_folder(root)
        if dry_run:
            return diff_pack(session, spec)
        return apply_pack(session, spec, files_dir, actor_id)
