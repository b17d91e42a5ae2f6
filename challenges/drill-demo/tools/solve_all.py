#!/usr/bin/env python3
"""Solve every drill-demo challenge from its attachment files.

Nothing here knows an answer in advance: each solver parses the artefact
(log, pcap, e-mail, CSV, JSON, encoded text) the way a player would and
derives the answer.  Prints one JSON object {challenge name: answer}.

    python challenges/drill-demo/tools/solve_all.py
"""
from __future__ import annotations

import base64
import codecs
import csv
import email
import ipaddress
import json
import re
import struct
import sys
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

PACK = Path(__file__).resolve().parent.parent


def f(rel: str) -> Path:
    return PACK / rel


# --------------------------------------------------------------------------
# nginx access log
# --------------------------------------------------------------------------
LOG_RE = re.compile(r'^(\S+) \S+ \S+ \[([^\]]+)\] "(\S+) (\S+) [^"]*" (\d{3}) (\d+) "([^"]*)" "([^"]*)"$')


def parse_access_log(path: Path):
    for line in path.read_text().splitlines():
        m = LOG_RE.match(line)
        if m:
            ip, ts, method, target, status, size, ref, ua = m.groups()
            yield {"ip": ip, "method": method, "target": target, "status": int(status), "ua": ua}


def webshell_usage(path: Path):
    """Requests that reach a script under /uploads/ with a command-like
    query parameter and succeed: that's a webshell being used."""
    hits = []
    for r in parse_access_log(path):
        u = urlsplit(r["target"])
        if u.path.startswith("/uploads/") and u.path.endswith(".php") and u.query and r["status"] == 200:
            hits.append((r["ip"], u.path))
    return hits


def solve_web_intrusion() -> str:
    hits = webshell_usage(f("log-analysis/web-intrusion/files/access.log"))
    (ip, _), = {(ip, None) for ip, _ in hits}
    return ip


def solve_webshell_location() -> str:
    hits = webshell_usage(f("log-analysis/webshell-location/files/access.log"))
    (path,) = {p for _, p in hits}
    return "DRILL{" + path + "}"


# --------------------------------------------------------------------------
# Windows Security events (Export-Csv, newest first)
# --------------------------------------------------------------------------
def solve_rdp_brute_force() -> str:
    rows = list(csv.DictReader(f("log-analysis/rdp-brute-force/files/security_events.csv").open(newline="")))
    for r in rows:
        r["t"] = datetime.strptime(r["TimeCreated"], "%m/%d/%Y %I:%M:%S %p")
    rows.sort(key=lambda r: r["t"])

    rfc1918 = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]

    def external(ip):
        try:
            a = ipaddress.ip_address(ip)
        except ValueError:
            return False  # "-"
        return not any(a in n for n in rfc1918)

    # the attacker: an external address that eventually logs on successfully over RDP (type 10)
    wins = [r for r in rows if r["Id"] == "4624" and r["LogonType"] == "10" and external(r["IpAddress"])]
    first = wins[0]
    ip, account = first["IpAddress"], first["TargetUserName"]
    fails = [r for r in rows if r["Id"] == "4625" and r["IpAddress"] == ip
             and r["TargetUserName"] == account and r["t"] < first["t"]]
    return str(len(fails))


# --------------------------------------------------------------------------
# triage listing: extension vs. magic bytes
# --------------------------------------------------------------------------
IMAGE_MAGIC = {".jpg": ("FF D8 FF",), ".jpeg": ("FF D8 FF",), ".png": ("89 50 4E 47",),
               ".gif": ("47 49 46 38",), ".bmp": ("42 4D",)}
ARCHIVE_MAGIC = ("50 4B 03 04", "37 7A BC AF", "52 61 72 21", "1F 8B")


def solve_disguised_archive() -> str:
    rows = csv.DictReader(f("forensics/seized-laptop-disguised-archive/files/triage_listing.csv").open(newline=""))
    found = []
    for r in rows:
        ext, magic = r["Extension"].lower(), r["MagicBytes"].upper()
        if ext in IMAGE_MAGIC and not magic.startswith(IMAGE_MAGIC[ext]) and magic.startswith(ARCHIVE_MAGIC):
            found.append(r["SHA256"])
    (digest,) = found
    return digest


# --------------------------------------------------------------------------
# bash history: what went through shred (directly or via an alias)
# --------------------------------------------------------------------------
def solve_shell_history() -> str:
    import shlex
    aliases: dict[str, list[str]] = {}
    wiped: list[str] = []
    for line in f("forensics/seized-laptop-shell-history/files/bash_history.txt").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue  # timestamps and commented-out commands
        words = shlex.split(line)
        if words[0] == "alias":
            name, _, value = words[1].partition("=")
            aliases[name] = shlex.split(value)
            continue
        if words[0] in aliases:
            words = aliases[words[0]] + words[1:]
        if words[0] != "shred":
            continue
        args, skip = [], False
        for w in words[1:]:
            if skip:
                skip = False
                continue
            if w in ("-n", "-s", "--iterations", "--size"):
                skip = True
            elif w.startswith("-"):
                continue
            else:
                args.append(w.rsplit("/", 1)[-1])
        wiped += args
    return ",".join(sorted(wiped))


# --------------------------------------------------------------------------
# e-mail headers
# --------------------------------------------------------------------------
def solve_spoofed_email() -> str:
    msg = email.message_from_bytes(f("forensics/spoofed-coordination-email/files/urgent_schedule_update.eml").read_bytes())
    received = msg.get_all("Received")
    # Walk the chain from the top (our own servers) down, trusting each hop only
    # as long as the previous trusted server named it: the first hop whose sender
    # authenticated with ESMTPSA is the client submission.
    client_ip = None
    prev_from = None
    for hop in received:
        hop = " ".join(hop.split())
        frm = re.search(r"from (\S+) \(([^)]*)\)", hop)
        by = re.search(r"\bby (\S+)", hop).group(1)
        if prev_from is not None and by != prev_from:
            break  # not written by the server that handed the message on: untrusted
        if "ESMTPSA" in hop or "Authenticated sender" in hop:
            client_ip = re.findall(r"\[(\d+\.\d+\.\d+\.\d+)\]", frm.group(2))[-1]
            break
        prev_from = frm.group(1)
    xoip = msg.get("X-Originating-IP", "").strip("[] ")
    assert client_ip == xoip, (client_ip, xoip)
    return client_ip


# --------------------------------------------------------------------------
# pcap reading
# --------------------------------------------------------------------------
def read_pcap(path: Path):
    data = path.read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    assert linktype == 1, "Ethernet expected"
    off = 24
    while off + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        frame = data[off + 16: off + 16 + incl]
        off += 16 + incl
        if struct.unpack("!H", frame[12:14])[0] != 0x0800:
            continue
        ip = frame[14:]
        ihl = (ip[0] & 0x0F) * 4
        proto = ip[9]
        src, dst = str(ipaddress.IPv4Address(ip[12:16])), str(ipaddress.IPv4Address(ip[16:20]))
        total = struct.unpack("!H", ip[2:4])[0]
        l4 = ip[ihl:total]
        pkt = {"ts": sec + usec / 1e6, "src": src, "dst": dst, "proto": proto}
        if proto == 17:
            pkt["sport"], pkt["dport"] = struct.unpack("!HH", l4[:4])
            pkt["payload"] = l4[8:]
        elif proto == 6:
            pkt["sport"], pkt["dport"], pkt["seq"], pkt["ack"] = struct.unpack("!HHII", l4[:12])
            doff = (l4[12] >> 4) * 4
            pkt["flags"] = l4[13]
            pkt["payload"] = l4[doff:]
        yield pkt


def dns_name(msg: bytes, off: int) -> tuple[str, int]:
    labels, jumped, end = [], False, off
    while True:
        n = msg[off]
        if n & 0xC0 == 0xC0:
            ptr = struct.unpack("!H", msg[off:off + 2])[0] & 0x3FFF
            if not jumped:
                end = off + 2
            jumped, off = True, ptr
            continue
        if n == 0:
            if not jumped:
                end = off + 1
            return ".".join(labels), end
        labels.append(msg[off + 1: off + 1 + n].decode())
        off += 1 + n


def parse_dns(msg: bytes):
    txid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", msg[:12])
    off, qs, ans = 12, [], []
    for _ in range(qd):
        name, off = dns_name(msg, off)
        qtype, _ = struct.unpack("!HH", msg[off:off + 4]); off += 4
        qs.append((name, qtype))
    for _ in range(an):
        name, off = dns_name(msg, off)
        rtype, _, ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10]); off += 10
        rdata = msg[off:off + rdlen]
        value = str(ipaddress.IPv4Address(rdata)) if rtype == 1 else dns_name(msg, off)[0]
        off += rdlen
        ans.append((name, rtype, value))
    return {"id": txid, "response": bool(flags & 0x8000), "rcode": flags & 0xF, "q": qs, "a": ans}


def solve_dns_whispers() -> str:
    chunks: dict[int, bytes] = {}
    for p in read_pcap(f("network/dns-whispers/files/dns_capture.pcap")):
        if p["proto"] != 17 or p["dport"] != 53:
            continue
        for name, _ in parse_dns(p["payload"])["q"]:
            labels = name.split(".")
            # <seq>.<hex>.<...> : numbered hex chunks under one zone
            if len(labels) > 3 and labels[0].isdigit() and re.fullmatch(r"[0-9a-f]+", labels[1]):
                chunks[int(labels[0])] = bytes.fromhex(labels[1])  # retransmissions overwrite
    data = b"".join(chunks[i] for i in sorted(chunks))
    return re.search(rb"DRILL\{[^}]+\}", data).group().decode()


def solve_beacon_home() -> str:
    pkts = list(read_pcap(f("network/beacon-home/files/workstation44.pcap")))
    # names the client looked up, with the addresses they resolved to (following CNAMEs)
    resolved: dict[str, set[str]] = defaultdict(set)
    for p in pkts:
        if p["proto"] == 17 and p["sport"] == 53:
            d = parse_dns(p["payload"])
            alias = {}
            for name, rtype, value in d["a"]:
                if rtype == 5:
                    alias[value] = name
            for name, rtype, value in d["a"]:
                if rtype == 1:
                    while name in alias:
                        name = alias[name]
                    resolved[name].add(value)
    # an HTTP POST whose Host is not one of the organisation's own names = the beacon
    targets = set()
    for p in pkts:
        if p["proto"] == 6 and p["payload"].startswith(b"POST "):
            host = re.search(rb"\r\nHost: ([^\r\n]+)", p["payload"]).group(1).decode()
            if not host.endswith(".nwa.example"):
                assert p["dst"] in resolved[host]
                targets.add(p["dst"])
    (ip,) = targets
    return ip


# --------------------------------------------------------------------------
# encodings
# --------------------------------------------------------------------------
def ransom_note_text() -> str:
    return f("crypto-encoding/ransom-note/files/README_RESTORE_FILES.txt").read_text()


def solve_ransom_note() -> str:
    note = ransom_note_text()
    block = re.search(r"-----BEGIN PERSONAL ID-----(.*?)-----END PERSONAL ID-----", note, re.S).group(1)
    layer1 = base64.b64decode("".join(block.split())).decode()
    plain = bytes.fromhex(layer1).decode()
    return re.search(r"DRILL\{[^}]+\}", plain).group()


def solve_dead_drop() -> str:
    text = f("crypto-encoding/dead-drop-note/files/recovered_note.txt").read_text()
    lines = [l.strip() for l in text.splitlines()]
    b32 = "".join(l for l in lines if re.fullmatch(r"[A-Z2-7=]{8,}", l))
    rotated = base64.b32decode(b32).decode()
    plain = codecs.decode(rotated, "rot13")
    return re.search(r"DRILL\{[^}]+\}", plain).group()


# --------------------------------------------------------------------------
# OSINT
# --------------------------------------------------------------------------
def solve_leaflet_trace() -> str:
    ex = json.loads(f("osint/leaflet-trace/files/sparrow_export.json").read_text())
    users = {u["id"]: u["username"] for u in ex["users"]}
    by_title = {c["title"]: c for c in ex["chats"]}
    msgs = {(c["id"], m["id"]): m for c in ex["chats"] for m in c["messages"]}
    chat = by_title["Riverside Neighbours"]
    msg = msgs[(chat["id"], 881)]
    digest = msg["attachment"]["sha256"]
    while True:
        origin = msg.get("forward_origin")
        if origin is None:
            return users[msg["from_id"]]
        if origin["type"] == "user":
            return users[origin["user_id"]]
        msg = msgs[(origin["chat_id"], origin["message_id"])]
        assert msg["attachment"]["sha256"] == digest


def solve_wallet_pivot() -> str:
    wallet = re.search(r"\bbc1q[a-z0-9]{20,}\b", ransom_note_text()).group()
    text = f("osint/wallet-pivot/files/forum_scrape.txt").read_text()
    posts = re.split(r"\n(?=\[post \d+\] )", text)
    authors = []
    for post in posts:
        m = re.match(r"\[post \d+\] (\S+)", post)
        if not m:
            continue
        # drop quoted text ("> ..."), which belongs to someone else
        own = "\n".join(l for l in post.splitlines() if not l.lstrip().startswith(">"))
        if wallet in re.sub(r"(?<=[a-z0-9]) (?=[a-z0-9])", "", own):
            authors.append(m.group(1))
    (author,) = set(authors)
    return author


SOLVERS = {
    "Seized Laptop: Disguised Archive": solve_disguised_archive,
    "Seized Laptop: Shell History": solve_shell_history,
    "Spoofed Coordination Email": solve_spoofed_email,
    "Whispers over DNS": solve_dns_whispers,
    "Beacon Home": solve_beacon_home,
    "Web Server Intrusion": solve_web_intrusion,
    "Webshell Location": solve_webshell_location,
    "RDP Brute Force": solve_rdp_brute_force,
    "Ransom Note": solve_ransom_note,
    "Dead Drop Note": solve_dead_drop,
    "Leaflet Trace": solve_leaflet_trace,
    "Wallet Pivot": solve_wallet_pivot,
}


def main() -> int:
    answers = {name: fn() for name, fn in SOLVERS.items()}
    json.dump(answers, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
