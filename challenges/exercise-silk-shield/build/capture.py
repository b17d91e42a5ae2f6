"""Phase 3 artefact: the DNS capture from Aralink's NOC segment (capture filter ``udp port 53``).

The tunnel client on NOC-WS17 sends the file base32-encoded in query names
``<chunk>.<seq>.q.<tunnel domain>``; chunk 0 carries the file's name. Some queries are resent
(the client retries when the answer is slow) and arrive out of order, as real ones do.
"""
from __future__ import annotations

import base64
import io

from world import CASE, at, rng

TEL = CASE["telecom"]
CLIENT, RESOLVER = TEL["beacon"]["from"], "10.40.0.53"
CHUNK = 30


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=").lower()


def tunnel_names(payload: bytes, name: str) -> list[str]:
    """Every query name the client sends, in its first-try order."""
    chunks = [name.encode()] + [payload[i:i + CHUNK] for i in range(0, len(payload), CHUNK)]
    return [f"{_b32(chunk)}.{seq}.q.{TEL['tunnel_domain']}" for seq, chunk in enumerate(chunks)]


ANSWERS = {"updates.example.org": "203.0.113.93", "tessera.example.org": "203.0.113.90",
           "search.example.org": "203.0.113.91", "news.example.org": "203.0.113.92",
           "mail.aralink.example.org": "10.40.0.25", "portal.aralink.example.org": "192.0.2.10"}


def plan(payload: bytes) -> list[tuple[float, str, str, str]]:
    """Every query on the wire, as (unix time, client, name, type): the tunnel's (some resent, a few
    out of order) among ordinary lookups. The firewall log is written from the same plan."""
    r = rng("capture")
    names = tunnel_names(payload, TEL["exfil_file"])
    order = list(range(len(names)))
    for i in range(0, len(order) - 1, 9):          # a few swapped neighbours
        order[i], order[i + 1] = order[i + 1], order[i]
    resent = set(r.sample(range(len(names)), 6))
    queries: list[tuple[str, str, str]] = []
    for seq in order:
        queries.append((CLIENT, names[seq], "TXT"))
        if seq in resent:
            queries.append((CLIENT, names[seq], "TXT"))
    for _ in range(len(queries) // 3):
        queries.insert(r.randint(0, len(queries)), (r.choice(["10.40.3.18", "10.40.3.21", "10.40.5.10"]),
                                                    r.choice(sorted(ANSWERS)), "A"))
    moment, timed = at("dns_tunnel_start").timestamp(), []
    for src, qname, qtype in queries:
        timed.append((moment, src, qname, qtype))
        moment += 0.05 + r.randint(0, 400) / 1000
    return timed


def pcap(queries: list[tuple[float, str, str, str]]) -> bytes:
    """A libpcap file of the planned queries and the resolver's answers."""
    from scapy.layers.dns import DNS, DNSQR, DNSRR
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    from scapy.utils import PcapWriter
    r = rng("capture-replies")
    out = io.BytesIO()
    writer = PcapWriter(out, linktype=1, sync=True)
    mac_c, mac_r = "02:00:0a:28:03:11", "02:00:0a:28:00:35"
    for i, (moment, src, qname, qtype) in enumerate(queries):
        txid = (i * 7919 + 17) % 65536
        sport = 40000 + (i * 131) % 20000
        query = (Ether(src=mac_c, dst=mac_r) / IP(src=src, dst=RESOLVER, id=i % 65536) / UDP(sport=sport, dport=53)
                 / DNS(id=txid, rd=1, qd=DNSQR(qname=qname, qtype=qtype)))
        query.time = moment
        if qtype == "A":
            rr = DNSRR(rrname=qname, type="A", ttl=300, rdata=ANSWERS[qname])
        else:
            rr = DNSRR(rrname=qname, type="TXT", ttl=0, rdata="ok")
        reply = (Ether(src=mac_r, dst=mac_c) / IP(src=RESOLVER, dst=src, id=(i + 30000) % 65536)
                 / UDP(sport=53, dport=sport) / DNS(id=txid, qr=1, aa=0, rd=1, ra=1, qd=DNSQR(qname=qname, qtype=qtype),
                                                    an=rr))
        reply.time = moment + 0.004 + r.randint(0, 30) / 1000
        writer.write(query)
        writer.write(reply)
    writer.flush()
    return out.getvalue()
