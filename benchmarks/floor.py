"""The floor: the benchmark app's events on bare sockets, in Python.

Not a contender. `run.py --impl floor` runs the scenarios against it to show
what a Python server in the same async mode spends at the least per round
trip or delivery: the sockets, websocket framing by the same library we use
(wsproto's frame layer) and JSON, with no Engine.IO or Socket.IO layer, no
Flask, no handler dispatch. The distance from it to a real implementation is
what those layers cost.

    BENCH_ASYNC_MODE=threading|eventlet|gevent python benchmarks/floor.py

Prints "IMPL floor" and "PORT <n>" like serve.py, then serves on 127.0.0.1:
websocket only, default namespace only, events echo, join and bcast (what it
says is wire_app.py's, shared with bare.py).
"""

import os

ASYNC_MODE = os.environ.get("BENCH_ASYNC_MODE", "threading")
if ASYNC_MODE == "eventlet":
    import eventlet

    eventlet.monkey_patch()
elif ASYNC_MODE == "gevent":
    from gevent import monkey

    monkey.patch_all()

import base64  # noqa: E402
import hashlib  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402

from harness.limits import raise_open_files_limit  # noqa: E402
from wire_app import OPEN, App  # noqa: E402
from wsproto.frame_protocol import FrameProtocol, Opcode  # noqa: E402

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_framer = FrameProtocol(client=False, extensions=[])
app = App(threading.Lock())


def frame(text: str) -> bytes:
    return bytes(_framer._serialize_frame(Opcode.TEXT, text.encode()))


class Client:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.lock = threading.Lock()

    def send(self, data: bytes) -> None:
        with self.lock:
            sent = self.sock.send(data)  # gevent's sendall() first asks for SO_SNDBUF
            if sent < len(data):
                self.sock.sendall(data[sent:])


def handshake(sock: socket.socket) -> bool:
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            return False
        head += chunk
    lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
    if "sec-websocket-key" not in headers:  # GET /health and the like
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        return False
    accept = base64.b64encode(hashlib.sha1(headers["sec-websocket-key"].encode() + GUID).digest())
    sock.sendall(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
    )
    return True


def on_event(client: Client, text: str) -> None:
    ack, news, targets = app.event(client, text)
    if news is not None:
        data = frame(news)
        for target in targets:
            try:
                target.send(data)
            except OSError:
                pass
    if ack is not None:
        client.send(frame(ack))


def serve_client(sock: socket.socket) -> None:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client = Client(sock)
    try:
        if not handshake(sock):
            return
        client.send(frame(OPEN))
        proto = FrameProtocol(client=False, extensions=[])
        while True:
            for incoming in proto.received_frames():
                if incoming.opcode is Opcode.CLOSE:
                    return
                if incoming.opcode is not Opcode.TEXT:
                    continue
                text = incoming.payload
                if text == "40":
                    client.send(frame(app.connect(client)))
                elif text.startswith("42"):
                    on_event(client, text)
            data = sock.recv(65536)
            if not data:
                return
            proto.receive_bytes(data)
    except OSError:
        pass
    finally:
        app.disconnect(client)
        sock.close()


def main() -> None:
    raise_open_files_limit()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(2048)
    print("IMPL floor", flush=True)
    print("PORT", listener.getsockname()[1], flush=True)
    while True:
        sock, _ = listener.accept()
        threading.Thread(target=serve_client, args=(sock,), daemon=True).start()


if __name__ == "__main__":
    main()
