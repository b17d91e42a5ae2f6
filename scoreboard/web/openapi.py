"""The OpenAPI 3 description of /api/v1, served at /api/v1/openapi.json."""
from __future__ import annotations

from typing import Any

# Text without NUL characters (PostgreSQL cannot store them); NOT_BLANK: with a visible character too.
_NO_NUL = {"pattern": "^[^\\u0000]*$"}
_NOT_BLANK = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
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
        # Every text of a body is refused with a NUL in it (web/inputs.py), other fields' included.
        body = {**body, "propertyNames": _NO_NUL, "additionalProperties": {
            "type": ["string", "number", "boolean", "null"], **_NO_NUL, "description": "ignored"}}
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
        breakdown={**_object(flags=_INT, reports=_INT, deductions=_INT, availability=_INT),
                   "description": "points per category before weighting (deductions as a positive number)"},
        sla={"type": "number", "minimum": 0, "maximum": 1,
             "description": "rounds the team's services were up over rounds run (only when the drill defends "
                            "services)"})
    task = _object(points=_INT, time={**_INT, "description": "Unix time of the solve"})
    ctftime = _object(
        tasks={"type": "array", "items": _STR},
        standings={"type": "array", "items": _object(
            pos=_INT, team=_STR, score=_INT, taskStats=_map_of(task),
            lastAccept={**_INT, "description": "Unix time of the team's last accepted answer"})})
    criterion = _object(("criterion", "points", "comment_required"), criterion=_STR, points=_INT,
                        comment_required=_BOOL, levels={"type": "array", "items": _object(points=_INT, descriptor=_STR),
                                                        "description": "judges only: what each score means"})
    queued = _object(
        id=_INT, challenge_id=_INT, challenge=_STR, version=_INT, text_html=_STR, submitted_at=_TIME,
        rubric={"type": "array", "items": _ref("Criterion")},
        late_minutes={**_INT, "description": "started minutes past the deadline when filed (0: on time)"},
        late_percent={**_INT, "description": "the share of the grade a late report loses"},
        third_marking={**_BOOL, "description": "two marks are far apart: yours is the third"},
        attachments={"type": "array", "items": _object(name={**_STR, "description": "attachment-N.ext"}, size=_INT)})
    replay = _object(
        ("at", "minute", "minutes", "standings", "feed", "series"),
        at=_TIME, minute=_INT, minutes={**_INT, "description": "the last minute a replay can show"},
        starts_at=_TIME, standings={"type": "array", "items": _ref("Standing")},
        weights={"type": ["object", "null"], "description": "pack.yml weights per category, if any"},
        feed={"type": "array", "items": {"type": "object", "description": "a public event: kind plus its payload"}},
        series={"type": "array", "items": _object(team=_STR, team_id=_INT, points={
            "type": "array", "items": {"type": "array", "description": "[time, cumulative points]"}})})
    message = _object(("id", "kind", "title", "body_html", "at", "read"), id=_INT,
                      kind={"enum": ["announcement", "clarification"]}, title=_STR,
                      body_html={**_STR, "description": "sanitised HTML in the caller's language"}, at=_TIME, read=_BOOL)
    clarification = _object(
        ("id", "question", "asked_at", "published"), id=_INT,
        challenge_id={"type": ["integer", "null"], "description": "null: a general question (or one the caller "
                                                                  "cannot see yet)"},
        challenge=_NULLABLE_STR, question=_STR, asked_at=_TIME, answer=_NULLABLE_STR,
        answered_at={"type": ["string", "null"], "format": "date-time"}, published=_BOOL,
        own={**_BOOL, "description": "teams: asked by the caller's team"},
        team={**_STR, "description": "exercise control only: the asking team"}, team_id=_INT)
    return {
        "Error": _object(("error",), error=_STR),
        "InboxMessage": message,
        "Clarification": clarification,
        "Criterion": criterion,
        "QueuedReport": queued,
        "Replay": replay,
        "Standing": standing,
        **_challenge_schemas(),
        "CtftimeFeed": ctftime,
        **_redteam_schemas(),
    }


def _challenge_schemas() -> dict[str, Any]:
    """A challenge as listed, and as opened (its description, files, hints, rubric and the team's report)."""
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
            comment=_NULLABLE_STR,
            criteria={"type": "array", "items": _object(criterion=_STR, points=_INT, max=_INT),
                      "description": "points per rubric criterion, once the grade is released"},
            comments={"type": "array", "items": _STR,
                      "description": "each judge's comment on its own (Judge 1, Judge 2), once released"},
            returned={"anyOf": [{"type": "null"}, _object(note=_STR, at=_TIME)],
                      "description": "set while the latest version is returned for revision"})],
            "description": "report tasks: the team's latest version (null before the first)"},
        max_attempts=_INT,
        attempts_left={"type": ["integer", "null"],
                       "description": "wrong answers the caller's team may still give; null without a limit"},
        solved_at={"type": ["string", "null"], "format": "date-time"},
        translations=_map_of(_object(name=_STR, description_html=_STR)))]}
    return {"ChallengeSummary": summary, "Challenge": detail}


def _redteam_schemas() -> dict[str, Any]:
    objective = _object(id=_STR, title=_STR, category=_STR, asset=_STR, points=_INT, removed=_BOOL)
    return {
        "Objective": objective,
        "QueuedDetection": _object(
            id=_INT, text=_STR, filed_at=_TIME, attack_at=_TIME, points=_INT, reason=_STR,
            objective={"anyOf": [{"type": "null"}, objective]}),
        "Claim": _object(("id", "status"), id=_INT, status={
            "enum": ["pending", "accepted", "rejected", "upheld", "voided"]}),
    }


TEXT = _object(("text",), text={"type": "string", "minLength": 1, "maxLength": 5000,
                                "pattern": "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"})


def _inbox_paths() -> dict[str, Any]:
    """The team inbox and clarifications (teams ask; organizers and the white cell answer)."""
    text = {"type": "string", "minLength": 1, "pattern": "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"}
    mark = _op("Mark inbox messages read: the given ids, or all without 'ids'", _object(
        ("marked", "unread"), marked=_INT, unread=_INT), errors=(400, 401, 403),
        body=_object(ids={"type": "array", "maxItems": 200, "items": {"type": "integer", "minimum": 1}}))
    mark["requestBody"]["required"] = False
    ask = _created("Teams: ask exercise control about a challenge the team can see, or in general (at most "
                   "5 questions in 10 minutes)", body=_object(
                       ("question",), question={**text, "maxLength": 2000},
                       challenge_id={"type": "integer", "description": "absent: a general question"}))
    ask["responses"]["429"] = _ERROR
    return {
        "/inbox": {"get": _op("Teams: announcements and clarification answers for the team, newest first",
                              _object(("messages",), messages={"type": "array", "items": _ref("InboxMessage")}),
                              errors=(401, 403))},
        "/inbox/read": {"post": mark},
        "/clarifications": {
            "get": _op("Clarifications: a team's own and the published ones; exercise control: all, with teams",
                       _object(("clarifications",), clarifications={"type": "array",
                                                                   "items": _ref("Clarification")}),
                       errors=(401, 403)),
            "post": ask},
        "/clarifications/{id}/answer": {"post": _op(
            "Exercise control: answer a question once, privately or published to every team (never naming "
            "the asking team)", _object(("id", "published"), id=_INT, published=_BOOL),
            errors=(400, 401, 403, 404, 409), params=("id",),
            body=_object(("answer",), answer={**text, "maxLength": 10_000},
                         publish={**_BOOL, "description": "true: every team reads it; false (default): only "
                                                          "the asking team"}))},
    }


def _services_paths() -> dict[str, Any]:
    """Defended services: the public grid of states and SLA."""
    state = _object(("state", "sla"), state={"enum": ["up", "down", "mumble", "corrupt", "error"]},
                    sla={"type": "number", "minimum": 0, "maximum": 1})
    return {"/services": {"get": _op(
        "Defended services: each team's services as the last round found them, and their SLA (rounds up over "
        "rounds run; the SLA honours the freeze)", _object(
            ("round", "services", "teams"), round=_INT,
            services={"type": "array", "items": _object(("id", "title"), id=_STR, title=_STR,
                                                         translations=_map_of(_object(title=_STR)))},
            teams={"type": "array", "items": _object(("team_id", "team", "states"), team_id=_INT, team=_STR,
                                                     states=_map_of(state))}),
        errors=(), public=True)}}


def _challenge_paths() -> dict[str, Any]:
    """A team's challenges: reading them, answering, hints and reports."""
    answer = {"type": "string", "minLength": 1, "maxLength": 1000, "pattern": _NOT_BLANK,
              "description": "stripped of surrounding white space before checking; must not be blank or hold NUL"}
    return {
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
                                          "pattern": _NOT_BLANK, "description": "Markdown"}))},
    }


def _judging_paths() -> dict[str, Any]:
    """Judges: the anonymised queue and their marks."""
    return {
        "/judging/reports": {"get": _op("Judges: the reports waiting for your marks, anonymised", _object(
            reports={"type": "array", "items": _ref("QueuedReport")}), errors=(401, 403))},
        "/judging/marks": {"get": _op("Judges: your own marks, and which you may still amend", _object(
            marks={"type": "array", "items": _object(
                id=_INT, report_id=_INT, challenge=_STR, version=_INT, scores={"type": "array", "items": _INT},
                comments={"type": "array", "items": _STR}, comment=_STR, total=_INT, at=_TIME,
                amended_at={"type": ["string", "null"], "format": "date-time"}, released=_BOOL, counts=_BOOL,
                amendable=_BOOL)}), errors=(401, 403))},
        "/judging/reports/{id}": {"post": _op("Judges: mark a report against its rubric (again: replace your "
                                              "own marks until the grade is released)", _object(
            id=_INT, report_id=_INT, scores={"type": "array", "items": _INT}, amended=_BOOL),
            errors=(400, 401, 403, 404, 409), params=("id",),
            body=_object(("scores",), scores={"type": "array", "items": {"type": "integer", "minimum": 0}},
                         comment={**_STR, **_NO_NUL}, comments={"type": "array", "items": {**_STR, **_NO_NUL}}))},
    }


def _board_paths() -> dict[str, Any]:
    """The exercise and its public board: phases, briefing, standings, the CTFtime feed and the replay."""
    return {
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
        "/replay": {"get": _op(
            "The public board at a minute of the drill: standings, feed and score series; never ahead of "
            "the public board (the freeze, an unfinished reveal)", _ref("Replay"), errors=(400, 404),
            public=True, query={"minute": {"type": "string", "pattern": "^[0-9]{1,9}$",
                                            "description": "minutes after the start; absent or later: the last"}})},
    }


def _redteam_paths() -> dict[str, Any]:
    """The red team's deductions and objectives; the teams' detections and appeals and who decides them."""
    return {
        "/deductions": {"post": _created(
            "Record a red-team deduction (red team or organizers): points taken from a team, with a reason; "
            "naming an objective makes its points and title the defaults",
            body=_object(("team_id",), team_id=_INT,
                         objective={"type": "string", "maxLength": 100,
                                    "description": "an objective's id from redteam.yml, or \"other\""},
                         points={"type": "integer", "minimum": 1, "maximum": 100000,
                                 "description": "the points the team loses (required without an objective)"},
                         reason={"type": "string", "minLength": 1, "maxLength": 1000,
                                 "pattern": _NOT_BLANK, "description": "shown on the board's feed (required "
                                                                       "without an objective)"},
                         evidence={"type": "string", "maxLength": 20000, **_NO_NUL,
                                   "description": "for organizers only"},
                         service={"type": "string", "maxLength": 100,
                                  "description": "the id of the defended service the attack took down"}))},
        "/objectives": {"get": _op("Red team and organizers: redteam.yml's objectives", _object(
            objectives={"type": "array", "items": _ref("Objective")}), errors=(401, 403))},
        "/deductions/{id}/detection": {"post": _op(
            "A team reports what it detected of the attack behind one of its deductions (once, inside the "
            "window)", _ref("Claim"), errors=(400, 401, 403, 404), params=("id",), status=201, body=TEXT)},
        "/deductions/{id}/appeal": {"post": _op(
            "A team appeals one of its deductions (once)", _ref("Claim"), errors=(400, 401, 403, 404),
            params=("id",), status=201, body=TEXT)},
        "/judging/detections": {"get": _op("Judges: detection reports waiting for a decision, anonymised", _object(
            detections={"type": "array", "items": _ref("QueuedDetection")}), errors=(401, 403))},
        "/judging/detections/{id}": {"post": _op(
            "Judges: accept (part of the points back) or reject a detection report, with a comment",
            _ref("Claim"), errors=(400, 401, 403, 404), params=("id",),
            body=_object(("accept", "comment"), accept=_BOOL, comment={"type": "string", "maxLength": 2000}))},
        "/appeals/{id}": {"post": _op(
            "Organizers: uphold a deduction against its appeal, or void it, with a reason", _ref("Claim"),
            errors=(400, 401, 403, 404), params=("id",),
            body=_object(("void", "reason"), void=_BOOL, reason={"type": "string", "maxLength": 2000}))},
    }


def document() -> dict[str, Any]:
    """Every field the API returns is declared here; a test compares real responses with it."""
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
            **_challenge_paths(),
            **_judging_paths(),
            **_board_paths(),
            **_redteam_paths(),
            **_inbox_paths(),
            **_services_paths(),
            "/openapi.json": {"get": _op("This document", {"type": "object"}, errors=(), public=True)},
        },
    }
