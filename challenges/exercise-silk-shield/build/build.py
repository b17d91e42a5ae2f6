#!/usr/bin/env python3
"""Build every artefact of the SILK SHIELD pack from the case file, then check them.

    python challenges/exercise-silk-shield/build/build.py           # write into the pack
    python challenges/exercise-silk-shield/build/build.py --check   # fail if a file differs

Deterministic: the same case file gives the same bytes on every run (fixed seed, fixed
times, no clock read). The consistency checker and the format validators run after every
build; a build that contradicts the case file fails.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import capture  # noqa: E402
import laptop  # noqa: E402
import ransomware  # noqa: E402
import recon  # noqa: E402
import seized  # noqa: E402
import telecom  # noqa: E402

PACK = Path(__file__).resolve().parent.parent

# Each artefact and the tasks that attach it (a task folder relative to the pack).
HOMES: dict[str, list[str]] = {
    "channel_export.json": ["recon/channel-admin", "recon/recruiting-desk", "recon/file-host-september",
                            "recon/domain-age", "seized/declaration-post"],
    "passive_dns.csv": ["recon/file-host-september"],
    "whois.txt": ["recon/domain-age"],
    "tessera_ph02.db": ["seized/closest-contact", "seized/deleted-message"],
    "IMG_20261025_113204.jpg": ["seized/photo-location", "seized/photo-time"],
    "History": ["seized/search-before-download", "seized/download-source-post"],
    "lt07_timeline.csv": ["seized/usb-exfiltration", "seized/declaration-post"],
    "noc_dns.pcap": ["telecom/tunnel-domain", "telecom/tunnel-payload"],
    "portal_access.log": ["telecom/portal-exploit"],
    "edge_firewall.csv": ["telecom/beacon-interval", "telecom/beaconing-host"],
    "action_required_settlement.eml": ["telecom/phishing-origin", "telecom/phishing-verdict"],
    "RESTORE-MY-FILES.txt": ["ransomware/payment-wallet"],
    "Q4_consignments.pdf.kstl": ["ransomware/decrypt-manifest"],
    "logons_4624.csv": ["ransomware/lateral-path", "ransomware/lateral-account"],
    "sysmon_process.csv": ["ransomware/encryptor-parent", "ransomware/lateral-path"],
    "meridian_assets.csv": ["ransomware/lateral-path", "ransomware/lateral-account"],
}


def artefacts() -> dict[str, bytes]:
    """Every artefact's bytes, by file name."""
    photo = seized.photo()
    queries = capture.plan(telecom.exfil_file())
    return {
        "channel_export.json": recon.channel_export(),
        "passive_dns.csv": recon.passive_dns(),
        "whois.txt": recon.whois(),
        "tessera_ph02.db": seized.messenger_db(),
        "IMG_20261025_113204.jpg": photo,
        "History": seized.browser_history(),
        "lt07_timeline.csv": laptop.timeline(photo, seized.toolkit(), recon.documents()),
        "noc_dns.pcap": capture.pcap(queries),
        "portal_access.log": telecom.access_log(),
        "edge_firewall.csv": telecom.firewall_log(queries),
        "action_required_settlement.eml": telecom.phishing_mail(),
        "RESTORE-MY-FILES.txt": ransomware.ransom_note(),
        "Q4_consignments.pdf.kstl": ransomware.encrypted_manifest(),
        "logons_4624.csv": ransomware.logon_log(),
        "sysmon_process.csv": ransomware.process_log(),
        "meridian_assets.csv": ransomware.assets(),
    }


def placed(root: Path) -> dict[Path, bytes]:
    """Where each artefact goes under ``root``, with its bytes."""
    built = artefacts()
    return {root / task / "files" / name: built[name] for name, tasks in HOMES.items() for task in tasks}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the files in the pack; write nothing")
    parser.add_argument("--out", type=Path, default=PACK, help="the pack folder to write into")
    args = parser.parse_args()
    files = placed(args.out)
    if args.check:
        stale = [str(p.relative_to(args.out)) for p, data in files.items() if not p.exists() or p.read_bytes() != data]
        if stale:
            print("differs from a fresh build:", *stale, sep="\n  ")
            return 1
    else:
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    import consistency
    import validate
    problems = consistency.check(args.out) + validate.check(args.out)
    for problem in problems:
        print("PROBLEM:", problem)
    print(f"{len(files)} files from {len(HOMES)} artefacts; {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
