"""The consistency checker: holds every built artefact to the case file and to each other.

It reads the artefacts the way an investigator would (it does not ask the generators what
they meant to write), so a contradiction a player could find fails the build:
- every address and domain named anywhere exists in the case file;
- the same file has the same size and hash everywhere it is described, and matches its bytes
  where the file itself is an artefact;
- no file is born before its source (a copy before its original, a shortcut before its
  target, a download before its start, a photo's copy before the photo);
- each dated event the artefacts show equals the case file's time, and the case's ordered
  pairs hold; every time stamp falls inside the case's window.
"""
from __future__ import annotations

import csv
import ipaddress
import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.utils import parsedate_to_datetime
from pathlib import Path

from world import CASE, when

IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
DOMAIN = re.compile(r"[a-z0-9][a-z0-9.-]*\.example\.(?:org|net|com)", re.I)
ISO = re.compile(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ")
WINDOW = (datetime(2026, 8, 1, tzinfo=UTC), datetime(2026, 11, 16, tzinfo=UTC))
WEBKIT = datetime(1601, 1, 1, tzinfo=UTC)


def _find(root: Path, name: str) -> Path:
    return next(root.rglob(f"files/{name}"))


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(line for line in path.read_text().splitlines() if not line.startswith("#")))


def _texts(root: Path) -> dict[str, str]:
    """Every artefact as text (databases dumped, the capture's names decoded)."""
    texts: dict[str, str] = {}
    for path in sorted({p.name: p for p in root.rglob("files/*")}.values(), key=lambda p: p.name):
        if path.name in ("tessera_ph02.db", "History"):
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
                texts[path.name] = "\n".join(con.iterdump())
        elif path.suffix == ".pcap":
            texts[path.name] = "\n".join(_pcap_lines(path))
        elif path.suffix in (".jpg", ".kstl"):
            continue
        else:
            texts[path.name] = path.read_text(encoding="utf-8")
    return texts


def _pcap_lines(path: Path) -> list[str]:
    import dpkt
    lines = []
    with path.open("rb") as handle:
        for stamp, frame in dpkt.pcap.Reader(handle):
            ip = dpkt.ethernet.Ethernet(frame).data
            dns = dpkt.dns.DNS(ip.data.data)
            moment = datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            addresses = [ipaddress.ip_address(ip.src), ipaddress.ip_address(ip.dst)]
            addresses += [ipaddress.ip_address(an.rdata) for an in dns.an if an.type == dpkt.dns.DNS_A]
            lines.append(f"{moment} {' '.join(map(str, addresses))} {dns.qd[0].name}")
    return lines


def names_and_addresses(texts: dict[str, str]) -> list[str]:
    known_ips = set(CASE["addresses"])
    known = {d.lower() for d in CASE["domains"]}
    problems = []
    for name, text in texts.items():
        for ip in sorted(set(IPV4.findall(text)) - known_ips):
            problems.append(f"{name}: address {ip} is not in the case file")
        for domain in sorted({d.lower().strip(".") for d in DOMAIN.findall(text)}):
            parts = domain.split(".")
            if not any(".".join(parts[i:]) in known for i in range(len(parts) - 2)):
                problems.append(f"{name}: domain {domain} is not in the case file")
    return problems


def same_copies(root: Path) -> list[str]:
    """An artefact attached to several tasks is the same bytes in each of them."""
    copies: dict[str, set[bytes]] = {}
    for path in root.rglob("files/*"):
        copies.setdefault(path.name, set()).add(path.read_bytes())
    return [f"{name}: {len(found)} different versions are attached" for name, found in copies.items() if len(found) > 1]


def same_files(root: Path) -> list[str]:
    """Size and hash of each named file agree wherever the file is described."""
    seen: dict[str, set[tuple[int, str]]] = {}
    export = json.loads(_find(root, "channel_export.json").read_text())
    for msg in export["messages"]:
        if "media" in msg:
            seen.setdefault(msg["media"]["file_name"], set()).add((msg["media"]["size"], msg["media"]["sha256"]))
    for row in _rows(_find(root, "lt07_timeline.csv")):
        if row["sha256"]:
            seen.setdefault(row["path"].split("\\")[-1], set()).add((int(row["size"]), row["sha256"]))
    with sqlite3.connect(f"file:{_find(root, 'History')}?mode=ro", uri=True) as con:
        for path, size in con.execute("SELECT target_path, total_bytes FROM downloads"):
            sizes = {s for s, _ in seen.get(path.split("\\")[-1], set())}
            if sizes and sizes != {size}:
                return [f"History: {path} is {size} bytes; the laptop's timeline says {sizes}"]
    import hashlib
    for path in root.rglob("files/*"):
        if path.name in seen:
            seen[path.name].add((path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest()))
    sizes: dict[str, set[int]] = {}
    for pairs in seen.values():
        for size, digest in pairs:
            sizes.setdefault(digest, set()).add(size)
    return ([f"{name}: described with {len(v)} different size/hash pairs: {sorted(v)}" for name, v in seen.items() if len(v) > 1]
            + [f"one content ({digest[:12]}…) is described with sizes {sorted(v)}" for digest, v in sizes.items() if len(v) > 1])


def tunnel_at_the_edge(root: Path) -> list[str]:
    """Each new tunnel name the capture shows was asked upstream through the edge firewall then."""
    tunnel = CASE["telecom"]["tunnel_domain"]
    upstream = {r["time_utc"] for r in _rows(_find(root, "edge_firewall.csv"))
                if r["src"] == "10.40.0.53" and r["dst"] == "198.51.100.53"}
    first: dict[str, str] = {}
    for line in _pcap_lines(_find(root, "noc_dns.pcap")):
        stamp, *_, name = line.split()
        if name.endswith(tunnel) and name not in first:
            first[name] = stamp
    missing = [name for name, stamp in first.items() if stamp not in upstream]
    return [f"edge_firewall.csv: no upstream query for {len(missing)} tunnel name(s), e.g. {missing[0]}"] if missing else []


def sources_first(root: Path) -> list[str]:
    """No copy, shortcut or download exists before what it came from."""
    rows = _rows(_find(root, "lt07_timeline.csv"))
    born = {r["path"]: when(r["datetime_utc"]) for r in rows if "b" in r["macb"]}
    problems = []
    by_hash: dict[str, list[tuple[datetime, str]]] = {}
    for r in rows:
        if r["sha256"] and "b" in r["macb"]:
            by_hash.setdefault(r["sha256"], []).append((when(r["datetime_utc"]), r["path"]))
    for copies in by_hash.values():
        first = min(copies)
        for moment, path in copies:
            if path.startswith("E:") and moment <= first[0] and len(copies) > 1:
                problems.append(f"lt07_timeline.csv: {path} exists no later than its source")
    for path, moment in born.items():
        if path.endswith(".lnk"):
            target = path.split("\\")[-1][:-4]
            targets = [m for p, m in born.items() if p.split("\\")[-1] == target and not p.endswith(".lnk")]
            if not targets or min(targets) > moment:
                problems.append(f"lt07_timeline.csv: shortcut {path} is older than its target")
    return problems


def observed(root: Path) -> dict[str, datetime]:
    """The case's events as the artefacts show them."""
    seen: dict[str, datetime] = {}
    whois = _find(root, "whois.txt").read_text()
    seen["domain_created"] = when(re.search(r"Creation Date: (\S+)", whois).group(1))
    export = json.loads(_find(root, "channel_export.json").read_text())
    dates = {m["id"]: datetime.fromtimestamp(int(m["date_unixtime"]), UTC) for m in export["messages"]}
    for m in export["messages"]:
        if when(m["date_utc"]) != dates[m["id"]]:
            seen[f"post {m['id']} date_utc"] = when(m["date_utc"])
    seen["first_post"] = min(dates[m["id"]] for m in export["messages"] if m["type"] == "message")
    seen["recruiting_post"] = next(dates[m["id"]] for m in export["messages"] if m.get("pinned"))
    for post in (1149, 1187, 1191, 1203):
        seen[f"post_{post}"] = dates[post]
    with sqlite3.connect(f"file:{_find(root, 'History')}?mode=ro", uri=True) as con:
        start = con.execute("SELECT start_time FROM downloads").fetchone()[0]
        seen["toolkit_download"] = WEBKIT + timedelta(microseconds=start)
        searches = con.execute("SELECT v.visit_time FROM keyword_search_terms k JOIN visits v ON v.url = k.url_id "
                               "WHERE v.visit_time < ? ORDER BY v.visit_time DESC", (start,)).fetchall()
        seen["search_before_download"] = WEBKIT + timedelta(microseconds=searches[0][0])
    rows = _rows(_find(root, "lt07_timeline.csv"))
    seen["manifesto_saved"] = next(when(r["datetime_utc"]) for r in rows
                                   if re.search(r"\\Downloads\\[^\\]+\.pdf$", r["path"]))
    seen["photo_imported"] = next(when(r["datetime_utc"]) for r in rows if r["path"].endswith(".jpg"))
    seen["usb_inserted"] = next(when(r["datetime_utc"]) for r in rows if "USBSTOR" in r["path"])
    seen["usb_copy_end"] = next(when(r["datetime_utc"]) for r in rows if r["path"] == r"E:\transfer" and r["macb"] == "m...")
    from PIL import Image
    exif = Image.open(_find(root, "IMG_20261025_113204.jpg")).getexif().get_ifd(0x8769)
    local = datetime.strptime(exif[0x9003] + exif[0x9011].replace(":", ""), "%Y:%m:%d %H:%M:%S%z")
    seen["photo_taken"] = local.astimezone(UTC)
    mail = message_from_bytes(_find(root, "action_required_settlement.eml").read_bytes())
    seen["phish_received"] = parsedate_to_datetime(mail.get_all("Received")[0].split(";")[-1].strip()).astimezone(UTC)
    log = _find(root, "portal_access.log").read_text().splitlines()
    stamp = re.compile(r"\[([^\]]+)\]")

    def log_time(line: str) -> datetime:
        return datetime.strptime(stamp.search(line).group(1), "%d/%b/%Y:%H:%M:%S %z").astimezone(UTC)
    seen["portal_scan_start"] = log_time(next(line for line in log if "Nikto" in line))
    seen["portal_exploit"] = log_time(next(line for line in log if CASE["telecom"]["exploited"] + "?file=../" in line))
    beacon = CASE["telecom"]["beacon"]
    seen["beacon_start"] = min(when(r["time_utc"]) for r in _rows(_find(root, "edge_firewall.csv")) if r["dst"] == beacon["to"])
    pcap = _pcap_lines(_find(root, "noc_dns.pcap"))
    seen["dns_tunnel_start"] = when(next(line for line in pcap if CASE["telecom"]["tunnel_domain"] in line).split()[0])
    logons = _rows(_find(root, "logons_4624.csv"))
    seen["meridian_first_logon"] = next(when(r["time_utc"]) for r in logons if r["logon_type"] == "2")
    procs = _rows(_find(root, "sysmon_process.csv"))
    seen["encryption_start"] = next(when(r["time_utc"]) for r in procs if r["image"].endswith("kstl.exe"))
    return seen


def timeline(root: Path, texts: dict[str, str]) -> list[str]:
    problems = []
    events = {k: when(v) for k, v in CASE["events"].items()}
    for name, moment in observed(root).items():
        if name not in events:
            problems.append(f"{name}: the artefacts disagree with themselves ({moment})")
        elif moment != events[name]:
            problems.append(f"{name}: the artefacts say {moment:%Y-%m-%dT%H:%M:%SZ}, the case file {events[name]:%Y-%m-%dT%H:%M:%SZ}")
    for first, then in CASE["order"]:
        if not events[first] < events[then]:
            problems.append(f"case file: {first} must come before {then}")
    for name, text in texts.items():
        for line in text.splitlines():
            if "Expiry" in line:
                continue
            for stamp in ISO.findall(line):
                if not WINDOW[0] <= when(stamp) < WINDOW[1]:
                    problems.append(f"{name}: time {stamp} is outside the case ({line[:60]})")
    return problems


def check(root: Path) -> list[str]:
    """Every contradiction found among the artefacts under ``root`` (empty: consistent)."""
    texts = _texts(root)
    return (same_copies(root) + names_and_addresses(texts) + same_files(root) + tunnel_at_the_edge(root)
            + sources_first(root) + timeline(root, texts))
