"""Micro-benchmark of epcis.hashing.event_hash_id on the synthetic pharma feed.

The identifier cache (`epcis.identifiers.canonical`) is warmed once, as validation warms it
during ingest; the hashing module's own caches are cleared before every pass, so each pass
sees its serials for the first time. The "all warm" column keeps them too.

    python bench/bench_hashing.py                 # the module in this tree
    python bench/bench_hashing.py --module FILE   # another copy, e.g. the pre-change one
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.generate import pharma_events  # noqa: E402
from epcis.identifiers import canonical  # noqa: E402

NAMESPACES = {"cbvmda": "urn:epcglobal:cbv:mda:"}


def _load(path: str | None) -> ModuleType:
    if path is None:
        from epcis import hashing

        return hashing
    spec = importlib.util.spec_from_file_location("hashing_under_test", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _own_caches(module: ModuleType) -> list[Callable[[], None]]:
    """cache_clear of every lru_cache'd function defined in `module`."""
    return [
        obj.cache_clear
        for obj in vars(module).values()
        if hasattr(obj, "cache_clear") and getattr(obj, "__module__", "") == module.__name__
    ]


def _label(event: dict[str, Any]) -> str:
    return f"{event['type']} {event['bizStep']}" + (" +ilmd" if "ilmd" in event else "")


def _pass(
    hash_id: Callable[..., str], events: list[tuple[str, dict]], clear: list
) -> dict[str, float]:
    """One pass over the feed in order; µs per event by label (each call timed on its own)."""
    for cache_clear in clear:
        cache_clear()
    totals: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    clock = time.perf_counter
    for label, event in events:
        start = clock()
        hash_id(event, NAMESPACES)
        totals[label] += clock() - start
        counts[label] += 1
    totals["all (feed mix)"] = sum(totals.values())
    counts["all (feed mix)"] = len(events)
    return {label: totals[label] / counts[label] * 1e6 for label in totals}


def _warm_identifiers(value: Any) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _warm_identifiers(item)
    elif isinstance(value, list):
        for item in value:
            _warm_identifiers(item)
    elif isinstance(value, str) and value.startswith(("urn:epc:", "http")):
        canonical(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", help="path of a hashing.py to load instead")
    parser.add_argument("-n", "--events", type=int, default=3000)
    parser.add_argument("-r", "--repeat", type=int, default=5, help="passes; the median counts")
    args = parser.parse_args()
    module = _load(args.module)
    events = [(_label(event), event) for event in pharma_events(args.events)]
    _warm_identifiers([event for _, event in events])
    clear = _own_caches(module)
    cold = [_pass(module.event_hash_id, events, clear) for _ in range(args.repeat)]
    warm = [_pass(module.event_hash_id, events, []) for _ in range(args.repeat)]
    counts = Counter(label for label, _ in events)
    counts["all (feed mix)"] = len(events)
    print(f"{'µs per event, median (min)':<34}{'own caches cold':>18}{'all warm':>18}{'events':>8}")
    for label, count in counts.items():
        cells = ""
        for runs in (cold, warm):
            values = [p[label] for p in runs]
            cells += f"{statistics.median(values):>10.2f} ({min(values):5.2f})"
        print(f"{label:<34}{cells}{count:>8}")


if __name__ == "__main__":
    main()
