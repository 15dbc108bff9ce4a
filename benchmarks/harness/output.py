"""What the drivers write: progress on stderr, the raw record as JSON."""

import json
import sys
import time
from pathlib import Path

from .envs import BENCH_DIR


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def save_results(data: dict, path: Path | None, prefix: str = "") -> Path:
    """Write `data` to `path`, by default benchmarks/results/<prefix><time>.json."""
    if path is None:
        path = BENCH_DIR / "results" / time.strftime(f"{prefix}%Y%m%d-%H%M%S.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))
    return path
