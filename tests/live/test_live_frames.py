"""/live sends plain frames: a browser's permessage-deflate offer is declined (each message would
be compressed again for every observer), unless the organizer turns compression on."""
from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlsplit

OFFER = "permessage-deflate; client_max_window_bits"  # what Chromium sends


def upgrade(base_url: str) -> tuple[str, dict[str, str], bytes]:
    """Open /live's WebSocket by hand, offering compression as a browser does: the status line, the
    response headers and the first bytes of the first frame (engine.io's open packet)."""
    url = urlsplit(base_url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {url.netloc}\r\n"
                      "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                      f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Extensions: {OFFER}\r\n\r\n")
                     .encode())
        reply = b""
        while b"\r\n\r\n" not in reply or len(reply.split(b"\r\n\r\n", 1)[1]) < 4:
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
    head, frame = reply.split(b"\r\n\r\n", 1)
    status, *lines = head.decode().split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    return status, headers, frame


def test_a_browsers_compression_offer_is_declined_and_frames_are_plain(shared_server: Any) -> None:
    status, headers, frame = upgrade(shared_server.base_url)
    assert " 101 " in status, status
    assert "sec-websocket-extensions" not in headers, headers
    assert frame[0] & 0x40 == 0  # RSV1 clear: the frame is not compressed
    assert frame[2:4] == b"0{"  # and reads as it is: engine.io's open packet


def test_compression_is_negotiated_when_the_organizer_turns_it_on(server_factory: Any) -> None:
    srv = server_factory({"DRILLBOARD_LIVE_COMPRESSION": "1"}).start()
    status, headers, _ = upgrade(srv.base_url)
    assert " 101 " in status and headers.get("sec-websocket-extensions", "").startswith("permessage-deflate"), headers
