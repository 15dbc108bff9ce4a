"""Open-file limits: thousands of sockets on each side of a benchmark.

Used by the driver (its children, the load generator and the servers,
inherit the raised limit) and by the servers themselves (serve.py, floor.py,
bare.py), so a server started by hand can hold as many connections as one
started by run.py. Stdlib only, nothing that monkey patching cares about.
"""

import resource


def raise_open_files_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard one; return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard
