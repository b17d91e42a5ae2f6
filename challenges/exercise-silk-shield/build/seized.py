"""Phase 2 artefacts: the suspect's phone (messenger database, a photo) and laptop (browser
history, a triage timeline)."""
from __future__ import annotations

import io
import sqlite3
import tempfile
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from world import CASE, LOCAL, at, person, rng, when

SUSPECT = person("suspect")
OPERATOR = person("operator")
CAMERA = CASE["devices"]["PH-02"]["camera"]
SITE = CASE["sites"]["meridian-warehouse-14"]


def _sqlite(build) -> bytes:
    """Run ``build(connection)`` on a fresh database file and return its bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "db.sqlite"
        con = sqlite3.connect(path)
        con.execute("PRAGMA secure_delete=OFF")
        con.execute("PRAGMA journal_mode=DELETE")
        build(con)
        con.commit()
        con.close()
        return path.read_bytes()


def _spread(r, handle: str, first: datetime, last: datetime, count: int, lines: list[str]) -> list[tuple]:
    """``count`` messages of one chat between two moments, in order."""
    step = (last - first) / count
    return [(handle, r.randint(0, 1), int((first + step * i + timedelta(seconds=r.randint(0, 3000))).timestamp() * 1000),
             r.choice(lines)) for i in range(count)]


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def messenger_db() -> bytes:
    """Tessera's Android database from PH-02; three messages deleted before the seizure.

    The chats are laid out so that the month a message falls in depends on the zone: late on 30
    September UTC is already 1 October on the phone (UTC+05:00), and late on 31 October UTC is
    already November; counted in UTC, October's busiest chat is another one."""
    r = rng("messenger_db")
    contacts = [
        ("mk_courier", "Mira K.", "Mira Kaldenova", "+000 71 402 1187", ""),
        ("steppe_echo", "Azamat", "Azamat Serikov", "+000 71 515 2210", "channel"),
        ("bek_t", "Bek", "Bekzod Tebenov", "+000 71 300 4512", "brother"),
        ("quietfalcon", "T.", "Timur Askarov", "", "tox " + OPERATOR["tox"]),
    ]
    chat = ["ok", "tomorrow", "same place", "call me later", "did you get it?", "yes", "on my way",
            "not on the phone", "see you", "later", "delivered", "no news yet"]
    rows = (_spread(r, "bek_t", _utc("2026-09-02T06:00:00Z"), _utc("2026-09-26T06:00:00Z"), 10, chat)
            + _spread(r, "bek_t", _utc("2026-10-03T06:00:00Z"), _utc("2026-10-28T06:00:00Z"), 12, chat)
            + _spread(r, "bek_t", _utc("2026-10-31T19:05:00Z"), _utc("2026-10-31T18:55:00Z") + timedelta(hours=4), 5, chat)
            + _spread(r, "mk_courier", _utc("2026-09-30T19:10:00Z"), _utc("2026-09-30T21:00:00Z"), 3, chat)
            + _spread(r, "mk_courier", _utc("2026-10-02T06:00:00Z"), _utc("2026-10-29T06:00:00Z"), 14, chat)
            + _spread(r, "steppe_echo", _utc("2026-10-01T08:00:00Z"), _utc("2026-10-25T08:00:00Z"), 9, chat)
            + _spread(r, "quietfalcon", _utc("2026-10-10T08:00:00Z"), _utc("2026-10-23T08:00:00Z"), 3,
                      ["use the secret chat", "ok", "the code word changes every meeting"]))
    deleted = [("quietfalcon", 0, int(at("deleted_message").timestamp() * 1000),
                "Tomorrow 11:30 at warehouse 14. Say the code word GRANITE-SPARROW at the gate "
                "and bring the drive with the rota and the gate codes. Delete this message."),
               ("quietfalcon", 0, int(_utc("2026-10-17T15:40:12Z").timestamp() * 1000),
                "Last week's code word was FALCON-RIVER; it is burned, never use it again. Delete this message."),
               ("mk_courier", 1, int(_utc("2026-10-20T10:02:45Z").timestamp() * 1000),
                "The parcel for the port is ready, pick it up at the usual kiosk after six. Delete this.")]

    def build(con: sqlite3.Connection) -> None:
        con.execute("CREATE TABLE contacts (_id INTEGER PRIMARY KEY, handle TEXT UNIQUE, display_name TEXT, "
                    "address_book_name TEXT, phone TEXT, note TEXT)")
        con.execute("CREATE TABLE messages (_id INTEGER PRIMARY KEY, chat_handle TEXT, outgoing INTEGER, "
                    "ts_ms INTEGER, body TEXT)")
        con.executemany("INSERT INTO contacts (handle, display_name, address_book_name, phone, note) "
                        "VALUES (?,?,?,?,?)", contacts)
        everything = sorted([*rows, *deleted], key=lambda row: row[2])
        con.executemany("INSERT INTO messages (chat_handle, outgoing, ts_ms, body) VALUES (?,?,?,?)", everything)
        con.commit()
        con.executemany("DELETE FROM messages WHERE ts_ms = ?", [(row[2],) for row in deleted])
    return _sqlite(build)


def _rational(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 2)
    return (float(degrees), float(minutes), seconds)


def photo() -> bytes:
    """The photo PH-02 took at the warehouse gate (EXIF: local time, its offset, GPS, camera)."""
    from PIL import Image, ImageDraw
    r = rng("photo")
    img = Image.new("RGB", (800, 533), (150, 170, 190))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 330, 800, 533), fill=(110, 105, 95))
    draw.rectangle((140, 150, 660, 360), fill=(170, 120, 70), outline=(60, 50, 40), width=4)
    draw.rectangle((330, 240, 470, 360), fill=(80, 80, 85))
    draw.text((360, 190), "14", fill=(255, 255, 255))
    for _ in range(40):
        x, y = r.randint(0, 800), r.randint(340, 533)
        draw.point((x, y), fill=(90, 90, 80))
    local = at("photo_taken").astimezone(LOCAL)
    exif = img.getexif()
    exif[0x010F] = CAMERA["make"]
    exif[0x0110] = CAMERA["model"]
    exif[0x0132] = local.strftime("%Y:%m:%d %H:%M:%S")
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = local.strftime("%Y:%m:%d %H:%M:%S")
    sub[0x9011] = "+05:00"
    sub[0xA431] = CAMERA["serial"]
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", _rational(SITE["lat"])
    gps[3], gps[4] = "E", _rational(SITE["lon"])
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85, exif=exif.tobytes())
    return out.getvalue()


def toolkit() -> bytes:
    """The toolkit archive the suspect downloaded (not served: its size and hash are evidence)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in (("kt/README.txt", "Nightjar toolkit 2.4. Run start.cmd as the user, not as admin.\n"),
                           ("kt/start.cmd", "@echo off\r\nkt.exe --quiet\r\n"),
                           ("kt/kt.exe", "MZ" + "\0" * 6000)):
            info = zipfile.ZipInfo(name, date_time=(2026, 10, 1, 20, 0, 0))
            zf.writestr(info, body)
    return out.getvalue()


WEBKIT_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


def _webkit(moment: datetime) -> int:
    return int((moment - WEBKIT_EPOCH) / timedelta(microseconds=1))


# Chrome's page transitions (core type | chain start and end): a link followed, a URL typed, a
# search from the omnibox (generated).
LINK, TYPED, GENERATED = 0x30000000, 0x30000001, 0x30000005


def browser_history() -> bytes:
    """Chrome's ``History`` database from LT-07 (times in WebKit microseconds, UTC): one row per
    URL in ``urls``, one per visit in ``visits``."""
    channel = CASE["group"]["channel"]["url"]
    url = CASE["files"]["kt-2.4.zip"]["url"]
    kit = toolkit()
    searches = [("2026-10-02T12:40:51Z", "water prices kestova 2026"),
                (CASE["events"]["search_before_download"], "run portable tools without admin rights"),
                ("2026-10-02T18:02:30Z", "weather port tessa"),
                ("2026-10-09T16:12:05Z", "pdf reader portable")]
    visits = [("2026-10-02T12:41:30Z", "https://news.example.org/economy/water-prices", "Water prices rise again", LINK),
              ("2026-10-02T14:52:10Z", f"{channel}/1187", "Nightjar News – Tessera", LINK),
              ("2026-10-02T15:09:41Z", f"{channel}/1191", "Nightjar News – Tessera", LINK),
              ("2026-10-09T16:10:02Z", f"{channel}/1203", "Nightjar News – Tessera", LINK),
              ("2026-10-20T09:15:00Z", "https://updates.example.org/check", "Updates", TYPED)]
    entries = sorted([(when(t), f"https://search.example.org/search?q={term.replace(' ', '+')}", f"{term} - Search",
                       GENERATED, term) for t, term in searches]
                     + [(when(t), u, title, kind, None) for t, u, title, kind in visits], key=lambda e: e[0])

    def build(con: sqlite3.Connection) -> None:
        con.execute("CREATE TABLE urls (id INTEGER PRIMARY KEY, url TEXT UNIQUE, title TEXT, visit_count INTEGER, "
                    "typed_count INTEGER, last_visit_time INTEGER)")
        con.execute("CREATE TABLE visits (id INTEGER PRIMARY KEY, url INTEGER, visit_time INTEGER, transition INTEGER)")
        con.execute("CREATE TABLE keyword_search_terms (keyword_id INTEGER, url_id INTEGER, term TEXT, "
                    "normalized_term TEXT)")
        con.execute("CREATE TABLE downloads (id INTEGER PRIMARY KEY, guid TEXT, current_path TEXT, target_path TEXT, "
                    "start_time INTEGER, end_time INTEGER, received_bytes INTEGER, total_bytes INTEGER, "
                    "state INTEGER, referrer TEXT, tab_url TEXT, mime_type TEXT)")
        con.execute("CREATE TABLE downloads_url_chains (id INTEGER, chain_index INTEGER, url TEXT)")
        ids: dict[str, int] = {}
        for moment, u, title, kind, term in entries:
            if u not in ids:
                ids[u] = con.execute("INSERT INTO urls (url, title, visit_count, typed_count, last_visit_time) "
                                     "VALUES (?,?,0,0,0)", (u, title)).lastrowid
                if term:
                    con.execute("INSERT INTO keyword_search_terms VALUES (2,?,?,?)", (ids[u], term, term.lower()))
            con.execute("UPDATE urls SET visit_count = visit_count + 1, typed_count = typed_count + ?, "
                        "last_visit_time = ? WHERE id = ?", (int(kind == TYPED), _webkit(moment), ids[u]))
            con.execute("INSERT INTO visits (url, visit_time, transition) VALUES (?,?,?)", (ids[u], _webkit(moment), kind))
        start, page = at("toolkit_download"), f"{channel}/1191"
        con.execute("INSERT INTO downloads VALUES (1,'3f2b1c4e-0d1a-4b6f-9a5e-77c0d2e1a901',?,?,?,?,?,?,1,?,?,?)",
                    (r"C:\Users\r.tebenov\Downloads\kt-2.4.zip", r"C:\Users\r.tebenov\Downloads\kt-2.4.zip",
                     _webkit(start), _webkit(start + timedelta(seconds=3)), len(kit), len(kit), page, page,
                     "application/zip"))
        con.execute("INSERT INTO downloads_url_chains VALUES (1,0,?)", (url,))
    return _sqlite(build)
