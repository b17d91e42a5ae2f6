"""Format validators: each artefact must be what its format says, read by a second library or
recomputed from its own fields (a sloppy artefact teaches players to distrust real ones)."""
from __future__ import annotations

import hashlib
import re
import sqlite3
from email import message_from_bytes
from pathlib import Path

import ransomware
from telecom import dkim_body_hash

B58 = ransomware.B58


def _find(root: Path, name: str) -> Path:
    return next(root.rglob(f"files/{name}"))


def base58check_ok(address: str) -> bool:
    """True when the address's last four bytes are the double SHA-256 of the rest."""
    number = 0
    for char in address:
        if char not in B58:
            return False
        number = number * 58 + B58.index(char)
    raw = number.to_bytes(25, "big") if number.bit_length() <= 200 else b""
    return len(raw) == 25 and hashlib.sha256(hashlib.sha256(raw[:-4]).digest()).digest()[:4] == raw[-4:]


def mail(root: Path) -> list[str]:
    raw = _find(root, "action_required_settlement.eml").read_bytes()
    msg = message_from_bytes(raw)
    problems = []
    sig = dict(part.strip().split("=", 1) for part in re.sub(r"\s+", " ", msg["DKIM-Signature"]).split(";") if "=" in part)
    body = raw.split(b"\r\n\r\n", 1)[1].decode()
    if sig["bh"] != dkim_body_hash(body):
        problems.append("e-mail: DKIM bh= is not the hash of the body")
    sender = msg["From"].split("@")[1].rstrip(">")
    if sig["d"] != sender:
        problems.append("e-mail: DKIM d= is not the From domain")
    for header in sig["h"].split(":"):
        if msg[header] is None:
            problems.append(f"e-mail: DKIM signs {header}, which the message lacks")
    results = msg["Authentication-Results"]
    if f"header.s={sig['s']}" not in results or f"header.d={sig['d']}" not in results:
        problems.append("e-mail: Authentication-Results does not match the DKIM-Signature")
    hop = re.search(r"\[(\d+\.\d+\.\d+\.\d+)\]\)\s+by mx1", " ".join(msg.get_all("Received")))
    if not hop or f"designates {hop.group(1)}" not in results:
        problems.append("e-mail: SPF's address is not the one that handed the mail to mx1")
    return problems


def tox_ok(tox: str) -> bool:
    """A Tox ID: public key (32 bytes), nospam (4) and a 2-byte XOR checksum of the 36 before it."""
    raw = bytes.fromhex(tox)
    check = [0, 0]
    for i, byte in enumerate(raw[:36]):
        check[i % 2] ^= byte
    return len(raw) == 38 and bytes(check) == raw[36:]


def wallet(root: Path) -> list[str]:
    note = _find(root, "RESTORE-MY-FILES.txt").read_text()
    toxes = re.findall(r"^\s+([0-9A-F]{76})\s*$", note, re.M)
    if len(toxes) != 1 or not tox_ok(toxes[0]):
        return [f"ransom note: Tox IDs {toxes} (one valid one expected)"]
    addresses = re.findall(r"^\s+(1[1-9A-HJ-NP-Za-km-z]{25,34})\s*$", note, re.M)
    valid = [a for a in addresses if base58check_ok(a)]
    return [] if len(addresses) == 2 and len(valid) == 1 else [f"ransom note: wallets {addresses}, valid {valid}"]


def pcap(root: Path) -> list[str]:
    import dpkt
    count = 0
    with _find(root, "noc_dns.pcap").open("rb") as handle:
        for _, frame in dpkt.pcap.Reader(handle):
            dpkt.dns.DNS(dpkt.ethernet.Ethernet(frame).data.data.data)
            count += 1
    return [] if count > 100 else [f"capture: only {count} packets parsed"]


def databases(root: Path) -> list[str]:
    problems = []
    for name in ("tessera_ph02.db", "History"):
        with sqlite3.connect(f"file:{_find(root, name)}?mode=ro", uri=True) as con:
            if con.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                problems.append(f"{name}: integrity check fails")
    return problems


def pdf_ok(data: bytes) -> bool:
    """A PDF whose cross-reference table points at each of its objects."""
    start = int(re.search(rb"startxref\n(\d+)", data).group(1))
    offsets = [int(x) for x in re.findall(rb"(\d{10}) 00000 n", data[start:])]
    return data.startswith(b"%PDF-1.7") and all(data[o:].startswith(f"{i} 0 obj".encode())
                                                  for i, o in enumerate(offsets, start=1))


def documents(root: Path) -> list[str]:
    from PIL import Image
    problems = []
    plain = bytes(b ^ ransomware.key()[i % 8] for i, b in enumerate(_find(root, "Q4_consignments.pdf.kstl").read_bytes()))
    if not pdf_ok(plain):
        problems.append("encrypted manifest: does not decrypt to a valid PDF")
    image = Image.open(_find(root, "IMG_20261025_113204.jpg"))
    image.verify()
    if 0x8825 not in image.getexif():
        problems.append("photo: no GPS data")
    return problems


def check(root: Path) -> list[str]:
    return mail(root) + wallet(root) + pcap(root) + databases(root) + documents(root)
