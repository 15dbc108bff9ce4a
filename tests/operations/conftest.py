"""A two-process cluster of the operations app, joined by Redis (module-wide)."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import require
from tests.operations.helpers import APP, redis_up


@pytest.fixture(scope="module")
def cluster(module_server_factory):
    """Two servers (SERVER_ID server-1 and server-2) on a channel of their own."""
    require(redis_up(), "redis on 127.0.0.1:6379")
    channel = f"ops-{uuid.uuid4().hex[:8]}"
    env = {"MESSAGE_QUEUE": "redis://127.0.0.1:6379/0", "CHANNEL": channel}
    return [module_server_factory(APP, SERVER_ID=f"server-{n}", **env) for n in (1, 2)]
