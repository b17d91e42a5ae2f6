"""Phase 2 artefact: the triage timeline of laptop LT-07 (file system and registry, in UTC)."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

from world import CASE, at, iso, rng, sha256, when

HOME = r"C:\Users\r.tebenov"
USB = CASE["devices"]["LT-07"]["usb"]
USB_KEY = (r"HKLM\SYSTEM\CurrentControlSet\Enum\USBSTOR\Disk&Ven_" + USB["vendor"]
           + r"&Prod_Traveler&Rev_1.00" + "\\" + USB["serial"] + "&0")
COPIED = ["routes_meridian.kml", "shift_rota_nov.xlsx", "gate_codes.txt"]


def work_files() -> dict[str, bytes]:
    """The three work files the suspect took from his employer (their bytes give size and hash)."""
    r = rng("work_files")
    kml = "<?xml version=\"1.0\"?><kml><Document>" + "".join(
        f"<Placemark><name>R{i}</name><Point><coordinates>{60 + r.random():.5f},{44 + r.random():.5f}</coordinates>"
        "</Point></Placemark>" for i in range(60)) + "</Document></kml>\n"
    rota = "PK\x03\x04" + "".join(r.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(9000))
    gates = "\n".join(f"Gate {g}: {r.randint(1000, 9999)}" for g in range(1, 17)) + "\n"
    return {"routes_meridian.kml": kml.encode(), "shift_rota_nov.xlsx": rota.encode(), "gate_codes.txt": gates.encode()}


def timeline(photo: bytes, toolkit: bytes, declarations: dict[str, bytes]) -> bytes:
    """A plaso-style CSV: one row per time stamp of a file or registry key, newest sources merged."""
    r = rng("laptop_timeline")
    rows: list[tuple[str, str, str, int | str, str, str]] = []

    def add(moment, macb, source, path, data: bytes | None = None, size: int | None = None) -> None:
        rows.append((iso(moment), macb, source, len(data) if data is not None else (size or ""),
                     sha256(data) if data is not None else "", path))

    for day in range(40):
        moment = when("2026-09-20T03:00:00Z") + timedelta(days=day, minutes=r.randint(0, 600))
        add(moment, "m...", "FILE", r"C:\Windows\System32\winevt\Logs\System.evtx", size=1052672 + day * 4096)
        if day % 3 == 0:
            noise = f"report_{day:02d}.docx"
            add(moment + timedelta(hours=2), "macb", "FILE", rf"{HOME}\Documents\{noise}", size=r.randint(20000, 90000))
    add(at("toolkit_download") + timedelta(seconds=3), "macb", "FILE", rf"{HOME}\Downloads\kt-2.4.zip", toolkit)
    # Both declarations were saved under other names: only their hashes tie them to the posts.
    add(when("2026-09-10T17:02:19Z"), "macb", "FILE", rf"{HOME}\Documents\old\declaration_final.pdf",
        declarations["declaration_v2.pdf"])
    add(at("manifesto_saved"), "macb", "FILE", rf"{HOME}\Downloads\reading_list_oct.pdf", declarations["declaration_v3.pdf"])
    work = work_files()
    made = when("2026-10-21T05:30:00Z")
    for i, name in enumerate(COPIED):
        add(made + timedelta(hours=i * 20, minutes=13 * i), "macb", "FILE", rf"{HOME}\Documents\work\{name}", work[name])
    add(when("2026-10-19T11:00:00Z"), "macb", "FILE", r"E:\music\track01.mp3", size=4810233)
    add(at("usb_inserted"), "...b", "REG", USB_KEY)
    add(at("usb_inserted") + timedelta(seconds=1), "m...", "FILE", r"C:\Windows\INF\setupapi.dev.log", size=2211840)
    copy = at("usb_inserted") + timedelta(minutes=3)
    add(copy - timedelta(seconds=5), "...b", "FILE", r"E:\transfer", size=0)
    for i, name in enumerate(COPIED):
        add(copy + timedelta(seconds=70 * i + r.randint(0, 20)), "macb", "FILE", rf"E:\transfer\{name}", work[name])
    add(at("usb_copy_end"), "m...", "FILE", r"E:\transfer", size=0)
    # He opened the gate codes from the drive to check them: Windows left a Recent shortcut.
    add(at("usb_copy_end") + timedelta(seconds=24), "macb", "LNK",
        rf"{HOME}\AppData\Roaming\Microsoft\Windows\Recent\gate_codes.txt.lnk", size=1522)
    add(at("photo_imported"), "macb", "FILE", rf"{HOME}\Pictures\IMG_20261025_113204.jpg", photo)
    rows.sort(key=lambda row: (row[0], row[5]))
    out = io.StringIO()
    out.write("# LT-07 triage timeline, with the USB drive (E:) seized with the laptop and imaged beside it. "
              "Times are UTC (the laptop's clock runs on UTC+05:00; the triage tool converted them). "
              "macb = modified, accessed, changed, born.\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["datetime_utc", "macb", "source", "size", "sha256", "path"])
    writer.writerows(rows)
    return out.getvalue().encode()
