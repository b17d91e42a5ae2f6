"""Phase 3 artefacts: the intrusion at Aralink Regional Telecom — a phishing e-mail, the
customer portal's access log, the edge firewall's log and a capture of the DNS tunnel."""
from __future__ import annotations

import base64
import csv
import email.utils
import hashlib
import io
from datetime import UTC, datetime, timedelta

from world import CASE, at, iso, person, rng

TEL = CASE["telecom"]
NOC = person("noc")


def dkim_body_hash(body: str) -> str:
    """DKIM's ``bh=`` for the simple body canonicalization (RFC 6376 §3.4.3)."""
    canon = body.replace("\r\n", "\n").rstrip("\n").replace("\n", "\r\n") + "\r\n"
    return base64.b64encode(hashlib.sha256(canon.encode()).digest()).decode()


def phishing_mail() -> bytes:
    """The e-mail as it sits in the engineer's mailbox, every Received header intact."""
    received = at("phish_received")
    body = ("Dear colleague,\n\nyour November roaming settlement is overdue. Please confirm the amount in the\n"
            "billing portal before 12:00 today to avoid a service interruption:\n\n"
            "    https://aralink-billing.example.org/settlement?ref=NOC-2211\n\n"
            "Kind regards,\nAralink Billing Desk\n")
    sent = received - timedelta(seconds=9)
    msgid = "<20261103054058.4471@smtp.aralink-billing.example.org>"
    bh = dkim_body_hash(body)
    sig = base64.b64encode(hashlib.sha512(f"{bh}{msgid}".encode()).digest() * 4).decode()
    headers = [
        "Return-Path: <billing@aralink-billing.example.org>",
        f"Received: from mx1.aralink.example.org (mx1.aralink.example.org [192.0.2.25])\n\tby mail.aralink.example.org "
        f"(Postfix) with ESMTPS id 4B7D21C0A1\n\tfor <{NOC['handle']}@aralink.example.org>; {email.utils.format_datetime(received)}",
        f"Received: from smtp.aralink-billing.example.org (smtp.aralink-billing.example.org [198.51.100.23])\n\tby "
        f"mx1.aralink.example.org (Postfix) with ESMTPS id 9E0A7B3F22\n\tfor <{NOC['handle']}@aralink.example.org>; "
        f"{email.utils.format_datetime(received - timedelta(seconds=4))}",
        f"Received: from [10.9.8.7] (unknown [10.9.8.7])\n\tby smtp.aralink-billing.example.org (Postfix) with ESMTPSA "
        f"id 11F0C2A9\n\tfor <{NOC['handle']}@aralink.example.org>; {email.utils.format_datetime(sent)}",
        "Authentication-Results: mx1.aralink.example.org;\n\tspf=pass (mx1.aralink.example.org: domain of "
        "billing@aralink-billing.example.org designates 198.51.100.23 as permitted sender) "
        "smtp.mailfrom=billing@aralink-billing.example.org;\n\tdkim=pass header.d=aralink-billing.example.org "
        "header.s=mail2026 header.b=" + sig[:8] + ";\n\tdmarc=pass (p=NONE) header.from=aralink-billing.example.org",
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/simple; d=aralink-billing.example.org; s=mail2026;\n\t"
        f"t={int(sent.timestamp())}; h=from:to:subject:date:message-id:reply-to;\n\tbh={bh};\n\tb=" + sig[:172],
        "From: \"Aralink Billing Desk\" <billing@aralink-billing.example.org>",
        f"Reply-To: <{person('operator')['handle']}@aralink-billing.example.org>",
        f"To: <{NOC['handle']}@aralink.example.org>",
        "Subject: Action required: November roaming settlement",
        f"Date: {email.utils.format_datetime(sent)}",
        f"Message-ID: {msgid}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 7bit",
    ]
    return ("\n".join(headers) + "\n\n" + body).replace("\n", "\r\n").encode()


def access_log() -> bytes:
    """nginx's combined log of portal.aralink.example.org (times UTC)."""
    r = rng("access_log")
    lines = []
    customers = ["192.0.2.40", "192.0.2.41", "192.0.2.42"]
    start = at("portal_scan_start") - timedelta(minutes=40)

    def line(moment, ip, method, target, status, size, agent):
        stamp = moment.strftime("%d/%b/%Y:%H:%M:%S +0000")
        lines.append((moment, f'{ip} - - [{stamp}] "{method} {target} HTTP/1.1" {status} {size} "-" "{agent}"'))

    browser = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/141.0 Safari/537.36"
    for i in range(120):
        moment = start + timedelta(seconds=i * 37 + r.randint(0, 30))
        path = r.choice(["/", "/login", "/api/v2/status", "/api/v2/balance", "/static/app.js", "/tariffs"])
        line(moment, r.choice(customers), "GET", path, 200, r.randint(900, 40000), browser)
    scanner = "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000512)"
    probes = ["/admin/", "/.git/config", "/backup.zip", "/phpmyadmin/", "/download?f=../../etc/passwd",
              "/api/v1/export?file=../../etc/passwd", "/server-status", "/wp-login.php", "/.env"]
    for i in range(90):
        moment = at("portal_scan_start") + timedelta(seconds=i * 3)
        probe = probes[i % len(probes)]
        line(moment, "203.0.113.77", "GET", probe, 403 if "passwd" in probe else 404, 162, scanner)
    curl = "curl/8.9.1"
    exploit = at("portal_exploit")
    line(exploit, "203.0.113.77", "GET", f"{TEL['exploited']}?file=../../../../etc/passwd", 200, 2231, curl)
    line(exploit + timedelta(seconds=41), "203.0.113.77", "GET",
         f"{TEL['exploited']}?file=../../../../opt/aralink/conf/db.ini", 200, 412, curl)
    line(exploit + timedelta(seconds=95), "203.0.113.77", "GET",
         f"{TEL['exploited']}?file=../../../../home/noc/.ssh/id_ed25519", 200, 464, curl)
    line(exploit + timedelta(seconds=130), "203.0.113.77", "GET", f"{TEL['exploited']}?file=report_nov.csv", 200, 18211, curl)
    lines.sort(key=lambda item: item[0])
    return ("\n".join(text for _, text in lines) + "\n").encode()


def _from_capture(queries: list[tuple[float, str, str, str]], r) -> list[tuple]:
    """What the capture's lookups cause at the edge: the resolver asks the tunnel's name server for
    each new tunnel name (never cached: TTL 0), and clients connect to the public sites they
    looked up. Internal and Aralink's own addresses do not cross the edge."""
    from capture import ANSWERS, RESOLVER
    rows, asked = [], set()
    for moment, src, qname, qtype in queries:
        at_edge = datetime.fromtimestamp(moment, UTC)
        if qtype == "TXT" and qname not in asked:
            asked.add(qname)
            rows.append((at_edge, RESOLVER, r.randint(49152, 65000), "198.51.100.53", 53, "udp", "allow"))
        elif qtype == "A" and ANSWERS[qname].startswith("203.0.113."):
            rows.append((at_edge + timedelta(milliseconds=40), src, r.randint(49152, 65000), ANSWERS[qname], 443,
                         "tcp", "allow"))
    return rows


def firewall_log(queries: list[tuple[float, str, str, str]]) -> bytes:
    """The edge firewall's allowed outbound connections (CSV, UTC) for five hours."""
    r = rng("firewall_log")
    beacon = TEL["beacon"]
    rows = []
    moment = at("beacon_start")
    end = moment + timedelta(hours=5)
    while moment < end:
        rows.append((moment, beacon["from"], r.randint(49152, 65000), beacon["to"], beacon["port"], "tcp", "allow"))
        moment += timedelta(seconds=beacon["every_seconds"] + r.randint(-beacon["jitter_seconds"], beacon["jitter_seconds"]))
    noise = [("10.40.3.18", "203.0.113.93", 443), ("10.40.3.21", "203.0.113.92", 443), ("10.40.5.10", "203.0.113.93", 443),
             ("10.40.3.18", "203.0.113.91", 443), ("10.40.3.21", "203.0.113.90", 443)]
    for _ in range(700):
        src, dst, port = r.choice(noise)
        rows.append((at("beacon_start") + timedelta(seconds=r.randint(0, 5 * 3600)), src, r.randint(49152, 65000),
                     dst, port, "tcp", "allow"))
    rows += _from_capture(queries, r)
    rows.sort(key=lambda row: (row[0], row[1]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["time_utc", "src", "sport", "dst", "dport", "proto", "action"])
    for row in rows:
        writer.writerow([iso(row[0]), *row[1:]])
    return out.getvalue().encode()


def exfil_file() -> bytes:
    """The subscriber list the operator took out through the tunnel (fictional people)."""
    r = rng("exfil_file")
    first = ["Aliya", "Bauyrzhan", "Dana", "Erlan", "Gulnara", "Kairat", "Madina", "Nurlan", "Saule", "Yerlan"]
    last = ["Abenova", "Bekov", "Dauletova", "Iskakov", "Kasenova", "Mukanov", "Nurova", "Sadykov"]
    rows = ["subscriber_id,name,msisdn,region,plan"]
    for i in range(140):
        rows.append(f"R4-{100000 + i},{r.choice(first)} {r.choice(last)},+000 72 {r.randint(100, 999)} "
                    f"{r.randint(1000, 9999)},Region 4,{r.choice(['Basic', 'Plus', 'Business'])}")
    return ("\n".join(rows) + "\n").encode()
