"""/api/v1/openapi.json declares every field the API returns, and refuses the bodies the server refuses."""
from __future__ import annotations

import re
from typing import Any

import pytest
from corekit import team_with_token
from helpers import load_pack

PACK = {
    "pack.yml": "id: schema\nfirst_blood_bonus: 5\n",
    "a/challenge.yml": (
        "name: Alpha\nauthor: someone\ncategory: Web\nvalue: 100\ntags: [web]\nconnection_info: nc host 1\n"
        "flags: ['DRILL{a}']\nfiles: [notes.txt]\n"
        "hints:\n  - {key: one, title: One, content: first, cost: 5}\n  - {content: second, requirements: [one]}\n"
        "translations:\n  ru: {name: Альфа, description: Описание}\n"),
    "a/notes.txt": "notes",
    "b/challenge.yml": "name: Bravo\nvalue: 50\nflags: ['DRILL{b}']\nrequirements: {prerequisites: [Alpha], anonymize: true}\n",
}


def resolve(schema: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if "allOf" in schema:
        merged: dict[str, Any] = {"type": "object", "properties": {}}
        for part in schema["allOf"]:
            merged["properties"].update(resolve(part, doc).get("properties", {}))
        return merged
    return schema


def undeclared(schema: dict[str, Any], value: Any, doc: dict[str, Any], path: str = "") -> list[str]:
    """Paths of response fields the schema does not declare."""
    schema = resolve(schema, doc)
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in undeclared(schema.get("items", {}), item, doc, f"{path}[{i}]")]
    if not isinstance(value, dict):
        return []
    found = []
    for key, item in value.items():
        if key in schema.get("properties", {}):
            found += undeclared(schema["properties"][key], item, doc, f"{path}.{key}")
        elif isinstance(schema.get("additionalProperties"), dict):
            found += undeclared(schema["additionalProperties"], item, doc, f"{path}.{key}")
        else:
            found.append(f"{path}.{key}")
    return found


def response_schema(doc: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    return doc["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]


def test_every_returned_field_is_declared(services: Any, client: Any, make_pack: Any) -> None:
    load_pack(services, make_pack({}, files=PACK))
    _, headers = team_with_token(services, "Schema")
    doc = client.get("/api/v1/openapi.json").get_json()
    listed = client.get("/api/v1/challenges", headers=headers).get_json()
    ids = {c["name"]: c["id"] for c in listed["challenges"]}
    detail = client.get(f"/api/v1/challenges/{ids['Alpha']}", headers=headers).get_json()
    hint = client.post(f"/api/v1/hints/{detail['hints'][0]['id']}/unlock", headers=headers).get_json()
    wrong = client.post(f"/api/v1/challenges/{ids['Alpha']}/attempts", json={"answer": "no"}, headers=headers).get_json()
    right = client.post(f"/api/v1/challenges/{ids['Alpha']}/attempts", json={"answer": "DRILL{a}"},
                        headers=headers).get_json()
    solved = client.get(f"/api/v1/challenges/{ids['Alpha']}", headers=headers).get_json()
    responses = [
        ("/challenges", "get", listed), ("/challenges/{id}", "get", detail), ("/challenges/{id}", "get", solved),
        ("/hints/{id}/unlock", "post", hint), ("/challenges/{id}/attempts", "post", wrong),
        ("/challenges/{id}/attempts", "post", right),
        ("/scoreboard", "get", client.get("/api/v1/scoreboard").get_json()),
        ("/scoreboard/ctftime", "get", client.get("/api/v1/scoreboard/ctftime").get_json()),
    ]
    assert solved["solved_at"] and solved["translations"]["ru"]["description_html"] and right["first_blood"]
    for path, method, body in responses:
        assert undeclared(response_schema(doc, path, method), body, doc) == [], (path, body)


def test_an_undeclared_field_is_caught() -> None:
    doc = {"components": {"schemas": {}}}
    schema = {"type": "object", "properties": {"a": {"type": "array", "items": {"type": "object", "properties": {}}}}}
    assert undeclared(schema, {"a": [{"new": 1}], "b": 2}, doc) == [".a[0].new", ".b"]


def refused_by_schema(schema: dict[str, Any], body: Any) -> bool:
    """The subset of JSON Schema the request schema uses: object, required, string bounds, pattern."""
    if not isinstance(body, dict) or any(key not in body for key in schema.get("required", [])):
        return True
    for key, rule in schema["properties"].items():
        if key not in body:
            continue
        value = body[key]
        if rule.get("type") == "string" and not isinstance(value, str):
            return True
        if isinstance(value, str) and (len(value) < rule.get("minLength", 0) or len(value) > rule.get("maxLength", 10**9)
                                       or ("pattern" in rule and not re.search(rule["pattern"], value))):
            return True
    return False


@pytest.mark.parametrize("body", [{}, {"answer": ""}, {"answer": "   "}, {"answer": 5}, {"answer": None},
                                  {"answer": "x" * 1001}, [{"answer": "x"}]])
def test_the_request_schema_refuses_what_the_server_refuses(services: Any, client: Any, make_pack: Any,
                                                             body: Any) -> None:
    load_pack(services, make_pack({}, files=PACK))
    _, headers = team_with_token(services, "Bodies")
    challenge_id = client.get("/api/v1/challenges", headers=headers).get_json()["challenges"][0]["id"]
    doc = client.get("/api/v1/openapi.json").get_json()
    schema = doc["paths"]["/challenges/{id}/attempts"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    resp = client.post(f"/api/v1/challenges/{challenge_id}/attempts", json=body, headers=headers)
    assert resp.status_code == 400
    assert refused_by_schema(schema, body)
