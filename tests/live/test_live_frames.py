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


def _frames(data: bytes) -> list[tuple[int, bytes]]:
    """Unmasked server frames as (first byte, payload); stops at an incomplete one."""
    found = []
    while len(data) >= 2:
        length, start = data[1] & 0x7F, 2
        if length == 126:
            length, start = int.from_bytes(data[2:4], "big"), 4
        elif length == 127:
            length, start = int.from_bytes(data[2:10], "big"), 10
        if len(data) < start + length:
            break
        found.append((data[0], data[start:start + length]))
        data = data[start + length:]
    return found


def test_a_message_larger_than_the_send_buffer_reaches_a_slow_reader_whole() -> None:
    """A large snapshot to an observer that reads late: the server's send buffer takes only part
    of it at once. Every frame must still arrive whole (simple-websocket wrote one ``send`` and
    dropped the rest: the next frame then began inside this one)."""
    import threading
    import time

    import engineio

    from scoreboard.live import whole_frames

    server = engineio.Server(async_mode="threading")
    assert whole_frames.install(server)
    big, small = "4" + "x" * 300_000, "4" + "after"
    served, observer = _tcp_pair()
    sent = threading.Event()

    def handler(ws: Any) -> None:
        ws.send(big)
        ws.send(small)
        sent.set()

    environ = {"werkzeug.socket": served, "REQUEST_METHOD": "GET", "PATH_INFO": "/socket.io/", "QUERY_STRING": "",
               "HTTP_HOST": "drill.test", "HTTP_CONNECTION": "Upgrade", "HTTP_UPGRADE": "websocket",
               "HTTP_SEC_WEBSOCKET_KEY": "dGhlIHNhbXBsZSBub25jZQ==", "HTTP_SEC_WEBSOCKET_VERSION": "13"}
    websocket = server._async["websocket"](handler, server)
    serving = threading.Thread(target=lambda: _serve(websocket, environ), daemon=True)
    serving.start()
    time.sleep(0.5)  # the observer reads nothing for a while: the server's buffer fills
    observer.settimeout(5)
    received = b""
    while b"after" not in received:
        chunk = observer.recv(65536)
        assert chunk, f"the connection closed after {len(received)} bytes"
        received += chunk
    assert sent.wait(5)
    body = received.split(b"\r\n\r\n", 1)[1]
    frames = _frames(body)
    assert [(first, len(payload)) for first, payload in frames] == [(0x81, len(big)), (0x81, len(small))]
    assert frames[0][1] == big.encode() and frames[1][1] == small.encode()
    observer.close()
    served.close()


def _tcp_pair() -> tuple[socket.socket, socket.socket]:
    """A loopback TCP connection as a server holds it: with a timeout (gevent's and gunicorn's
    sockets are non-blocking underneath, so a send takes only what fits) and a small send buffer;
    the observer's end reads into a small buffer."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        observer = socket.socket()
        observer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        observer.connect(listener.getsockname())
        served, _ = listener.accept()
    served.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    served.settimeout(10)
    return served, observer


def _serve(websocket: Any, environ: dict[str, Any]) -> None:
    try:
        websocket(environ, lambda *_: None)
    except (ConnectionError, OSError):  # how the threading layer ends a served socket
        pass


class _Queue(list):
    def empty(self) -> bool:
        return not self

    def put(self, item: Any) -> None:
        self.append(item)


class _EngineSocket:
    """An engine.io connection as the fan-out sees it; ``send`` queues, as engine.io's does."""

    def __init__(self, upgraded: bool = True) -> None:
        self.upgraded, self.upgrading, self.closed, self.queue = upgraded, False, False, _Queue()

    def send(self, pkt: Any) -> None:
        self.queue.put(pkt)


class _Connection:
    """A WebSocket whose socket takes ``room`` bytes now; what it took is on ``wire``."""

    def __init__(self, room: int) -> None:
        self.room, self.wire, self.plain, self.sending = room, b"", True, False

    def send_now(self, frame: bytes) -> int:
        taken = frame[:self.room]
        self.room -= len(taken)
        self.wire += taken
        return len(taken)


def _read_by_observer(connection: _Connection, socket_: _EngineSocket) -> list[str]:
    """What the observer reads in the end: the wire, then each queued packet as the writer frames it."""
    from wsproto import ConnectionType
    from wsproto.connection import Connection
    from wsproto.events import TextMessage

    from scoreboard.live.whole_frames import Framed

    framer, data = Connection(ConnectionType.SERVER), connection.wire
    for pkt in socket_.queue:
        encoded = pkt.encode()
        data += bytes(encoded) if isinstance(encoded, Framed) else framer.send(TextMessage(data=encoded))
    return [payload.decode() for _, payload in _frames(data)]


def test_the_fanout_writes_to_observers_keeping_up_and_queues_the_rest_in_order() -> None:
    """A public event is framed once and written straight to each observer that keeps up; an
    observer whose socket takes only part of it gets the rest through its queue, and every later
    event after that rest; a polling observer, and one being written to, get it queued."""
    from types import SimpleNamespace

    from socketio import packet as sio_packet

    from scoreboard.live.fanout import Fanout
    from scoreboard.live.whole_frames import Connections

    observers = {"fast": (_Connection(10_000), _EngineSocket()), "slow": (_Connection(10), _EngineSocket()),
                 "busy": (_Connection(10_000), _EngineSocket()), "polling": (None, _EngineSocket(upgraded=False))}
    observers["busy"][0].sending = True
    connections = Connections(direct=True)
    connections.by_sid = {sid: conn for sid, (conn, _) in observers.items() if conn is not None}
    manager = SimpleNamespace(get_participants=lambda namespace, room: [(f"s-{sid}", sid) for sid in observers])
    server = SimpleNamespace(packet_class=sio_packet.Packet, manager=manager,
                             eio=SimpleNamespace(sockets={sid: sock for sid, (_, sock) in observers.items()}))
    fanout = Fanout(server, connections)
    fanout.emit("/live", "public", "solve", {"seq": 7, "team": "Team China"})
    observers["slow"][0].room = 10_000  # its socket has room again, but the first event's rest is still queued
    fanout.emit("/live", "public", "standings", {"seq": 8})

    expected = ['42/live,["solve",{"seq":7,"team":"Team China"}]', '42/live,["standings",{"seq":8}]']
    fast_conn, fast = observers["fast"]
    assert not fast.queue and _frames(fast_conn.wire) and _read_by_observer(fast_conn, fast) == expected
    slow_conn, slow = observers["slow"]
    assert len(slow_conn.wire) == 10 and len(slow.queue) == 2  # the rest of the first, then the second
    assert _read_by_observer(slow_conn, slow) == expected
    busy_conn, busy = observers["busy"]
    assert busy_conn.wire == b"" and _read_by_observer(busy_conn, busy) == expected
    polling = observers["polling"][1]
    assert [pkt.encode() for pkt in polling.queue] == expected
