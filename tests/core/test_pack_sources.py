"""Packs from several sources (issue #25): which pack a load goes to, what it may do to solves,
folders and zips alike, ctfcli's file names, CTFd's dynamic defaults and locked challenges.

The repositories here are shaped as the real ones the issue tried: category folders of
``challenge.yml`` files, no pack.yml, one name ("Inspect Me") in both, GitHub's "Download ZIP"
folder ``NAME-main`` beside the clone ``NAME``.
"""
from __future__ import annotations

import itertools
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from corekit import team_with_token
from helpers import csrf, logged_in, organizer_account
from helpers import load_pack as load
from sqlalchemy import select

from scoreboard import packs
from scoreboard.core.scoring import dynamic_value
from scoreboard.drill import organizer
from scoreboard.store.db import Database
from scoreboard.store.models import Challenge, Solve, utcnow

ROOT = Path(__file__).resolve().parents[2]


def challenge_yml(name: str, flag: str, category: str = "Web", value: int = 100, extra: str = "") -> str:
    return (f"name: {name}\nauthor: someone\ncategory: {category}\ndescription: {name}, as its authors wrote it\n"
            f"value: {value}\ntype: standard\nflags:\n  - {flag}\n{extra}")


def repository(base: Path, name: str, challenges: dict[str, tuple[str, str]]) -> Path:
    """A ctfcli repository as cloned: ``category/slug/challenge.yml`` for each (name, flag), a README."""
    root = base / name
    for folder, (title, flag) in challenges.items():
        (root / folder).mkdir(parents=True)
        (root / folder / "challenge.yml").write_text(challenge_yml(title, flag, folder.split("/")[0].title()))
    (root / "README.md").write_text(f"# {name}\n")
    return root


def zip_with_links(folder: Path, target: Path) -> Path:
    """A zip as GitHub's "Download ZIP" (and ``zip -ry``) makes it: links stored as links."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for here, dirs, files in os.walk(folder):
            for name in sorted(dirs + files):
                path = Path(here) / name
                arcname = f"{folder.name}/{path.relative_to(folder).as_posix()}"
                if path.is_symlink():
                    info = zipfile.ZipInfo(arcname)
                    info.create_system = 3
                    info.external_attr = (stat.S_IFLNK | 0o777) << 16
                    archive.writestr(info, os.readlink(path))
                elif path.is_file():
                    archive.write(path, arcname)
    return target


def cli(app_env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", "drill", *args], cwd=ROOT, env=app_env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def app_env(settings: Any) -> dict[str, str]:
    return {**os.environ, "DRILLBOARD_INSTANCE": str(settings.instance), "DRILLBOARD_SECRET_KEY": "test-secret",
            "DRILLBOARD_DEMO": "0"}


@pytest.fixture
def repos(tmp_path: Path) -> dict[str, Path]:
    alpha = repository(tmp_path / "clones", "ctf-alpha", {
        "web/inspect-me": ("Inspect Me", "alpha{view-source}"), "web/cookie": ("Cookie Jar", "alpha{cookie}"),
        "crypto/rsa": ("Tiny RSA", "alpha{e=3}")})
    bravo = repository(tmp_path / "clones", "ctf-bravo", {
        "web/inspect-me": ("Inspect Me", "bravo{devtools}"), "web/login": ("Login Bypass", "bravo{' or 1=1}"),
        "pwn/ret": ("Ret2win", "bravo{ret}")})
    download = shutil.copytree(alpha, tmp_path / "downloads" / "ctf-alpha-main")
    return {"alpha": alpha, "bravo": bravo, "alpha-main": download,
            "alpha-zip": zip_with_links(download, tmp_path / "downloads" / "ctf-alpha-main.zip")}


# --- which pack --------------------------------------------------------------------------------


def test_the_dry_run_says_what_names_the_pack(services: Any, repos: dict[str, Path], make_pack: Any) -> None:
    diff = load(services, repos["alpha"], dry_run=True)
    assert diff.pack_id == "ctf-alpha" and diff.named_by == "folder"
    assert diff.lines()[0] == "pack ctf-alpha (named after the folder 'ctf-alpha'; --pack ID or pack.yml's id names it otherwise):"
    assert load(services, repos["alpha"], dry_run=True, pack_id="alpha").lines()[0] == "pack alpha (named by --pack):"
    named = make_pack({"a": {"name": "A", "value": 1, "flags": ["x"]}}, pack={"id": "from-yml"})
    assert load(services, named, dry_run=True).named_by == "pack.yml"
    assert load(services, named, dry_run=True, pack_id="chosen").pack_id == "chosen"   # --pack wins
    with pytest.raises(packs.PackError) as refused:
        load(services, named, dry_run=True, pack_id="Not An Id")
    assert refused.value.problems == [".:0: '--pack' must be lowercase letters, digits, - or _ (at most 100), "
                                      "not 'Not An Id'"]


def test_a_download_zip_folder_is_named_and_pack_makes_it_the_clone(services: Any, repos: dict[str, Path]) -> None:
    load(services, repos["alpha"])
    for source in ("alpha-main", "alpha-zip"):
        diff = load(services, repos[source], dry_run=True)
        assert diff.pack_id == "ctf-alpha-main" and len(diff.added) == 3
        assert any("looks like GitHub's \"Download ZIP\" of 'ctf-alpha'" in w and "--pack ctf-alpha" in w
                   for w in diff.warnings), diff.warnings
        assert sum("is also a challenge of pack 'ctf-alpha'" in w for w in diff.warnings) == 3
        same = load(services, repos[source], pack_id="ctf-alpha")
        assert same.pack_id == "ctf-alpha" and same.added == same.changed == same.removed == []
        assert len(same.unchanged) == 3
    with services.database.session() as session:
        assert len(session.scalars(select(Challenge)).all()) == 3


def test_a_name_in_two_packs_warns_naming_both(services: Any, repos: dict[str, Path]) -> None:
    load(services, repos["alpha"])
    diff = load(services, repos["bravo"])
    assert diff.warnings == ["web/inspect-me/challenge.yml:1: 'Inspect Me' is also a challenge of pack 'ctf-alpha'; "
                             "loaded into pack 'ctf-bravo', teams see it twice (if both are one repository, load it "
                             "with --pack ctf-alpha)"]


# --- what a load may do to solves ---------------------------------------------------------------


def solve(services: Any, client: Any, headers: dict[str, str], name: str, flag: str, pack: str) -> int:
    with services.database.session() as session:
        challenge_id = session.scalar(select(Challenge.id).where(Challenge.name == name, Challenge.pack_id == pack))
    result = client.post(f"/api/v1/challenges/{challenge_id}/attempts", json={"answer": flag}, headers=headers)
    assert result.get_json()["result"] == "correct"
    return challenge_id


def test_removing_or_reflagging_a_solved_challenge_needs_yes(services: Any, client: Any, repos: dict[str, Path],
                                                            app_env: dict[str, str]) -> None:
    alpha = repos["alpha"]
    load(services, alpha)
    _, headers = team_with_token(services, "Solvers")
    _, other = team_with_token(services, "Others")
    solve(services, client, headers, "Tiny RSA", "alpha{e=3}", "ctf-alpha")
    solve(services, client, other, "Tiny RSA", "alpha{e=3}", "ctf-alpha")
    solve(services, client, headers, "Inspect Me", "alpha{view-source}", "ctf-alpha")
    shutil.rmtree(alpha / "crypto")
    (alpha / "web/inspect-me/challenge.yml").write_text(challenge_yml("Inspect Me", "alpha{new}"))
    (alpha / "web/cookie/challenge.yml").write_text(challenge_yml("Cookie Jar", "alpha{cookie2}"))  # unsolved: free

    dry = load(services, alpha, dry_run=True)
    assert dry.at_risk == [{"name": "Inspect Me", "solves": 1, "why": "flags"},
                           {"name": "Tiny RSA", "solves": 2, "why": "removed"}]
    assert dry.lines()[-3:] == ["  solves at stake (2; loading needs --yes):",
                                "    ! the load changes the flags of 'Inspect Me', solved 1 time(s)",
                                "    ! the load removes 'Tiny RSA', solved 2 time(s)"]
    refused = cli(app_env, "load-pack", str(alpha))
    assert refused.returncode == 1, refused.stderr
    assert "the load removes 'Tiny RSA', solved 2 time(s)" in refused.stderr
    assert "2 problem(s); nothing was loaded" in refused.stderr
    with services.database.session() as session:
        assert not session.scalar(select(Challenge).where(Challenge.name == "Tiny RSA")).removed
    done = cli(app_env, "load-pack", str(alpha), "--yes")
    assert done.returncode == 0, done.stderr
    assert "1 added" not in done.stdout and "1 removed" in done.stdout


def test_the_console_names_the_pack_and_asks_before_solves_are_at_stake(services: Any, app: Any, client: Any,
                                                                          repos: dict[str, Path]) -> None:
    alpha = repos["alpha"]
    load(services, alpha)
    _, headers = team_with_token(services, "Solvers")
    solve(services, client, headers, "Tiny RSA", "alpha{e=3}", "ctf-alpha")
    shutil.rmtree(alpha / "crypto")
    browser, _ = logged_in(app, "boss", organizer_account(services, "boss"))
    form = {"csrf_token": csrf(browser, "/console/packs"), "path": str(alpha)}
    check = browser.post("/console/packs/check", data={**form, "pack_id": "other"}).get_data(as_text=True)
    assert "Pack other is valid" in check and "Named by the pack id you gave." in check
    check = browser.post("/console/packs/check", data=form).get_data(as_text=True)
    assert "Named after its folder ctf-alpha" in check and "1 challenge with solves is at stake" in check
    assert "Tiny RSA is removed (1 solve)" in check and 'name="yes" value="1"' in check
    refused = browser.post("/console/packs/apply", data=form)   # without the confirmation: asked again
    assert refused.status_code == 409 and "Tiny RSA is removed (1 solve)" in refused.get_data(as_text=True)
    with services.database.session() as session:
        assert not session.scalar(select(Challenge).where(Challenge.name == "Tiny RSA")).removed
    assert browser.post("/console/packs/apply", data={**form, "yes": "1"}).status_code == 302
    with services.database.session() as session:
        assert session.scalar(select(Challenge).where(Challenge.name == "Tiny RSA")).removed


def test_a_challenge_id_keeps_its_row_through_a_rename(services: Any, client: Any, make_pack: Any) -> None:
    folder = make_pack({}, files={"w/challenge.yml": "id: web-01\n" + challenge_yml("Inspect Me", "x{1}")}, name="keyed")
    load(services, folder)
    _, headers = team_with_token(services, "Renamers")
    first = solve(services, client, headers, "Inspect Me", "x{1}", "keyed")
    (folder / "w/challenge.yml").write_text("id: web-01\n" + challenge_yml("Inspect Me Again", "x{1}"))
    diff = load(services, folder)
    assert diff.changed == ["Inspect Me Again"] and diff.removed == [] and diff.added == []
    with services.database.session() as session:
        row = session.get(Challenge, first)
        assert row.name == "Inspect Me Again" and row.key == "web-01"
        assert session.scalar(select(Solve.challenge_id)) == first
    (folder / "w/challenge.yml").write_text("id: web-02\n" + challenge_yml("Inspect Me Again", "x{1}"))
    with pytest.raises(packs.PackError) as refused:
        load(services, folder)
    assert "has the id 'web-02', but the pack's loaded 'Inspect Me Again' has the id 'web-01'" in refused.value.problems[0]


def test_merge_adds_a_category_folder_and_keeps_the_rest(services: Any, repos: dict[str, Path]) -> None:
    alpha, bravo = repos["alpha"], repos["bravo"]
    load(services, alpha / "web", pack_id="ctf", merge=True)
    load(services, alpha / "crypto", pack_id="ctf", merge=True)
    again = load(services, alpha / "web", pack_id="ctf", merge=True)
    assert again.removed == [] and sorted(again.unchanged) == ["Cookie Jar", "Inspect Me"]
    without = load(services, alpha / "web", pack_id="ctf", dry_run=True)
    assert without.removed == ["Tiny RSA"]    # without --merge a folder is the whole pack
    with services.database.session() as session:
        names = session.scalars(select(Challenge.name).where(Challenge.pack_id == "ctf", Challenge.removed.is_(False)))
        assert sorted(names) == ["Cookie Jar", "Inspect Me", "Tiny RSA"]
    other = load(services, bravo / "web", pack_id="ctf", merge=True, dry_run=True)
    assert other.changed == ["Inspect Me"] and other.added == ["Login Bypass"]   # the same name is the same challenge


def fresh_database(template: Path, target: Path) -> Database:
    shutil.copyfile(template, target)
    return Database(f"sqlite:///{target}")


# What organizers load, as (label, path key, --pack, --merge): the case is the two web
# folders, each a pack named "web", one over the other.
SOURCES = [
    ("alpha clone", "alpha", None, False),
    ("bravo clone", "bravo", None, False),
    ("alpha's web folder alone", "alpha/web", None, False),
    ("bravo's web folder alone", "bravo/web", None, False),
]


def _path(repos: dict[str, Path], key: str) -> Path:
    name, _, sub = key.partition("/")
    return repos[name] / sub if sub else repos[name]


def _snapshot(session: Any) -> dict[int, tuple[str, str, list[Any], bool]]:
    return {row.id: (row.pack_id, row.name, [(a.type, a.content) for a in row.answers], row.removed)
            for row in session.scalars(select(Challenge))}


def test_no_solve_ever_changes_challenge_whatever_the_order(repos: dict[str, Path], tmp_path: Path) -> None:
    """Two repositories and their category folders, loaded in every order: after each load a team
    solves everything open; whatever loads later, every solve's challenge stays the one that was
    solved (same pack, name and flags, not removed), or the load is refused."""
    template = tmp_path / "template.db"
    made = Database(f"sqlite:///{template}")
    made.migrate()
    made.engine.dispose()   # the last connection's close writes the WAL into the file copied below
    files = tmp_path / "files"
    orders = list(itertools.permutations(SOURCES))
    refusals = 0
    for number, order in enumerate(orders):
        database = fresh_database(template, tmp_path / "order.db")
        with database.session() as session:
            team = organizer.create_team(session, "Solvers", "KZ", "test")
        solved: dict[int, tuple[str, str, list[Any], bool]] = {}
        for label, key, pack_id, merge in order:
            try:
                with database.session() as session:
                    packs.load(session, _path(repos, key), files, pack_id=pack_id, merge=merge)
            except packs.Unconfirmed:
                refusals += 1
            with database.session() as session:
                now = _snapshot(session)
                assert {cid: now[cid] for cid in solved} == solved, (number, [s[0] for s in order], label)
                for cid, (_pack, _name, _flags, removed) in now.items():
                    if not removed and cid not in solved:
                        session.add(Solve(team_id=team.id, challenge_id=cid, at=utcnow()))
                        solved[cid] = now[cid]
        database.engine.dispose()
    assert len(orders) == 24 and refusals > 0   # the dangerous orders were there, and were stopped


# --- folders and zips alike -----------------------------------------------------------------------


def linked_pack(make_pack: Any, outside: Path | None = None) -> Path:
    """DUCTF's shape: a public file that is a link to the setup folder's, and a linked folder."""
    folder = make_pack({}, files={
        "web/app/challenge.yml": challenge_yml("Linked", "x{1}", extra="files:\n  - public/server.py\n  - dist/notes.txt\n"),
        "web/app/setup/server.py": "print('hi')\n", "web/app/setup/notes/notes.txt": "notes\n",
        "shared/challenge.yml": challenge_yml("Shared", "x{2}")}, name="linked")
    (folder / "web/app/public").mkdir()
    (folder / "web/app/public/server.py").symlink_to("../setup/server.py")
    (folder / "web/app/dist").symlink_to("setup/notes")
    (folder / "web/also").symlink_to("../shared")   # a folder of challenges reached twice is read once
    if outside is not None:
        (folder / "web/app/secret.txt").symlink_to(outside)
    return folder


def test_links_inside_the_pack_load_the_same_from_a_folder_and_a_zip(services: Any, make_pack: Any,
                                                                    tmp_path: Path) -> None:
    folder = linked_pack(make_pack)
    from_folder = load(services, folder, dry_run=True)
    from_zip = load(services, zip_with_links(folder, tmp_path / "linked.zip"))
    assert sorted(from_folder.added) == sorted(from_zip.added) == ["Linked", "Shared"]
    with services.database.session() as session:
        files = session.scalar(select(Challenge).where(Challenge.name == "Linked")).files
        assert sorted((f.name, f.size) for f in files) == [("notes.txt", 6), ("server.py", 12)]


@pytest.mark.parametrize("target", ["absolute", "relative", "chain"])
def test_a_file_through_a_link_leaving_the_pack_is_refused_from_a_folder_and_a_zip(
        target: str, services: Any, make_pack: Any, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("server secret")
    folder = linked_pack(make_pack)
    (folder / "web/app/challenge.yml").write_text(
        challenge_yml("Linked", "x{1}", extra="files:\n  - public/server.py\n  - secret.txt\n"))
    link = folder / "web/app/secret.txt"
    if target == "absolute":
        link.symlink_to(secret)
    elif target == "relative":
        link.symlink_to("../../../secret.txt")
    else:   # each link stays inside by its text; together they leave
        (folder / "web/app/up").symlink_to("..")
        link.symlink_to("up/../../secret.txt")
    archive = zip_with_links(folder, tmp_path / "out.zip")
    for source in (folder, archive):
        with pytest.raises(packs.PackError) as refused:
            load(services, source)
        assert any("challenge.yml" in p and "'secret.txt' points outside the pack" in p
                   for p in refused.value.problems), (source, refused.value.problems)
        assert "server secret" not in repr(refused.value.problems)
    with services.database.session() as session:
        assert session.scalars(select(Challenge)).all() == []


def test_links_leaving_the_pack_that_no_challenge_reads_only_warn(services: Any, make_pack: Any,
                                                                  tmp_path: Path) -> None:
    """DUCTF 2024's shape: a challenge's source holds an OS image profile whose links point at
    /usr/lib/systemd and /dev/null; nothing the pack loads goes through them."""
    folder = linked_pack(make_pack)
    profile = folder / "web/app/src/airootfs/etc"
    profile.mkdir(parents=True)
    (profile / "localtime").symlink_to("/usr/share/zoneinfo/UTC")
    (profile / "generator").symlink_to("/dev/null")
    (profile / "up").symlink_to("../../../../../..")
    for source in (folder, zip_with_links(folder, tmp_path / "out.zip")):
        diff = load(services, source, dry_run=True)
        assert sorted(diff.added) == ["Linked", "Shared"], source
        outside = [w for w in diff.warnings if "point outside the pack" in w]
        assert len(outside) == 1 and "3 symbolic link(s)" in outside[0] and "not followed" in outside[0], diff.warnings


def test_pack_yml_through_a_link_leaving_the_pack_is_never_read(services: Any, make_pack: Any,
                                                                tmp_path: Path) -> None:
    secret = tmp_path / "secret.yml"
    secret.write_text("server secret: [\n")
    folder = linked_pack(make_pack)
    (folder / "pack.yml").symlink_to(secret)
    for source in (folder, zip_with_links(folder, tmp_path / "out.zip")):
        with pytest.raises(packs.PackError) as refused:
            load(services, source, dry_run=True)
        assert any("pack.yml:0: symbolic link to" in p and "points outside the pack" in p
                   for p in refused.value.problems), refused.value.problems
        assert "server secret" not in repr(refused.value.problems)


# --- ctfcli's file names ----------------------------------------------------------------------------


DUCTF_INFRA = "apiVersion: kube-ctf.downunderctf.com/v1\nkind: IsolatedChallenge\nmetadata:\n  name: web-inspect\n"


def test_ctfcli_yaml_is_found_with_file_name_and_named_without(services: Any, make_pack: Any) -> None:
    folder = make_pack({}, files={
        "web/inspect/challenge.yaml": DUCTF_INFRA, "web/inspect/ctfcli.yaml": challenge_yml("Inspect", "DUCTF{a}"),
        "pwn/ret/challenge.yaml": DUCTF_INFRA, "pwn/ret/ctfcli.yaml": challenge_yml("Ret", "DUCTF{b}", "Pwn")},
        name="ductf")
    with pytest.raises(packs.PackError) as refused:
        load(services, folder)
    assert refused.value.problems == [".:0: Files found: 2; none of them is a ctfcli challenge (see the warnings)"]
    assert "pwn/ret/ctfcli.yaml:0: 2 file(s) named ctfcli.yaml were not read (this pack is read for challenge.yml or " \
           "challenge.yaml); if they are the challenges, load with --file-name ctfcli.yaml (or file_name: ctfcli.yaml " \
           "in pack.yml)" in refused.value.warnings
    assert "web/inspect/challenge.yaml:1: not a ctfcli challenge (no 'name', 'flags' or 'value': another tool's " \
           "file?); skipped" in refused.value.warnings
    diff = load(services, folder, file_name="ctfcli.yaml")
    assert sorted(diff.added) == ["Inspect", "Ret"]
    assert any("2 file(s) named challenge.yaml were not read" in w for w in diff.warnings)
    (folder / "pack.yml").write_text("id: ductf\nfile_name: ctfcli.yaml\n")
    assert sorted(load(services, folder).unchanged) == ["Inspect", "Ret"]


# --- CTFd's meanings ----------------------------------------------------------------------------------


def test_dynamic_needs_only_initial_and_decays_as_ctfd(services: Any, client: Any, make_pack: Any) -> None:
    folder = make_pack({}, files={"d/challenge.yml": "name: Curve\ntype: dynamic\nextra: {initial: 500}\nflags: [x]\n",
                                  "e/challenge.yml": "name: Slow\ntype: dynamic\nextra: {initial: 500, decay: 0,"
                                                     " minimum: 50, function: linear}\nflags: [y]\n"})
    assert sorted(load(services, folder).added) == ["Curve", "Slow"]
    with services.database.session() as session:
        curve = session.scalar(select(Challenge).where(Challenge.name == "Curve"))
        assert (curve.initial, curve.decay, curve.minimum) == (500, 0, 0)
    # CTFd 3.8.7's decay.py: decay 0 counts as 1, so the second solver already gets the minimum.
    assert [dynamic_value(500, 0, 0, n) for n in (1, 2, 3)] == [500, 0, 0]
    assert [dynamic_value(500, 0, 50, n, "linear") for n in (1, 2, 3)] == [500, 500, 500]
    headers = [team_with_token(services, f"Team {i}")[1] for i in range(2)]
    for header in headers:
        solve(services, client, header, "Curve", "x", folder.name)
    listed = client.get("/api/v1/challenges", headers=headers[0]).get_json()["challenges"]
    assert {c["name"]: c["value"] for c in listed}["Curve"] == 0


def test_locked_challenges_are_hidden_or_anonymized_as_ctfd(services: Any, client: Any, make_pack: Any) -> None:
    folder = make_pack({}, files={
        "a/challenge.yml": challenge_yml("First", "x{1}"),
        "b/challenge.yml": challenge_yml("Hidden Next", "x{2}", "Secret Category", 321, "requirements: [First]\n"),
        "c/challenge.yml": challenge_yml("Masked Next", "x{3}", "Secret Category", 654,
                                         "requirements: {prerequisites: [First], anonymize: true}\n")}, name="locks")
    load(services, folder)
    _, headers = team_with_token(services, "Lockpickers")
    body = client.get("/api/v1/challenges", headers=headers).get_data(as_text=True)
    for leak in ("Hidden Next", "Masked Next", "Secret Category", "321", "654"):
        assert leak not in body
    listed = client.get("/api/v1/challenges", headers=headers).get_json()["challenges"]
    assert [(c["name"], c["category"], c["value"], c["locked"]) for c in listed] == [
        ("First", "Web", 100, False), ("???", "???", 0, True)]
    solve(services, client, headers, "First", "x{1}", "locks")
    listed = client.get("/api/v1/challenges", headers=headers).get_json()["challenges"]
    assert {c["name"]: (c["category"], c["value"]) for c in listed} == {
        "First": ("Web", 100), "Hidden Next": ("Secret Category", 321), "Masked Next": ("Secret Category", 654)}


# --- messages that say what to write -----------------------------------------------------------------


def problems_and_warnings(folder: Path) -> tuple[list[str], list[str]]:
    try:
        spec = packs.read_folder(folder)
    except packs.PackError as err:
        return err.problems, err.warnings
    return [], spec.warnings


def test_messages_say_what_to_write(make_pack: Any) -> None:
    folder = make_pack({}, files={
        "a/challenge.yml": "name: Cookie\ncategory: {{category}}\nvalue: 1\nflags: [x]\n",
        "b/challenge.yml": "name: Curve\ntype: dynamic\nextra: {initial: 500}\ndecay: 20\nflags: [x]\n",
        "c/challenge.yml": "name: Tested\nvalue: 1\nflags: [x]\ntests: [solve.py]\n"})
    found, warnings = problems_and_warnings(folder)
    assert "a/challenge.yml:2: {{category}} is read as a YAML mapping, not text; quote it: '{{category}}'" in found
    assert "b/challenge.yml:4: 'decay' belongs under 'extra:' (extra: {decay: 20}); move it there" in found
    assert "c/challenge.yml:4: unknown field 'tests'; ignored" in warnings


def test_the_problem_count_counts_every_problem(services: Any, make_pack: Any, app_env: dict[str, str]) -> None:
    folder = make_pack({}, files={f"c{i}/challenge.yml": "name: x\nvalue: lots\nflags: [x]\n" for i in range(204)},
                       name="many")
    with pytest.raises(packs.PackError) as refused:
        load(services, folder)
    assert refused.value.count == 204 + 203   # every bad value, and every name after the first is a duplicate
    assert refused.value.problems[-1] == ".:0: Problems not shown: 207 more."
    result = cli(app_env, "load-pack", str(folder))
    assert result.returncode == 1 and "407 problem(s); nothing was loaded" in result.stderr
