"""Bare Python: the benchmark app's events on asyncio and the `websockets` library.

Not a contender and not a floor of our own stack: the bar a plain asyncio
server sets (issue 13 measures broadcast against "bare Python (asyncio +
websockets)"). `run.py --impl bare` runs the websocket scenarios against it in
the venv benchmarks/.venv-bare, which the driver makes with `websockets` only;
the project never imports it.

    benchmarks/.venv-bare/bin/python benchmarks/bare.py

Prints "IMPL bare" and "PORT <n>" like serve.py, then serves on 127.0.0.1:
websocket only, default namespace only, what it says is wire_app.py's (as
floor.py). Broadcast is `websockets`' own `broadcast()`, which writes the
frame to every connection without waiting for any. One asyncio event loop
(the default one), whatever BENCH_ASYNC_MODE says; no Engine.IO pings.
"""

import asyncio
import http

from harness.limits import raise_open_files_limit
from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from wire_app import OPEN, App

app = App()


async def handler(ws: ServerConnection) -> None:
    try:
        await ws.send(OPEN)
        async for text in ws:
            if text == "40":
                await ws.send(app.connect(ws))
            elif isinstance(text, str) and text.startswith("42"):
                ack, news, targets = app.event(ws, text)
                if news is not None:
                    broadcast(targets, news)
                if ack is not None:
                    await ws.send(ack)
    except ConnectionClosed:
        pass
    finally:
        app.disconnect(ws)


def health(connection: ServerConnection, request: Request) -> Response | None:
    """Plain HTTP requests (the driver's GET /health) get 200 instead of 426."""
    if request.headers.get("Upgrade", "").lower() != "websocket":
        return connection.respond(http.HTTPStatus.OK, "ok\n")
    return None


async def main() -> None:
    raise_open_files_limit()
    async with serve(
        handler,
        "127.0.0.1",
        0,
        process_request=health,
        compression=None,  # the load generator does not offer it either
        ping_interval=None,  # like floor.py: nothing but the scenario's traffic
        backlog=2048,
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print("IMPL bare", flush=True)
        print("PORT", port, flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
