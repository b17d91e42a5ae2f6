#!/usr/bin/env python3
"""Solve every SILK SHIELD task from the served files, as a player would.

No solver knows an answer in advance: each reads the attachments (JSON, CSV, SQLite, JPEG,
pcap, e-mail, the encrypted file) and derives it. Prints one JSON object {task folder: answer}.
Kept outside the served files; the write-ups are in WRITEUP.md beside it.

    python challenges/exercise-silk-shield/solutions/solve.py
"""
from __future__ import annotations

import base64
import csv
import hashlib
import ipaddress
import json
import re
import sqlite3
import statistics
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path

PACK = Path(__file__).resolve().parent.parent
WEBKIT = datetime(1601, 1, 1, tzinfo=UTC)


def art(task: str, name: str) -> Path:
    return PACK / task / "files" / name


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(line for line in path.read_text().splitlines() if not line.startswith("#")))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def channel() -> list[dict]:
    return json.loads(art("recon/channel-admin", "channel_export.json").read_text())["messages"]


def db(task: str, name: str) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{art(task, name)}?mode=ro", uri=True)


# --- phase 1 -------------------------------------------------------------------------------
def channel_admin() -> str:
    created = next(m for m in channel() if m.get("action") == "create_channel")
    pins = {m["actor"] for m in channel() if m.get("action") == "pin_message"}
    assert pins == {created["actor"]}
    return created["actor"]


def recruiting_desk() -> str:
    pinned = next(m for m in channel() if m.get("pinned"))
    blob = re.findall(r"[A-Za-z0-9+/=]{16,}", pinned["text"])[-1]
    return base64.b64decode(blob).decode()[::-1]


def file_host_september() -> str:
    post = next(m for m in channel() if "declaration_v2" in m.get("text", ""))
    moment = datetime.fromtimestamp(int(post["date_unixtime"]), UTC)
    for row in rows(art("recon/file-host-september", "passive_dns.csv")):
        if row["rrname"] == "files.nightjar-news.example.org" and utc(row["first_seen_utc"]) <= moment <= utc(row["last_seen_utc"]):
            return row["rdata"]
    raise SystemExit("no record")


def domain_age() -> str:
    whois = art("recon/domain-age", "whois.txt").read_text()
    created = utc(re.search(r"Creation Date: (\S+)", whois).group(1))
    first = min(datetime.fromtimestamp(int(m["date_unixtime"]), UTC) for m in channel() if m["type"] == "message")
    return str((first - created).days)


# --- phase 2 -------------------------------------------------------------------------------
def closest_contact() -> str:
    local = timedelta(hours=5)
    counts: Counter[str] = Counter()
    for handle, ts in db("seized/closest-contact", "tessera_ph02.db").execute("SELECT chat_handle, ts_ms FROM messages"):
        moment = datetime.fromtimestamp(ts / 1000, UTC) + local
        if (moment.year, moment.month) == (2026, 10):
            counts[handle] += 1
    return counts.most_common(1)[0][0]


def deleted_message() -> str:
    raw = art("seized/deleted-message", "tessera_ph02.db").read_bytes()
    live = {body for (body,) in db("seized/deleted-message", "tessera_ph02.db").execute("SELECT body FROM messages")}
    for text in re.findall(rb"[\x20-\x7e]{40,}", raw):
        text = text.decode()
        if not any(text in body or body in text for body in live) and "at the gate" in text:
            return re.search(r"code word ([A-Z]+-[A-Z]+)", text).group(1)
    raise SystemExit("nothing recovered")


def _exif():
    from PIL import Image
    return Image.open(art("seized/photo-location", "IMG_20261025_113204.jpg")).getexif()


def photo_location() -> str:
    gps = _exif().get_ifd(0x8825)
    d, m, s = (float(x) for x in gps[2])
    return f"{d + m / 60 + s / 3600:.4f}"


def photo_time() -> str:
    sub = _exif().get_ifd(0x8769)
    local = datetime.strptime(sub[0x9003] + sub[0x9011].replace(":", ""), "%Y:%m:%d %H:%M:%S%z")
    return local.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def search_before_download() -> str:
    con = db("seized/search-before-download", "History")
    start = con.execute("SELECT start_time FROM downloads").fetchone()[0]
    return con.execute("SELECT k.term FROM keyword_search_terms k JOIN visits v ON v.url = k.url_id "
                       "WHERE v.visit_time < ? ORDER BY v.visit_time DESC LIMIT 1", (start,)).fetchone()[0]


def download_source_post() -> str:
    referrer = db("seized/download-source-post", "History").execute("SELECT referrer FROM downloads").fetchone()[0]
    return referrer.rstrip("/").rsplit("/", 1)[1]


def usb_exfiltration() -> str:
    timeline = rows(art("seized/usb-exfiltration", "lt07_timeline.csv"))
    inserted = next(utc(r["datetime_utc"]) for r in timeline if "USBSTOR" in r["path"])
    laptop = {r["sha256"] for r in timeline if r["path"].startswith("C:") and r["sha256"]}
    names = [r["path"].rsplit("\\", 1)[1] for r in timeline
             if r["path"].startswith("E:") and "b" in r["macb"] and utc(r["datetime_utc"]) >= inserted
             and r["sha256"] in laptop]
    return ",".join(sorted(names))


def declaration_post() -> str:
    timeline = rows(art("seized/declaration-post", "lt07_timeline.csv"))
    digest = next(r["sha256"] for r in timeline if re.search(r"\\Downloads\\.*\.pdf$", r["path"]))
    return str(next(m["id"] for m in channel() if m.get("media", {}).get("sha256") == digest))


# --- phase 3 -------------------------------------------------------------------------------
def _dns_queries() -> list[str]:
    import dpkt
    names = []
    with art("telecom/tunnel-domain", "noc_dns.pcap").open("rb") as handle:
        for _, frame in dpkt.pcap.Reader(handle):
            dns = dpkt.dns.DNS(dpkt.ethernet.Ethernet(frame).data.data.data)
            if dns.qr == dpkt.dns.DNS_Q:
                names.append(dns.qd[0].name)
    return names


def tunnel_domain() -> str:
    long = [n for n in _dns_queries() if len(n.split(".")[0]) > 30]
    suffixes = Counter(".".join(n.split(".")[-3:]) for n in long)
    return suffixes.most_common(1)[0][0]


def tunnel_payload() -> str:
    domain = tunnel_domain()
    chunks: dict[int, bytes] = {}
    for name in _dns_queries():
        if name.endswith(domain) and len(name.split(".")) == 6:
            label, seq = name.split(".")[:2]
            chunks[int(seq)] = base64.b32decode(label.upper() + "=" * (-len(label) % 8))
    data = b"".join(chunks[i] for i in sorted(chunks) if i > 0)
    return hashlib.sha256(data).hexdigest()


def portal_exploit() -> str:
    for line in art("telecom/portal-exploit", "portal_access.log").read_text().splitlines():
        m = re.search(r'"GET (\S+) HTTP/1.1" (\d+)', line)
        if m and "../" in m.group(1) and m.group(2) == "200":
            return m.group(1).split("?")[0]
    raise SystemExit("no traversal")


def _periodic() -> tuple[str, float]:
    by_pair: dict[tuple[str, str], list[datetime]] = {}
    for row in rows(art("telecom/beacon-interval", "edge_firewall.csv")):
        by_pair.setdefault((row["src"], row["dst"]), []).append(utc(row["time_utc"]))
    best = None
    for pair, times in by_pair.items():
        gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
        if len(gaps) > 10:
            spread = statistics.pstdev(gaps) / statistics.mean(gaps)
            if best is None or spread < best[0]:
                best = (spread, pair[0], statistics.median(gaps))
    return best[1], best[2]


def beacon_interval() -> str:
    return str(round(_periodic()[1]))


def beaconing_host() -> str:
    return _periodic()[0]


def _mail():
    return message_from_bytes(art("telecom/phishing-origin", "action_required_settlement.eml").read_bytes())


def phishing_origin() -> str:
    for hop in _mail().get_all("Received"):
        m = re.search(r"\[(\d+\.\d+\.\d+\.\d+)\]\)\s+by mx1", hop)
        if m and ipaddress.ip_address(m.group(1)).is_global is not None:
            return m.group(1)
    raise SystemExit("no hop")


def phishing_verdict() -> str:
    mail = _mail()
    results = mail["Authentication-Results"]
    passed = "spf=pass" in results and "dkim=pass" in results
    sender = mail["From"].split("@")[1].rstrip(">")
    return "B" if passed and sender != "aralink.example.org" else "A"


# --- phase 4 -------------------------------------------------------------------------------
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _b58ok(address: str) -> bool:
    number = 0
    for char in address:
        number = number * 58 + B58.index(char)
    raw = number.to_bytes(25, "big")
    return hashlib.sha256(hashlib.sha256(raw[:-4]).digest()).digest()[:4] == raw[-4:]


def payment_wallet() -> str:
    note = art("ransomware/payment-wallet", "RESTORE-MY-FILES.txt").read_text()
    return next(a for a in re.findall(r"^\s+(1\w{25,34})\s*$", note, re.M) if _b58ok(a))


def decrypt_manifest() -> str:
    data = art("ransomware/decrypt-manifest", "Q4_consignments.pdf.kstl").read_bytes()
    key = bytes(a ^ b for a, b in zip(data, b"%PDF-1.7", strict=False))
    plain = bytes(b ^ key[i % 8] for i, b in enumerate(data))
    return re.search(rb"MLH-CN-\d{4}-\d{5}", plain).group().decode()


def _hosts() -> dict[str, str]:
    return {r["ip"]: r["hostname"] for r in rows(art("ransomware/lateral-path", "meridian_assets.csv"))}


def lateral_account() -> str:
    logons = rows(art("ransomware/lateral-account", "logons_4624.csv"))
    failed = Counter(r["account"] for r in logons if r["event_id"] == "4625")
    return failed.most_common(1)[0][0]


def lateral_path() -> str:
    hosts, account = _hosts(), lateral_account()
    logons = [r for r in rows(art("ransomware/lateral-path", "logons_4624.csv"))
              if r["event_id"] == "4624" and r["account"] == account and r["source_ip"] != "-"]
    start = hosts[logons[0]["source_ip"]]
    path = [start]
    for row in logons:
        if hosts[row["source_ip"]] == path[-1] and row["host"] != path[-1]:
            path.append(row["host"])
    return ">".join(path)


def encryptor_parent() -> str:
    procs = rows(art("ransomware/encryptor-parent", "sysmon_process.csv"))
    row = next(r for r in procs if "--ext" in r["command_line"])
    return row["parent_image"].rsplit("\\", 1)[1]


# --- phase 5 -------------------------------------------------------------------------------
def negotiator() -> str:
    note = art("ransomware/payment-wallet", "RESTORE-MY-FILES.txt").read_text()
    tox = re.search(r"\b[0-9A-F]{76}\b", note).group()
    for name, note_field in db("seized/closest-contact", "tessera_ph02.db").execute(
            "SELECT address_book_name, note FROM contacts"):
        if tox in (note_field or ""):
            return name
    raise SystemExit("no contact")


def shared_infrastructure() -> str:
    host = {r["rdata"] for r in rows(art("recon/file-host-september", "passive_dns.csv"))
            if r["rrname"].startswith("files.")}
    beacon = {r["dst"] for r in rows(art("telecom/beacon-interval", "edge_firewall.csv")) if r["src"] == beaconing_host()}
    procs = art("ransomware/encryptor-parent", "sysmon_process.csv").read_text()
    implant = set(re.findall(r"-connect (\d+\.\d+\.\d+\.\d+)", procs))
    (shared,) = host & beacon & implant
    return shared


SOLVERS = {
    "recon/channel-admin": channel_admin, "recon/recruiting-desk": recruiting_desk,
    "recon/file-host-september": file_host_september, "recon/domain-age": domain_age,
    "seized/closest-contact": closest_contact, "seized/deleted-message": deleted_message,
    "seized/photo-location": photo_location, "seized/photo-time": photo_time,
    "seized/search-before-download": search_before_download, "seized/download-source-post": download_source_post,
    "seized/usb-exfiltration": usb_exfiltration, "seized/declaration-post": declaration_post,
    "telecom/tunnel-domain": tunnel_domain, "telecom/tunnel-payload": tunnel_payload,
    "telecom/portal-exploit": portal_exploit, "telecom/beacon-interval": beacon_interval,
    "telecom/beaconing-host": beaconing_host, "telecom/phishing-origin": phishing_origin,
    "telecom/phishing-verdict": phishing_verdict,
    "ransomware/payment-wallet": payment_wallet, "ransomware/decrypt-manifest": decrypt_manifest,
    "ransomware/lateral-path": lateral_path, "ransomware/lateral-account": lateral_account,
    "ransomware/encryptor-parent": encryptor_parent,
    "attribution/negotiator": negotiator, "attribution/shared-infrastructure": shared_infrastructure,
}

if __name__ == "__main__":
    json.dump({task: solve() for task, solve in SOLVERS.items()}, sys.stdout, indent=1, ensure_ascii=False)
    print()
