"""The OpenAPI 3 description of /api/v1, served at /api/v1/openapi.json."""
from __future__ import annotations

from typing import Any

_ERROR = {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _op(summary: str, ok: dict[str, Any], *, errors: tuple[int, ...] = (401,), body: dict | None = None,
        public: bool = False, params: tuple[str, ...] = (), query: dict[str, Any] | None = None,
        status: int = 200) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {str(status): {"description": "ok", "content": {"application/json": {"schema": ok}}},
                      **{str(code): _ERROR for code in errors}},
    }
    if params:
        op["parameters"] = [{"name": p, "in": "path", "required": True, "schema": {"type": "integer"}} for p in params]
    if query:
        op["parameters"] = [{"name": name, "in": "query", "required": False, "schema": schema}
                            for name, schema in query.items()]
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if public:
        op["security"] = []
    return op


def _created(summary: str, body: dict[str, Any]) -> dict[str, Any]:
    """A write that answers 201 with the new row's id."""
    op = _op(summary, {}, errors=(400, 401, 403, 404), body=body)
    op["responses"].pop("200")
    op["responses"]["201"] = {"description": "created", "content": {"application/json": {
        "schema": _object(("id",), id=_INT)}}}
    return op


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(required: tuple[str, ...] = (), **properties: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def _map_of(schema: dict[str, Any]) -> dict[str, Any]:
    """An object keyed by free text (a language, a task name) whose values share ``schema``."""
    return {"type": "object", "additionalProperties": schema}


_INT, _STR, _BOOL = {"type": "integer"}, {"type": "string"}, {"type": "boolean"}
_TIME = {"type": "string", "format": "date-time"}
_NULLABLE_STR = {"type": ["string", "null"]}


def _schemas() -> dict[str, Any]:
    standing = _object(
        pos=_INT, team=_STR, team_id=_INT, country=_STR, score=_INT, solves=_INT,
        last_solve_at={"type": ["string", "null"], "format": "date-time"},
        breakdown={**_object(flags=_INT, reports=_INT, deductions=_INT),
                   "description": "points per category before weighting (deductions as a positive number)"})
    summary = _object(
        ("id", "name", "category", "value", "solves", "solved", "locked"),
        id=_INT, name=_STR, category=_STR, value=_INT, solves=_INT, solved=_BOOL, locked=_BOOL,
        kind={"enum": ["flag", "report"], "description": "report: judged against a rubric, filed at .../reports"},
        requirements={"type": "array", "items": _STR, "description": "names of challenges to solve first"},
        tags={"type": "array", "items": _STR},
        translations=_map_of(_object(name=_STR)))
    detail = {"allOf": [_ref("ChallengeSummary"), _object(
        author=_STR, description_html=_STR, connection_info=_NULLABLE_STR,
        files={"type": "array", "items": _object(name=_STR, url=_STR, size=_INT, sha256=_STR)},
        hints={"type": "array", "items": _object(
            id=_INT, title=_NULLABLE_STR, cost=_INT,
            unlocked={**_BOOL, "description": "readable now: unlocked, or free with its required hints open"},
            content=_NULLABLE_STR,
            requirements={"type": "array", "items": _INT, "description": "ids of hints to unlock first"})},
        answerable={**_BOOL, "description": "false while the challenge has no accepted answer"},
        rubric={"type": "array", "items": _ref("Criterion")},
        report={"anyOf": [{"type": "null"}, _object(
            version=_INT, status={"enum": ["submitted", "graded"]}, points={"type": ["integer", "null"]},
            comment=_NULLABLE_STR)], "description": "report tasks: the team's latest version (null before the first)"},
        max_attempts=_INT,
        attempts_left={"type": ["integer", "null"],
                       "description": "wrong answers the caller's team may still give; null without a limit"},
        solved_at={"type": ["string", "null"], "format": "date-time"},
        translations=_map_of(_object(name=_STR, description_html=_STR)))]}
    task = _object(points=_INT, time={**_INT, "description": "Unix time of the solve"})
    ctftime = _object(
        tasks={"type": "array", "items": _STR},
        standings={"type": "array", "items": _object(
            pos=_INT, team=_STR, score=_INT, taskStats=_map_of(task),
            lastAccept={**_INT, "description": "Unix time of the team's last accepted answer"})})
    criterion = _object(("criterion", "points", "comment_required"), criterion=_STR, points=_INT,
                        comment_required=_BOOL)
    queued = _object(
        id=_INT, challenge_id=_INT, challenge=_STR, version=_INT, text_html=_STR, submitted_at=_TIME,
        rubric={"type": "array", "items": _ref("Criterion")},
        late_minutes={**_INT, "description": "started minutes past the deadline when filed (0: on time)"},
        late_percent={**_INT, "description": "the share of the grade a late report loses"},
        attachments={"type": "array", "items": _object(name={**_STR, "description": "attachment-N.ext"}, size=_INT)})
    replay = _object(
        ("at", "minute", "minutes", "standings", "feed", "series"),
        at=_TIME, minute=_INT, minutes={**_INT, "description": "the last minute a replay can show"},
        starts_at=_TIME, standings={"type": "array", "items": _ref("Standing")},
        weights={"type": ["object", "null"], "description": "pack.yml weights per category, if any"},
        feed={"type": "array", "items": {"type": "object", "description": "a public event: kind plus its payload"}},
        series={"type": "array", "items": _object(team=_STR, team_id=_INT, points={
            "type": "array", "items": {"type": "array", "description": "[time, cumulative points]"}})})
    return {
        "Error": _object(("error",), error=_STR),
        "Criterion": criterion,
        "QueuedReport": queued,
        "Replay": replay,
        "Standing": standing,
        "ChallengeSummary": summary,
        "Challenge": detail,
        "CtftimeFeed": ctftime,
    }


def document() -> dict[str, Any]:
    """Every field the API returns is declared here; a test compares real responses with it."""
    answer = {"type": "string", "minLength": 1, "maxLength": 1000, "pattern": "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$",
              "description": "stripped of surrounding white space before grading; must not be blank or hold NUL"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Drillboard API", "version": "1",
                 "description": "Scoring API for cyber-defense drills. Auth: session cookie (with X-CSRFToken "
                                "on writes) or `Authorization: Bearer <token>`."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _schemas(),
        },
        "paths": {
            "/challenges": {"get": _op("The caller's visible challenges", _object(
                challenges={"type": "array", "items": _ref("ChallengeSummary")}))},
            "/challenges/{id}": {"get": _op("One challenge with description, files and hints", _ref("Challenge"),
                                            errors=(401, 403, 404), params=("id",))},
            "/challenges/{id}/attempts": {"post": _op("Submit an answer", _object(
                ("result", "points"),
                result={"enum": ["correct", "incorrect", "already_solved"]}, points=_INT, first_blood=_BOOL,
                attempts_left=_INT, message=_STR),
                errors=(400, 401, 403, 404, 429), params=("id",),
                body=_object(("answer",), answer=answer))},
            "/hints/{id}/unlock": {"post": _op("Unlock a hint (its cost is paid once per team)", _object(
                id=_INT, challenge_id=_INT, cost=_INT, content=_STR),
                errors=(401, 403, 404), params=("id",))},
            "/challenges/{id}/reports": {"post": _op("File a new version of the team's report (JSON, or multipart "
                                                     "with 'text' and up to 5 'files')", _object(
                ("id", "version", "status"), id=_INT, version=_INT, status={"enum": ["submitted"]}),
                errors=(400, 401, 403, 404, 409), params=("id",), status=201,
                body=_object(("text",), text={"type": "string", "minLength": 1, "maxLength": 50_000,
                                              "pattern": "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$",
                                              "description": "Markdown"}))},
            "/judging/reports": {"get": _op("Judges: the reports waiting for your marks, anonymised", _object(
                reports={"type": "array", "items": _ref("QueuedReport")}), errors=(401, 403))},
            "/judging/reports/{id}": {"post": _op("Judges: mark a report against its rubric", _object(
                id=_INT, report_id=_INT, scores={"type": "array", "items": _INT}),
                errors=(400, 401, 403, 404, 409), params=("id",),
                body=_object(("scores",), scores={"type": "array", "items": {"type": "integer", "minimum": 0}},
                             comment=_STR, comments={"type": "array", "items": _STR}))},
            "/phases": {"get": _op("The exercise's phases in order: waiting, or open since opened_at", _object(
                phases={"type": "array", "items": _object(
                    ("id", "title", "state", "opened_at"), id=_STR, title=_STR, state={"enum": ["waiting", "open"]},
                    opened_at={"type": ["string", "null"], "format": "date-time"})}))},
            "/briefing": {"get": _op("Teams: the exercise's briefing in the caller's language", _object(
                ("title", "briefing_html"), title=_STR, briefing_html={**_STR, "description": "sanitised HTML"}),
                errors=(401, 403))},
            "/scoreboard": {"get": _op("Public standings (honours the freeze)", _object(
                standings={"type": "array", "items": _ref("Standing")}, frozen=_BOOL), errors=(), public=True)},
            "/scoreboard/ctftime": {"get": _op("CTFtime feed (ctftime.org/json-scoreboard-feed)",
                                               _ref("CtftimeFeed"), errors=(), public=True)},
            "/deductions": {"post": _created(
                "Record a red-team deduction (red team or organizers): points taken from a team, with a reason",
                body=_object(("team_id", "points", "reason"), team_id=_INT,
                             points={"type": "integer", "minimum": 1, "maximum": 100000,
                                     "description": "the points the team loses"},
                             reason={"type": "string", "minLength": 1, "maxLength": 1000,
                                     "pattern": "\\S", "description": "shown on the board's feed"},
                             evidence={"type": "string", "maxLength": 20000,
                                       "description": "for organizers only"}))},
            "/replay": {"get": _op(
                "The public board at a minute of the drill: standings, feed and score series; never ahead of "
                "the public board (the freeze, an unfinished reveal)", _ref("Replay"), errors=(400, 404),
                public=True, query={"minute": {"type": "string", "pattern": "^[0-9]{1,9}$",
                                                "description": "minutes after the start; absent or later: the last"}})},
            "/openapi.json": {"get": _op("This document", {"type": "object"}, errors=(), public=True)},
        },
    }
