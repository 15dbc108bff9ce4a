"""An external process that only emits (write-only), as a worker or cron job would.

    python -m tests.cluster.emitter EVENT DATA [ROOM]
"""

from __future__ import annotations

import os
import sys

from flask_socketio.managers import from_url
from flask_socketio.server import Server

if __name__ == "__main__":
    manager = from_url(os.environ["MESSAGE_QUEUE"], channel=os.environ["CHANNEL"],
                       write_only=True)
    server = Server(client_manager=manager, async_mode="threading")
    room = sys.argv[3] if len(sys.argv) > 3 else None
    server.emit(sys.argv[1], sys.argv[2], to=room)
    print("emitted", flush=True)
