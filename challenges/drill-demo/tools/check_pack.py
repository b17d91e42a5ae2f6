#!/usr/bin/env python3
"""Self-check of the drill-demo pack (organizer tool, not part of the platform).

  * every challenge.yml loads with yaml.safe_load and uses only allowed fields;
  * required fields are present, names are unique, requirements point to real names;
  * every listed file exists, each < 100 KB, the whole pack < 400 KB;
  * the attachments reproduce byte for byte from build_artifacts.py;
  * the answers derived by solve_all.py are accepted by each challenge's flags.

    python challenges/drill-demo/tools/check_pack.py
"""
from __future__ import annotations

import ipaddress
import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

TOOLS = Path(__file__).resolve().parent
PACK = TOOLS.parent
ALLOWED = {"name", "author", "category", "description", "value", "type", "extra", "flags", "hints",
           "files", "tags", "topics", "requirements", "state", "attempts", "connection_info",
           "version", "attribution", "logic", "scheduled_at", "release_at", "release_after",
           "translations", "solution"}
REQUIRED = {"name", "author", "category", "description", "value", "flags", "files", "tags", "solution"}
CATEGORIES = {"Forensics", "Network", "Log analysis", "Crypto/Encoding", "OSINT"}

errors: list[str] = []


def err(msg: str) -> None:
    errors.append(msg)
    print("ERROR:", msg)


def accepts(flag, answer: str) -> bool:
    answer = answer.strip()
    if isinstance(flag, str):
        return answer == flag
    t, c = flag.get("type", "static"), flag["content"]
    if t == "static":
        if flag.get("data") == "case_insensitive":
            return answer.lower() == c.lower()
        return answer == c
    if t == "regex":
        return re.fullmatch(c, answer) is not None
    if t == "ip":
        return ipaddress.ip_address(answer) == ipaddress.ip_address(c)
    if t == "hash":
        return answer.lower() == c.lower()
    if t == "number":
        return abs(float(answer) - float(c)) <= float(flag.get("tolerance", 0))
    if t == "set":
        return {x.strip().lower() for x in answer.split(",")} == {x.lower() for x in c}
    if t == "choice":
        return answer.lower() == c.lower()
    raise ValueError(f"unknown flag type {t}")


def main() -> int:
    pack = yaml.safe_load((PACK / "pack.yml").read_text())
    if pack.get("id") != "drill-demo" or pack.get("first_blood_bonus") != 10:
        err("pack.yml: id / first_blood_bonus")
    for k in ("starts_at", "ends_at", "freeze_at"):
        if k in pack:
            err(f"pack.yml must not set {k}")

    challenges = {}
    for path in sorted(PACK.rglob("challenge.yml")):
        rel = path.relative_to(PACK)
        ch = yaml.safe_load(path.read_text())
        if ch.get("type") == "report":  # judged against its rubric: no flags, no solver answer
            if not ch.get("rubric") or "flags" in ch or ch.get("category") != "Reports":
                err(f"{rel}: a report task needs a rubric, no flags and the category Reports")
            continue
        extra_keys = set(ch) - ALLOWED
        missing = REQUIRED - set(ch)
        if extra_keys:
            err(f"{rel}: fields not allowed: {sorted(extra_keys)}")
        if missing:
            err(f"{rel}: missing fields: {sorted(missing)}")
        if ch["name"] in challenges:
            err(f"{rel}: duplicate name {ch['name']}")
        if ch["category"] not in CATEGORIES:
            err(f"{rel}: category {ch['category']!r}")
        if ch.get("author") != "Drillboard team":
            err(f"{rel}: author")
        if ch.get("type", "standard") == "dynamic":
            ex = ch.get("extra") or {}
            if ch["value"] != ex.get("initial") or not {"initial", "decay", "minimum"} <= set(ex):
                err(f"{rel}: dynamic value/extra")
        elif not 100 <= ch["value"] <= 300:
            err(f"{rel}: standard value out of 100-300")
        for fpath in ch["files"]:
            p = path.parent / fpath
            if not p.is_file():
                err(f"{rel}: missing file {fpath}")
            elif p.stat().st_size >= 100_000:
                err(f"{rel}: {fpath} is >= 100 KB")
        for h in ch.get("hints", []):
            if not isinstance(h, str) and not {"content"} <= set(h) <= {"content", "cost", "title"}:
                err(f"{rel}: bad hint {h}")
        for lang, tr in (ch.get("translations") or {}).items():
            if set(tr) - {"name", "description"}:
                err(f"{rel}: translation {lang} has extra keys")
        challenges[ch["name"]] = (rel, ch)

    for name, (rel, ch) in challenges.items():
        for req in ch.get("requirements", []):
            if req not in challenges:
                err(f"{rel}: requirement {req!r} is not a challenge name")

    total = sum(p.stat().st_size for p in PACK.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    print(f"challenges: {len(challenges)}; pack size: {total} bytes")
    if total >= 400_000:
        err("pack >= 400 KB")

    r = subprocess.run([sys.executable, str(TOOLS / "build_artifacts.py"), "--check"], capture_output=True, text=True)
    print(r.stdout.strip())
    if r.returncode:
        err("artefacts do not reproduce")

    r = subprocess.run([sys.executable, str(TOOLS / "solve_all.py")], capture_output=True, text=True)
    if r.returncode:
        err("solve_all.py failed:\n" + r.stderr)
        answers = {}
    else:
        answers = json.loads(r.stdout)
    for name, (rel, ch) in challenges.items():
        if name not in answers:
            err(f"no solver answer for {name!r}")
            continue
        flags = ch["flags"] if isinstance(ch["flags"], list) else [ch["flags"]]
        ok = any(accepts(fl, answers[name]) for fl in flags)
        print(f"{'ok ' if ok else 'BAD'} {name}: {answers[name]}")
        if not ok:
            err(f"{name}: solver answer not accepted")

    # the regex must not accept near misses
    wl = challenges.get("Webshell Location")
    if wl:
        rx = wl[1]["flags"][0]["content"]
        for wrong in ("DRILL{/uploads/2025/10/shell.php}", "DRILL{/uploads/2025/10/thumb_cache.php?c=id}",
                      "DRILL{}", "DRILL{/uploads/2025/10/thumb_cacheXphp}"):
            if re.fullmatch(rx, wrong):
                err(f"regex accepts {wrong}")
    # the wallet in Wallet Pivot is the one in the ransom note
    note = (PACK / "crypto-encoding/ransom-note/files/README_RESTORE_FILES.txt").read_text()
    wallet = re.search(r"bc1q[a-z0-9]+", note).group()
    if wallet not in challenges["Wallet Pivot"][1]["description"]:
        err("Wallet Pivot description does not quote the ransom wallet")

    print("PASS" if not errors else f"FAIL ({len(errors)} errors)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
