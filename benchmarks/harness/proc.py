"""What the kernel says about a process: CPU time, resident memory, threads.

Read from /proc so the figures cost the measured process nothing and include
every thread it has (utime and stime in /proc/PID/stat are per process).
"""

import os
import time
from dataclasses import dataclass

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Sample:
    """One look at the server (and the load generator) at a mark."""

    wall: float  # time.monotonic(), seconds
    server_cpu: float  # seconds of user + system time since the server started
    loadgen_cpu: float
    loadgen_wait: float  # seconds the load generator's main thread sat runnable without a CPU
    rss_kib: int  # server's resident set
    threads: int  # server's thread count


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    # The command name (field 2) may hold spaces and parentheses: split after
    # its closing parenthesis; then utime and stime are the 12th and 13th.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND


def runqueue_wait_seconds(pid: int) -> float:
    """Time the process's main thread was ready to run but had no CPU.

    A server with thousands of busy threads can starve a single-threaded load
    generator; this tells that apart from a server that is simply slow.
    """
    try:
        with open(f"/proc/{pid}/task/{pid}/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (FileNotFoundError, IndexError):  # kernels without schedstats
        return 0.0


def memory_and_threads(pid: int) -> tuple[int, int]:
    rss_kib = threads = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss_kib = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return rss_kib, threads


def sample(server_pid: int, loadgen_pid: int) -> Sample:
    rss_kib, threads = memory_and_threads(server_pid)
    return Sample(
        wall=time.monotonic(),
        server_cpu=cpu_seconds(server_pid),
        loadgen_cpu=cpu_seconds(loadgen_pid),
        loadgen_wait=runqueue_wait_seconds(loadgen_pid),
        rss_kib=rss_kib,
        threads=threads,
    )


def system_threads() -> int:
    """Threads (scheduling entities) on the whole machine: /proc/loadavg's r/TOTAL."""
    with open("/proc/loadavg") as f:
        return int(f.read().split()[3].split("/")[1])


def thread_ceiling(share: float = 0.75) -> int:
    """How many threads the machine may have before a benchmark stops adding:
    a share of the kernel's limits (pid_max, threads-max), so that a server
    with several threads per connection cannot take the whole machine's pids
    from everybody else on it."""
    limits = []
    for path in ("/proc/sys/kernel/pid_max", "/proc/sys/kernel/threads-max"):
        with open(path) as f:
            limits.append(int(f.read()))
    return int(min(limits) * share)


def tcp_peers(pid: int, port: int) -> dict[int, int]:
    """The established TCP connections that process `pid` holds on its local
    `port` (IPv4): the peer's port -> bytes waiting in the kernel's send
    queue for that peer. A client that stopped reading cannot tell that the
    server closed its connection; the server's side can."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    peers = {}
    with open(f"/proc/{pid}/net/tcp") as f:
        next(f)  # the header
        for line in f:
            _, local, remote, state, queues, *_, inode = line.split()[:10]
            if state != "01" or inode not in inodes:  # 01: ESTABLISHED
                continue
            if int(local.rpartition(":")[2], 16) == port:
                peers[int(remote.rpartition(":")[2], 16)] = int(queues.partition(":")[0], 16)
    return peers
