"""ctfcli's constructs mean in Drillboard what they mean in ctfcli (issue #12's table)."""
from __future__ import annotations

from typing import Any

import pytest
from corekit import team_with_token
from helpers import csrf
from helpers import load_pack as load
from sqlalchemy import select

from scoreboard import packs
from scoreboard.drill import accounts
from scoreboard.store.models import Challenge, Hint, Team

OPTIONAL = ("author", "category", "description", "attempts", "state", "tags", "topics", "hints", "files",
            "requirements", "extra", "scheduled_at", "connection_info", "logic", "version", "attribution",
            "solution", "translations", "type", "next", "image", "protocol", "host")


def stored(services: Any, name: str) -> Challenge:
    with services.database.session() as session:
        row = session.scalar(select(Challenge).where(Challenge.name == name))
        session.expunge(row)
        return row


def test_null_is_the_same_as_absent_for_every_optional_field(services: Any, make_pack: Any) -> None:
    nulls = "".join(f"{key}: null\n" for key in OPTIONAL)
    folder = make_pack({}, files={"n/challenge.yml": f"name: Nulls\nvalue: 100\nflags: ['x']\n{nulls}"})
    assert load(services, folder).added == ["Nulls"]
    row = stored(services, "Nulls")
    assert (row.category, row.state, row.logic, row.max_attempts, row.tags, row.release_at) == ("Misc", "visible", "any",
                                                                                                0, [], None)


def test_digit_strings_are_numbers(services: Any, make_pack: Any) -> None:
    folder = make_pack({}, files={"d/challenge.yml": (
        "name: Digits\nvalue: '200'\nattempts: '3'\nflags: ['x']\nhints:\n  - {content: h, cost: '15'}\n")})
    load(services, folder)
    row = stored(services, "Digits")
    assert (row.value, row.max_attempts) == (200, 3)
    with services.database.session() as session:
        assert session.scalar(select(Hint.cost)) == 15
    refused = make_pack({}, files={"d/challenge.yml": "name: D\nvalue: '2OO'\nflags: ['x']\n"})
    with pytest.raises(packs.PackError) as info:
        load(services, refused)
    assert info.value.problems[0].startswith("d/challenge.yml:2: 'value' must be a whole number")


def test_challenge_yaml_is_found_and_both_names_in_one_folder_are_refused(services: Any, make_pack: Any) -> None:
    folder = make_pack({}, files={"y/challenge.yaml": "name: Spelled With A\nvalue: 10\nflags: ['x']\n"})
    assert load(services, folder).added == ["Spelled With A"]
    both = make_pack({}, files={"y/challenge.yaml": "name: A\nvalue: 10\nflags: ['x']\n",
                                "y/challenge.yml": "name: B\nvalue: 10\nflags: ['x']\n"})
    with pytest.raises(packs.PackError) as info:
        load(services, both)
    assert info.value.problems == ["y/challenge.yaml:0: this folder has both challenge.yml and challenge.yaml; keep one"]


def test_plugin_types_are_refused_by_name_saying_the_rest_loads(make_pack: Any) -> None:
    folder = make_pack({}, files={
        "k/challenge.yml": "name: Pod\nvalue: 100\ntype: kubectf\nflags: ['x']\nextra: {image: pod}\n",
        "a/challenge.yml": "name: Fine\nvalue: 100\nflags: ['x']\n",
        "b/challenge.yml": "name: Fine too\nvalue: 100\nflags: ['y']\n"})
    with pytest.raises(packs.PackError) as info:
        packs.read_folder(folder)
    assert info.value.problems == [
        "k/challenge.yml:3: type 'kubectf' is a CTFd plugin challenge type; Drillboard scores only standard and "
        "dynamic challenges and report tasks. Challenges without problems: 2; they load once this one is removed or given "
        "the type 'standard' or 'dynamic'"]
    (folder / "b" / "challenge.yml").write_text("name: Broken\nvalue: lots\nflags: ['y']\n")
    with pytest.raises(packs.PackError) as info:
        packs.read_folder(folder)
    assert "no problems" not in " ".join(info.value.problems) and len(info.value.problems) == 2


def test_requirement_ids_resolve_to_loaded_challenges_or_say_why_not(services: Any, make_pack: Any) -> None:
    folder = make_pack({}, files={"a/challenge.yml": "name: First\nvalue: 10\nflags: ['x']\n"}, name="ids")
    load(services, folder)
    first_id = stored(services, "First").id
    (folder / "b").mkdir()
    (folder / "b" / "challenge.yml").write_text(f"name: Second\nvalue: 10\nflags: ['y']\nrequirements: [{first_id}]\n")
    assert load(services, folder).added == ["Second"]
    assert stored(services, "Second").requirements == ["First"]
    assert load(services, folder, dry_run=True).changed == []        # the id is stored as the name it meant
    (folder / "b" / "challenge.yml").write_text("name: Second\nvalue: 10\nflags: ['y']\nrequirements: [4242]\n")
    with pytest.raises(packs.PackError) as info:
        load(services, folder, dry_run=True)
    assert info.value.problems == ["b/challenge.yml:4: the requirement 4242: no loaded challenge has this id"]
    other = make_pack({}, files={"c/challenge.yml": f"name: Elsewhere\nvalue: 1\nflags: ['z']\nrequirements: [{first_id}]\n"})
    with pytest.raises(packs.PackError) as info:
        load(services, other)
    assert "is 'First' of pack 'ids'" in info.value.problems[0]
    assert stored(services, "Second").requirements == ["First"]      # refused: nothing changed


def member(services: Any, team_id: int, name: str) -> dict[str, str]:
    with services.database.session() as session:
        user = accounts.create_member(session, session.get(Team, team_id), name, "correct horse battery")
        token = accounts.new_token(session, user=user)
    return {"Authorization": f"Bearer {token}"}


def test_logic_team_needs_every_member(services: Any, client: Any, make_pack: Any) -> None:
    load(services, make_pack({}, files={"t/challenge.yml": (
        "name: Together\nvalue: 100\nlogic: team\nattempts: 1\nflags: ['DRILL{all-of-us}']\n")}))
    team_id, team_token = team_with_token(services, "Pair")
    ann, bob = member(services, team_id, "ann"), member(services, team_id, "bob")
    url = f"/api/v1/challenges/{stored(services, 'Together').id}/attempts"
    first = client.post(url, json={"answer": "DRILL{all-of-us}"}, headers=ann).get_json()
    assert first["result"] == "incorrect" and "1 of 2" in first["message"]
    by_token = client.post(url, json={"answer": "DRILL{all-of-us}"}, headers=team_token).get_json()
    assert by_token["result"] == "incorrect" and "own login" in by_token["message"]
    # Right answers that do not finish it yet are no wrong answers: 'attempts: 1' is still unused.
    done = client.post(url, json={"answer": "DRILL{all-of-us}"}, headers=bob).get_json()
    assert done["result"] == "correct" and done["points"] == 100


def test_a_challenge_without_flags_is_shown_as_not_answerable(services: Any, client: Any, make_pack: Any) -> None:
    diff = load(services, make_pack({}, files={"n/challenge.yml": "name: Briefing\nvalue: 0\ndescription: read me\n"}))
    assert diff.added == ["Briefing"] and "no 'flags'" in diff.warnings[0]
    _, headers = team_with_token(services, "Readers")
    challenge_id = stored(services, "Briefing").id
    assert client.get(f"/api/v1/challenges/{challenge_id}", headers=headers).get_json()["answerable"] is False
    refused = client.post(f"/api/v1/challenges/{challenge_id}/attempts", json={"answer": "anything"}, headers=headers)
    assert refused.status_code == 403 and refused.get_json() == {"error": "this challenge takes no answers yet"}


HINTED = """\
name: Hinted
value: 100
flags: ['DRILL{h}']
hints:
  - {key: first, title: First, content: FIRST-TEXT, cost: 10}
  - {title: Second, content: SECOND-TEXT, cost: 5, requirements: [first]}
  - {title: Free after first, content: FREE-TEXT, requirements: [first]}
"""


def hint_ids(services: Any) -> list[int]:
    with services.database.session() as session:
        return list(session.scalars(select(Hint.id).order_by(Hint.position)))


def test_hint_requirements_are_enforced_in_the_api(services: Any, client: Any, make_pack: Any) -> None:
    load(services, make_pack({}, files={"h/challenge.yml": HINTED}))
    first, second, free = hint_ids(services)
    _, headers = team_with_token(services, "Hinters")
    detail = client.get(f"/api/v1/challenges/{stored(services, 'Hinted').id}", headers=headers).get_json()
    assert [(h["unlocked"], h["content"], h["requirements"]) for h in detail["hints"]] == [
        (False, None, []), (False, None, [first]), (False, None, [first])]
    refused = client.post(f"/api/v1/hints/{second}/unlock", headers=headers)
    assert refused.status_code == 403 and refused.get_json() == {"error": "unlock 'First' first"}
    assert client.post(f"/api/v1/hints/{free}/unlock", headers=headers).status_code == 403
    assert client.post(f"/api/v1/hints/{first}/unlock", headers=headers).status_code == 200
    detail = client.get(f"/api/v1/challenges/{stored(services, 'Hinted').id}", headers=headers).get_json()
    assert [h["unlocked"] for h in detail["hints"]] == [True, False, True]
    assert "FREE-TEXT" in detail["hints"][2]["content"]
    assert client.post(f"/api/v1/hints/{second}/unlock", headers=headers).status_code == 200
    board = client.get("/api/v1/scoreboard").get_json()["standings"]
    assert board[0]["score"] == -15   # both paid hints, once each


def test_hint_requirements_are_enforced_on_the_page(services: Any, app: Any, make_pack: Any) -> None:
    load(services, make_pack({}, files={"h/challenge.yml": HINTED}))
    first, second, _ = hint_ids(services)
    team_id, _ = team_with_token(services, "Page Hinters")
    member(services, team_id, "carol")
    client = app.test_client()
    client.post("/login", data={"csrf_token": csrf(client, "/login"), "name": "carol", "password": "correct horse battery"})
    page = f"/challenges/{stored(services, 'Hinted').id}"
    html = client.get(page).get_data(as_text=True)
    assert "Unlock First first." in html and "SECOND-TEXT" not in html and "FREE-TEXT" not in html
    client.post(f"/hints/{second}/unlock", data={"csrf_token": csrf(client, page), "confirmed": "1"})
    assert "SECOND-TEXT" not in client.get(page).get_data(as_text=True)
    client.post(f"/hints/{first}/unlock", data={"csrf_token": csrf(client, page), "confirmed": "1"})
    html = client.get(page).get_data(as_text=True)
    assert "FIRST-TEXT" in html and "FREE-TEXT" in html and "SECOND-TEXT" not in html


def test_solution_is_read_from_its_file_and_shown_to_organizers_only(services: Any, app: Any, make_pack: Any) -> None:
    folder = make_pack({}, files={
        "s/challenge.yml": "name: Solved\nvalue: 10\nflags: ['x']\nsolution: {path: writeup/WRITEUP.md, state: solved}\n",
        "s/writeup/WRITEUP.md": "# How\n\nRun **strings** on it.\n"})
    diff = load(services, folder)
    assert any("solution state 'solved' is ignored" in w for w in diff.warnings)
    row = stored(services, "Solved")
    assert row.solution == "# How\n\nRun **strings** on it.\n"
    with services.database.session() as session:
        _, password, _ = accounts.create_admin(session, "boss")
    client = app.test_client()
    client.post("/login", data={"csrf_token": csrf(client, "/login"), "name": "boss", "password": password})
    html = client.get(f"/console/challenges/{row.id}").get_data(as_text=True)
    assert "<strong>strings</strong>" in html
    _, headers = team_with_token(services, "Curious")
    assert "strings" not in client.get(f"/api/v1/challenges/{row.id}", headers=headers).get_data(as_text=True)
    missing = make_pack({}, files={"s/challenge.yml": "name: S\nvalue: 1\nflags: ['x']\nsolution: writeup/WRITEUP.md\n"})
    with pytest.raises(packs.PackError) as info:
        packs.read_folder(missing)
    assert info.value.problems == ["s/challenge.yml:4: the solution file 'writeup/WRITEUP.md' was not found in the pack"]


def test_unknown_fields_of_real_repositories_are_warnings(services: Any, make_pack: Any) -> None:
    folder = make_pack({}, files={"r/challenge.yml": (
        "id: 17\nname: Tooling\ndifficulty: easy\nvalue: 100\nflags: ['x']\nsubmit: web\nhosting: {port: 80}\n")})
    diff = load(services, folder)
    assert diff.added == ["Tooling"]
    # 'id' is read: the challenge's stable identity in its pack (a rename keeps its solves).
    assert [w.split(": ", 1)[0] for w in diff.warnings] == ["r/challenge.yml:3", "r/challenge.yml:6",
                                                            "r/challenge.yml:7"]
    with pytest.raises(packs.PackError) as info:
        load(services, folder, strict=True)
    assert len(info.value.problems) == 3 == info.value.count
