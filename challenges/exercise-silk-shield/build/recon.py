"""Phase 1 artefacts: the channel's export, passive DNS and WHOIS of its domain."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta

from world import CASE, at, iso, rng, sha256, when

CHANNEL = CASE["group"]["channel"]
LINES = [
    "The regional authorities lie about the port tenders again. Read the documents yourselves.",
    "Our volunteers in three cities distributed the new leaflets. Thank you, brothers and sisters.",
    "Reminder: never use your real name in the comments. Use the Tessera secret chats.",
    "Another report on the water prices. The figures are in the thread below.",
    "We are not afraid. The network grows every week.",
    "Today's reading list is pinned. Share it only in closed groups.",
    "Donations keep the servers running. Ask the desk how to help.",
    "The logistics companies serve the corrupt ministries. Remember who they are.",
    "Evening digest: six new articles from our writers.",
    "Stay careful: phones are the first thing they seize.",
]


def documents() -> dict[str, bytes]:
    """The two versions of the group's declaration (PDFs) the channel posted."""
    from ransomware import pdf  # one small PDF writer for every PDF of the case
    v2 = pdf(["NIGHTJAR COLLECTIVE", "Declaration (draft 2)", "For circulation in closed groups only."],
             rng("declaration_v2"), padding=31000)
    v3 = pdf(["NIGHTJAR COLLECTIVE", "Declaration (final)", "The logistics of the corrupt will stop.",
              "For circulation in closed groups only."], rng("declaration_v3"), padding=47000)
    return {"declaration_v2.pdf": v2, "declaration_v3.pdf": v3}


LAST_POST = 1230


def _between(special: dict[int, dict], msg_id: int, r) -> datetime:
    """An ordinary post's time: spread between the fixed posts around it, so ids and times agree."""
    before = max(i for i in special if i < msg_id)
    after = min((i for i in special if i > msg_id), default=None)
    start = special[before]["date"]
    end = special[after]["date"] if after else start + timedelta(days=(LAST_POST - before) // 2)
    share = (msg_id - before) / ((after or LAST_POST + 1) - before)
    moment = start + (end - start) * share
    return moment.replace(second=0, microsecond=0) + timedelta(seconds=r.randint(0, 50))


def channel_export() -> bytes:
    """A Tessera channel export, as its desktop client writes it (JSON, UTC unix times)."""
    r = rng("channel_export")
    docs = documents()
    special = {
        1149: {"date": at("post_1149"), "author": CHANNEL["admin"], "text": "Draft declaration for comments. Mirror: "
               "https://files.nightjar-news.example.org/d/declaration_v2.pdf",
               "file": "declaration_v2.pdf"},
        1187: {"date": at("post_1187"), "author": CHANNEL["admin"],
               "text": "The new toolkit for our volunteers is ready: " + CASE["files"]["kt-2.4.zip"]["url"]
               + " Read the instructions before running it."},
        1191: {"date": at("post_1191"), "author": "nightjar_ed",
               "text": "Reminder for those who asked: the toolkit link again, "
               + CASE["files"]["kt-2.4.zip"]["url"]},
        1203: {"date": at("post_1203"), "author": CHANNEL["admin"], "text": "The final declaration. Share it.",
               "file": "declaration_v3.pdf"},
        1099: {"date": at("recruiting_post"), "author": CHANNEL["admin"], "pinned": True,
               "text": "Want to help? Write to the desk. The address is below, turned around and wrapped "
               "so that the bots do not read it: "
               + base64.b64encode(CASE["group"]["recruiting_address"][::-1].encode()).decode()},
        1098: {"date": when(CHANNEL["first_post"]), "author": CHANNEL["admin"], "text": "Nightjar News starts today."},
    }
    messages = []
    for msg_id in range(1098, LAST_POST + 1):
        if msg_id == 1100:
            continue  # the pin's service message
        if msg_id in special:
            post = special[msg_id]
        else:
            post = {"date": _between(special, msg_id, r), "text": r.choice(LINES),
                    "author": r.choice([CHANNEL["admin"], "nightjar_ed", "nightjar_ed", "desk"])}
        item = {"id": msg_id, "type": "message", "date_unixtime": str(int(post["date"].timestamp())),
                "date_utc": iso(post["date"]), "from": CHANNEL["title"], "author": post["author"],
                "text": post["text"], "views": r.randint(300, 4000)}
        if post.get("pinned"):
            item["pinned"] = True
        if "file" in post:
            data = docs[post["file"]]
            item["media"] = {"file_name": post["file"], "mime_type": "application/pdf", "size": len(data),
                             "sha256": sha256(data)}
        messages.append(item)
    admin = CHANNEL["admin"]
    messages += [  # what the client records of the channel's own life: who made it, who pins
        {"id": 1097, "type": "service", "date_unixtime": str(int(when(CHANNEL["first_post"]).timestamp()) - 60),
         "date_utc": iso(when(CHANNEL["first_post"]) - timedelta(minutes=1)), "actor": admin,
         "action": "create_channel", "title": CHANNEL["title"]},
        {"id": 1100, "type": "service", "date_unixtime": str(int(at("recruiting_post").timestamp()) + 30),
         "date_utc": iso(at("recruiting_post") + timedelta(seconds=30)), "actor": admin,
         "action": "pin_message", "message_id": 1099}]
    messages.sort(key=lambda m: m["id"])
    export = {"name": CHANNEL["title"], "type": "public_channel", "handle": CHANNEL["handle"],
              "url": CHANNEL["url"], "exported_by": "SILK SHIELD joint task force", "messages": messages}
    return json.dumps(export, indent=1, ensure_ascii=False).encode() + b"\n"


def passive_dns() -> bytes:
    """What a passive DNS service saw for the channel's file host (and noise around it)."""
    rows = ["rrname,rrtype,rdata,first_seen_utc,last_seen_utc,count"]
    rows.append("nightjar-news.example.org,NS,ns1.example-registrar.example.org,2026-08-03T09:20:00Z,2026-11-15T23:59:59Z,412")
    for rec in CASE["passive_dns"]:
        days = (when(rec["last_seen"]) - when(rec["first_seen"])).days + 1
        rows.append(f"files.nightjar-news.example.org,A,{rec['ip']},{rec['first_seen']},{rec['last_seen']},{days * 37}")
    rows.append("tessera.example.org,A,203.0.113.90,2026-08-01T00:00:00Z,2026-11-15T23:59:59Z,99120")
    return ("\n".join(rows) + "\n").encode()


def whois() -> bytes:
    """The WHOIS record of the channel's domain, as the registry answered it."""
    domain = CASE["domains"]["nightjar-news.example.org"]
    created = when(domain["created"])
    text = f"""Domain Name: NIGHTJAR-NEWS.EXAMPLE.ORG
Registry Domain ID: D4471-EXORG
Registrar: {domain['registrar']}
Creation Date: {iso(created)}
Updated Date: 2026-09-21T06:02:10Z
Registry Expiry Date: 2027-08-03T09:12:44Z
Registrant Organization: REDACTED FOR PRIVACY
Registrant Country: REDACTED FOR PRIVACY
Name Server: NS1.EXAMPLE-REGISTRAR.EXAMPLE.ORG
DNSSEC: unsigned
>>> Last update of WHOIS database: 2026-11-15T10:00:00Z <<<
"""
    return text.encode()
