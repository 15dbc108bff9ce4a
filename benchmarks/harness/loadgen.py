"""Run one scenario of the Node load generator against a running server.

The load generator stops at each mark of its scenario until we have sampled
the server (see loadgen/control.js), so each CPU window covers exactly the
measured work and nothing of the setup around it. A mark may carry the
scenario's figures so far (`data`); an `on_mark` callback sees each sample
with them and may answer "stop" (a stepped scenario then goes no further).
"""

import json
import os
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from .envs import LOADGEN_DIR
from .proc import Sample, sample

LOADGEN_NICENESS = -10


class LoadgenError(Exception):
    pass


@dataclass
class Measurement:
    result: dict
    marks: dict[str, Sample] = field(default_factory=dict)
    mark_data: dict[str, dict] = field(default_factory=dict)  # what marks carried


# (mark name, the server sampled there, the mark's data or {}) -> "ok" or "stop"
OnMark = Callable[[str, Sample, dict], str]


def run_scenario(
    scenario: str,
    port: int,
    server_pid: int,
    options: dict[str, object],
    timeout_s: float,
    on_mark: OnMark | None = None,
) -> Measurement:
    args = ["node", str(LOADGEN_DIR / "loadgen.js"), scenario, "--port", str(port), "--sync"]
    args += ["--hard-timeout-s", str(timeout_s)]
    for key, value in options.items():
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        args += ["--" + key.replace("_", "-"), str(value)]
    with tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            preexec_fn=_raise_priority,
        )
        # The load generator ends itself at its hard timeout; this is the
        # backstop for a process that is stuck beyond that.
        watchdog = threading.Timer(timeout_s + 15, process.kill)
        watchdog.start()
        try:
            return _converse(process, server_pid, on_mark)
        except LoadgenError as err:
            stderr.seek(0)
            tail = " | ".join(stderr.read().strip().splitlines()[-3:])
            raise LoadgenError(f"{err} {tail}".strip()) from None
        finally:
            watchdog.cancel()
            if process.poll() is None:
                process.kill()
            process.wait()


def _raise_priority() -> None:
    # The scheduler shares CPU per thread: a server with thousands of runnable
    # threads would otherwise starve the single-threaded load generator, and
    # its figures would describe the starvation. Priority changes nothing in
    # the server's own CPU time. Needs root; without it, run at the default.
    try:
        os.nice(LOADGEN_NICENESS)
    except OSError:
        pass


def _converse(process: subprocess.Popen, server_pid: int, on_mark: OnMark | None) -> Measurement:
    assert process.stdin is not None and process.stdout is not None
    measurement = Measurement({})
    for line in process.stdout:
        message = json.loads(line)
        if "mark" in message:
            name, data = message["mark"], message.get("data", {})
            try:
                measurement.marks[name] = sample(server_pid, process.pid)
            except FileNotFoundError:
                raise LoadgenError("the server died during the scenario") from None
            if data:
                measurement.mark_data[name] = data
            answer = on_mark(name, measurement.marks[name], data) if on_mark else "ok"
            process.stdin.write(answer + "\n")
            process.stdin.flush()
        elif "result" in message:
            measurement.result = message["result"]
            return measurement
        elif "error" in message:
            raise LoadgenError(message["error"])
    raise LoadgenError(f"load generator exited with {process.wait()} and no result")
