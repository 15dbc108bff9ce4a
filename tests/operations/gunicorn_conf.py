"""gunicorn settings for prometheus_client's multiprocess mode (as
docs/operations.md gives them): a worker that exits takes its live gauges
with it."""


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
