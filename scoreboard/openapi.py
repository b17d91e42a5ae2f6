"""The OpenAPI 3 description of /api/v1, served at /api/v1/openapi.json."""
from __future__ import annotations

from typing import Any

_ERROR = {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _op(summary: str, ok: dict[str, Any], *, errors: tuple[int, ...] = (401,), body: dict | None = None,
        public: bool = False, params: tuple[str, ...] = ()) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": ok}}},
                      **{str(code): _ERROR for code in errors}},
    }
    if params:
        op["parameters"] = [{"name": p, "in": "path", "required": True, "schema": {"type": "integer"}} for p in params]
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if public:
        op["security"] = []
    return op


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def document() -> dict[str, Any]:
    standing = {"type": "object", "properties": {
        "pos": {"type": "integer"}, "team": {"type": "string"}, "team_id": {"type": "integer"},
        "country": {"type": "string"}, "score": {"type": "integer"}, "solves": {"type": "integer"},
        "last_solve_at": {"type": ["string", "null"], "format": "date-time"}}}
    summary = {"type": "object", "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "category": {"type": "string"},
        "value": {"type": "integer"}, "solves": {"type": "integer"}, "solved": {"type": "boolean"},
        "locked": {"type": "boolean"}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Drillboard API", "version": "1",
                 "description": "Scoring API for cyber-defense drills. Auth: session cookie (with X-CSRFToken "
                                "on writes) or `Authorization: Bearer <token>`."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
                "Standing": standing,
                "ChallengeSummary": summary,
            },
        },
        "paths": {
            "/challenges": {"get": _op("The caller's visible challenges", {
                "type": "object", "properties": {"challenges": {"type": "array", "items": _ref("ChallengeSummary")}}})},
            "/challenges/{id}": {"get": _op("One challenge with description, files and hints", {
                "allOf": [_ref("ChallengeSummary"), {"type": "object", "properties": {
                    "description_html": {"type": "string"},
                    "files": {"type": "array", "items": {"type": "object"}},
                    "hints": {"type": "array", "items": {"type": "object", "properties": {
                        "id": {"type": "integer"}, "cost": {"type": "integer"},
                        "content": {"type": ["string", "null"]}}}}}}]},
                errors=(401, 403, 404), params=("id",))},
            "/challenges/{id}/attempts": {"post": _op("Submit an answer", {
                "type": "object", "required": ["result", "points"], "properties": {
                    "result": {"enum": ["correct", "incorrect", "already_solved"]}, "points": {"type": "integer"},
                    "first_blood": {"type": "boolean"}, "attempts_left": {"type": "integer"},
                    "message": {"type": "string"}}},
                errors=(400, 401, 403, 404, 429), params=("id",),
                body={"type": "object", "required": ["answer"], "properties": {"answer": {"type": "string", "maxLength": 1000}}})},
            "/hints/{id}/unlock": {"post": _op("Unlock a hint (its cost is paid once per team)", {
                "type": "object", "properties": {"id": {"type": "integer"}, "cost": {"type": "integer"},
                                                 "content": {"type": "string"}}},
                errors=(401, 403, 404), params=("id",))},
            "/scoreboard": {"get": _op("Public standings (honours the freeze)", {
                "type": "object", "properties": {"standings": {"type": "array", "items": _ref("Standing")},
                                                 "frozen": {"type": "boolean"}}}, errors=(), public=True)},
            "/scoreboard/ctftime": {"get": _op("CTFtime feed", {
                "type": "object", "properties": {"standings": {"type": "array", "items": {
                    "type": "object", "properties": {"pos": {"type": "integer"}, "team": {"type": "string"},
                                                     "score": {"type": "integer"}}}}}}, errors=(), public=True)},
            "/openapi.json": {"get": _op("This document", {"type": "object"}, errors=(), public=True)},
        },
    }
