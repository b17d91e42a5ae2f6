"""``services.yml`` at a pack's root: the services every team defends and how each is checked.

```yaml
round_seconds: 30
services:
  - {id: portal, title: "Web portal", port: 80, points: 10, objectives: [web-deface],
     translations: {ru: {title: "Веб-портал"}},
     check: {kind: http, path: /, status: 200, body_regex: "Welcome", tls: false, timeout: 5}}
  - {id: notes, title: Notes, port: 8080, points: 10,
     check: {kind: checker, path: checkers/notes/checker.py, put: true}}
teams: {"Team Alpha": 127.0.0.11}
```

Like challenge.yml, every mistake is a ``file:line`` problem and nothing loads; an unknown field is
a warning. A checker must lie inside the pack: its folder is copied with the pack (``service_rows``).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scoreboard.core import availability, names
from scoreboard.core.answers import compiled
from scoreboard.core.errors import N_, Invalid, Message
from scoreboard.packs import fields, translations, yamlfile
from scoreboard.packs.problems import quoted, short, unknown
from scoreboard.packs.reader import FieldReader

FILE_NAME = "services.yml"
FIELDS = {"round_seconds", "services", "teams"}
SERVICE_FIELDS = {"id", "title", "port", "points", "check", "objectives", "translations"}
COMMON = {"kind", "timeout", "memory_mb"}
KIND_FIELDS = {"tcp": set(), "http": {"method", "path", "status", "body_regex", "tls"},
               "dns": {"query", "type", "answer"}, "banner": {"expect"}, "smtp": {"expect"},
               "checker": {"path", "put", "vulns"}}
METHODS = ("GET", "HEAD", "POST", "OPTIONS")
DNS_TYPES = ("A", "AAAA", "CNAME", "MX", "NS", "TXT", "SOA", "PTR")
MAX_SERVICES, MAX_TEAMS = 50, 2000
MAX_POINTS = 100_000
MAX_MEMORY_MB, DEFAULT_MEMORY_MB = 2048, 256
# A checker's folder is copied with the pack: bounded like an attachment.
MAX_CHECKER_FILES, MAX_CHECKER_BYTES = 200, 20 * 1024 * 1024
HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.:-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\]")
ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")


@dataclass
class ServiceSpec:
    key: str
    title: str
    port: int
    points: int
    check: dict[str, Any]
    objectives: list[str] = field(default_factory=list)
    translations: dict[str, Any] = field(default_factory=dict)
    # A checker's folder in the pack (copied on load) and the file in it that is run.
    checker_folder: Path | None = field(default=None, repr=False)


@dataclass
class ServicesSpec:
    round_seconds: int = 60
    services: list[ServiceSpec] = field(default_factory=list)
    teams: dict[str, str] = field(default_factory=dict)  # a team's name key -> its host

    def settings(self) -> dict[str, int]:
        """The Drill column this file sets (applied like pack.yml's: only when it changed)."""
        return {"round_seconds": self.round_seconds}


def folder_digest(folder: Path) -> str:
    """What a checker's folder holds, as one hash: it names the stored copy, and a changed checker
    is a changed pack."""
    digest = hashlib.sha256()
    for path in checker_files(folder):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def checker_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


class ServicesReader(FieldReader):
    """Validates services.yml into the pack check's findings."""

    def read(self, objective_ids: set[str] | None) -> ServicesSpec | None:
        data = yamlfile.load(self.path, self.rel, self.findings)
        if data is None:
            return None
        if not isinstance(data, dict):
            self.problem(1, Message(N_("services.yml must be a mapping with 'services' and optionally 'round_seconds' "
                                       "and 'teams'")))
            return None
        self.data = data
        for key in data:
            if key not in FIELDS:
                self.warn(self.line(key), unknown(key, FIELDS))
        spec = ServicesSpec()
        spec.round_seconds = self.checked("round_seconds", fields.whole, availability.MIN_ROUND_SECONDS,
                                          availability.MAX_ROUND_SECONDS, default=60)
        spec.teams = self._teams()
        items = self.get("services", list, [])
        if not items or len(items) > MAX_SERVICES:
            self.problem(self.line("services"), Message(N_("'services' must list 1 to %(max)s services"),
                                                        max=MAX_SERVICES))
            return spec
        lines = getattr(items, "lines", [])
        seen: dict[str, int] = {}
        for index, item in enumerate(items):
            line = lines[index] if index < len(lines) else self.line("services")
            service = self._service(item, line, spec.round_seconds, objective_ids)
            if service is None:
                continue
            if service.key in seen:
                self.problem(line, Message(N_("service id %(id)s appears twice (also on line %(line)s)"),
                                           id=short(service.key), line=seen[service.key]))
                continue
            seen[service.key] = line
            spec.services.append(service)
        return spec

    def _teams(self) -> dict[str, str]:
        teams = self.get("teams", dict, {})
        if len(teams) > MAX_TEAMS:
            self.problem(self.line("teams"), Message(N_("'teams' holds at most %(max)s teams"), max=MAX_TEAMS))
            return {}
        at = getattr(teams, "lines", {})
        found: dict[str, str] = {}
        for name, host in teams.items():
            try:
                found[names.name_key(name)] = check_host(host, f"teams.{name}")
            except ValueError as err:  # ``Invalid`` says it in the organizer's language
                self.problem(at.get(name, self.line("teams")), err if isinstance(err, Message) else str(err))
        return found

    def _service(self, item: Any, line: int, round_seconds: int, objective_ids: set[str] | None) -> ServiceSpec | None:
        """One service, or None after reporting each of its problems."""
        if not isinstance(item, dict):
            self.problem(line, Message(N_("each service must be a mapping with 'id', 'title', 'port', 'points' and "
                                          "'check'")))
            return None
        at = getattr(item, "lines", {})
        before = self.findings.problem_count
        for key in item:
            if key not in SERVICE_FIELDS:
                self.warn(at.get(key, line), unknown(key, SERVICE_FIELDS))
        for key in ("id", "title", "points", "check"):
            if key not in item:
                self.problem(line, Message(N_("a service needs %(key)s"), key=f"'{key}'"))
        key = item.get("id")
        if key is not None and (not isinstance(key, str) or not ID.fullmatch(key)):
            self.problem(at.get("id", line), Message(N_("a service's 'id' must be lowercase letters, digits, - or _ "
                                                        "(at most 100)")))
        title = self._part(item, "title", at, line, lambda v, k: fields.text(v, k, 200).strip())
        points = self._part(item, "points", at, line, lambda v, k: fields.whole(v, k, 0, MAX_POINTS))
        port = self._part(item, "port", at, line, lambda v, k: fields.whole(v, k, 1, 65535))
        objectives = self._objectives(item.get("objectives", []), at.get("objectives", line), objective_ids)
        found: dict[str, Any] = {}
        if "translations" in item:
            found, problems = translations.check(item["translations"], at.get("translations", line), ("title",))
            for where, message in problems:
                self.problem(where, message)
        check, folder = self._check(item.get("check"), at.get("check", line), round_seconds) \
            if "check" in item else ({}, None)
        if check and check["kind"] != "checker" and port is None:
            self.problem(line, Message(N_("a %(kind)s check needs the service's 'port'"), kind=check["kind"]))
        if self.findings.problem_count != before:
            return None
        if not title:
            self.problem(at.get("title", line), Message(N_("a service's 'title' must not be empty")))
            return None
        return ServiceSpec(key, title, port or 0, points, check, objectives, found, folder)

    def _part(self, item: dict[str, Any], key: str, at: dict[str, int], line: int, check: Any) -> Any:
        if key not in item:
            return None
        try:
            return check(item[key], key)
        except ValueError as err:  # ``Invalid`` says it in the organizer's language
            self.problem(at.get(key, line), err if isinstance(err, Message) else str(err))
            return None

    def _objectives(self, value: Any, line: int, known: set[str] | None) -> list[str]:
        """redteam.yml objective ids the service belongs to: a typo would tie it to nothing."""
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(line, Message(N_("'objectives' must be a list of redteam.yml objective ids")))
            return []
        for key in value:
            if known is None:
                self.problem(line, Message(N_("objective %(id)s: the pack has no redteam.yml listing objectives"),
                                           id=short(key)))
            elif key not in known:
                self.problem(line, Message(N_("objective %(id)s is not an id in redteam.yml"), id=short(key)))
        return list(value)

    def _check(self, value: Any, line: int, round_seconds: int) -> tuple[dict[str, Any], Path | None]:
        """The check's settings as stored (with its timeout and memory limit), and a checker's folder."""
        kind = value.get("kind") if isinstance(value, dict) else None
        if kind not in KIND_FIELDS:
            self.problem(line, Message(N_("'check' must be a mapping whose 'kind' is one of %(allowed)s, not "
                                          "%(value)s"), allowed=quoted(KIND_FIELDS), value=short(kind)))
            return {}, None
        at = getattr(value, "lines", {})
        allowed = COMMON | KIND_FIELDS[kind]
        for key in value:
            if key not in allowed:
                self.warn(at.get(key, line), unknown(key, allowed, prefix="check."))
        limit = round_seconds * availability.TIMEOUT_SHARE
        check: dict[str, Any] = {"kind": kind, "timeout": availability.default_timeout(round_seconds),
                                 "memory_mb": DEFAULT_MEMORY_MB}
        settings = CheckFields(value, at, line, self.problem)
        settings.number("timeout", check, 1, limit,
                        N_("%(key)s: must be a number of seconds from %(min)s to %(max)s (at most half the round)"))
        settings.number("memory_mb", check, 16, MAX_MEMORY_MB, N_("%(key)s: must be a number from %(min)s to %(max)s"))
        folder = None
        if kind == "http":
            settings.http(check)
        elif kind == "dns":
            settings.dns(check)
        elif kind in ("banner", "smtp"):
            settings.regex("expect", check, "^220[ -]" if kind == "smtp" else ".")
        elif kind == "checker":
            folder = settings.checker(check, self.root)
        return check, folder


class CheckFields:
    """The kind-specific fields of one ``check``, each checked into the stored settings."""

    def __init__(self, value: dict[str, Any], at: dict[str, int], line: int, problem: Any) -> None:
        self.value, self.at, self.line, self.problem = value, at, line, problem

    def _bad(self, key: str, message: str, **params: Any) -> None:
        """A problem with ``check.<key>``: ``message`` is a whole msgid whose ``%(key)s`` names the field."""
        self.problem(self.at.get(key, self.line), Message(message, key=f"check.{key}", **params))

    def number(self, key: str, check: dict[str, Any], low: float, high: float, message: str) -> None:
        """A number from ``low`` to ``high``; ``message`` says so with ``%(min)s`` and ``%(max)s``."""
        if key not in self.value:
            return
        value = self.value[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            self._bad(key, message, min=f"{low:g}", max=f"{high:g}")
            return
        check[key] = value

    def regex(self, key: str, check: dict[str, Any], default: str) -> None:
        pattern = self.value.get(key, default)
        try:
            compiled(fields.text(pattern, key, 500))
        except ValueError as err:
            self._bad(key, N_("%(key)s: %(problem)s"), problem=err)
            return
        check[key] = pattern

    def http(self, check: dict[str, Any]) -> None:
        method, path = self.value.get("method", "GET"), self.value.get("path", "/")
        if method not in METHODS:
            self._bad("method", N_("%(key)s: must be one of %(allowed)s"), allowed=quoted(METHODS))
        if not isinstance(path, str) or not path.startswith("/") or len(path) > 500 or any(c in path for c in " \r\n"):
            self._bad("path", N_("%(key)s: must start with / and hold no spaces (at most 500 characters)"))
        status = self.value.get("status", 200)
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            self._bad("status", N_("%(key)s: must be an HTTP status from 100 to 599"))
        tls = self.value.get("tls", False)
        if not isinstance(tls, bool):
            self._bad("tls", N_("%(key)s: must be true or false"))
        check.update(method=method, path=path, status=status, tls=tls)
        if "body_regex" in self.value:
            self.regex("body_regex", check, "")

    def dns(self, check: dict[str, Any]) -> None:
        query, kind = self.value.get("query"), self.value.get("type", "A")
        if not isinstance(query, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,253}", query):
            self._bad("query", N_("%(key)s: must be the name to look up, e.g. www.example.lab"))
        if kind not in DNS_TYPES:
            self._bad("type", N_("%(key)s: must be one of %(allowed)s"), allowed=quoted(DNS_TYPES))
        answer = self.value.get("answer")
        if answer is not None and (not isinstance(answer, (str, int)) or len(str(answer)) > 500):
            self._bad("answer", N_("%(key)s: must be the expected answer as text (at most 500 characters)"))
        check.update(query=query, type=kind, answer=None if answer is None else str(answer))

    def checker(self, check: dict[str, Any], root: Path) -> Path | None:
        """A checker file inside the pack (never outside it, however the path is written)."""
        path, put, vulns = self.value.get("path"), self.value.get("put", False), self.value.get("vulns", 1)
        if not isinstance(put, bool):
            self._bad("put", N_("%(key)s: must be true or false"))
        if isinstance(vulns, bool) or not isinstance(vulns, int) or not 1 <= vulns <= 10:
            self._bad("vulns", N_("%(key)s: must be a whole number from 1 to 10"))
        check.update(put=put, vulns=vulns)
        if not isinstance(path, str) or not path or Path(path).is_absolute():
            self._bad("path", N_("%(key)s: must be the checker's path inside the pack, e.g. checkers/notes/checker.py"))
            return None
        base = root.resolve()
        target = (base / path).resolve()
        if not target.is_relative_to(base) or target == base:
            self._bad("path", N_("%(key)s: %(path)s lies outside the pack; a checker must be one of the pack's files"),
                      path=short(path))
            return None
        if not target.is_file():
            self._bad("path", N_("%(key)s: %(path)s is not a file in the pack"), path=short(path))
            return None
        folder = target.parent
        files = checker_files(folder) if folder != base else []
        if not files or len(files) > MAX_CHECKER_FILES or sum(p.stat().st_size for p in files) > MAX_CHECKER_BYTES \
                or any(not p.resolve().is_relative_to(base) for p in files):
            self._bad("path", N_("%(key)s: the checker's folder must hold at most %(files)s files and %(mb)s MB, all "
                                 "inside the pack; give the checker a folder of its own"),
                      files=MAX_CHECKER_FILES, mb=MAX_CHECKER_BYTES // (1024 * 1024))
            return None
        check["entry"], check["digest"] = target.name, folder_digest(folder)
        return folder


def check_host(value: Any, key: str) -> str:
    """A host name or an IP address (IPv6 in brackets), as a team's service is reached."""
    if not isinstance(value, str) or not HOST.fullmatch(value.strip()):
        raise Invalid(N_("%(key)s must be a host name or an IP address, not %(value)s"), key=f"'{key}'",
                      value=short(value))
    return value.strip()
