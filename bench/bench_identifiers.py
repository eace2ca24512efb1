"""Micro-benchmark of epcis.identifiers on the ingest hot path.

Every call sees a value it has not seen before (unique serials), so canonical()'s lru_cache
only helps where ingest gets help from it too: canonical() right after identifier_problem().

    python bench/bench_identifiers.py                 # the module in this tree
    python bench/bench_identifiers.py --module FILE   # another copy, e.g. the pre-change one
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Each generator yields unique values forever; a global counter keeps them unique across runs.
_COUNTER = itertools.count(1)


def _sgtin_urn() -> Iterator[str]:
    for i in _COUNTER:
        yield f"urn:epc:id:sgtin:0614141.107346.{i}"


def _sscc_urn() -> Iterator[str]:
    for i in _COUNTER:
        yield f"urn:epc:id:sscc:0614141.{i % 10**10:010d}"


def _sgln_ext_urn() -> Iterator[str]:
    for i in _COUNTER:
        yield f"urn:epc:id:sgln:0614141.07346.{i}"


def _sgln_urn() -> Iterator[str]:
    # No extension: uniqueness has to come from the company prefix and location reference.
    for i in _COUNTER:
        yield f"urn:epc:id:sgln:{1000000 + i // 10**5}.{i % 10**5:05d}.0"


def _lgtin_urn() -> Iterator[str]:
    for i in _COUNTER:
        yield f"urn:epc:class:lgtin:4012345.012345.L{i}"


def _idpat() -> Iterator[str]:
    for i in _COUNTER:
        yield f"urn:epc:idpat:sgtin:{1000000 + i // 10**6}.{i % 10**6:06d}.*"


def _dl_gs1() -> Iterator[str]:
    for i in _COUNTER:
        yield f"https://id.gs1.org/01/10614141073464/21/{i}"


def _dl_custom() -> Iterator[str]:
    for i in _COUNTER:
        yield f"https://brand.example.com/01/10614141073464/21/{i}"


def _non_gs1() -> Iterator[str]:
    for _ in _COUNTER:
        yield f"urn:uuid:{uuid.uuid4()}"


CASES: list[tuple[str, Callable[[], Iterator[str]]]] = [
    ("SGTIN URN", _sgtin_urn),
    ("SSCC URN", _sscc_urn),
    ("SGLN URN + extension", _sgln_ext_urn),
    ("SGLN URN, no extension", _sgln_urn),
    ("LGTIN class URN", _lgtin_urn),
    ("idpat sgtin CP.REF.*", _idpat),
    ("SGTIN DL id.gs1.org", _dl_gs1),
    ("SGTIN DL custom domain", _dl_custom),
    ("non-GS1 (urn:uuid)", _non_gs1),
]


def _per_call_us(
    run: Callable[[list[str]], None], gen: Iterator[str], n: int, repeat: int
) -> float:
    best = float("inf")
    for _ in range(repeat):
        values = list(itertools.islice(gen, n))  # fresh values each round: no cache hits
        start = time.perf_counter()
        run(values)
        best = min(best, time.perf_counter() - start)
    return best / n * 1e6


def _runners(ids: ModuleType) -> dict[str, Callable[[list[str]], None]]:
    problem, canonical = ids.identifier_problem, ids.canonical

    def validate(values: list[str]) -> None:
        for v in values:
            problem(v)

    def canonicalise(values: list[str]) -> None:
        for v in values:
            canonical(v)

    def both(values: list[str]) -> None:
        for v in values:
            problem(v)
            canonical(v)

    return {"identifier_problem": validate, "canonical": canonicalise, "problem+canonical": both}


def _load(path: str | None) -> ModuleType:
    if path is None:
        from epcis import identifiers

        return identifiers
    spec = importlib.util.spec_from_file_location("identifiers_under_test", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", help="path of an identifiers.py to load instead")
    parser.add_argument("-n", type=int, default=20000, help="calls per round")
    parser.add_argument("-r", "--repeat", type=int, default=5, help="rounds; the best counts")
    args = parser.parse_args()
    runners = _runners(_load(args.module))
    print(f"{'µs per call (unseen values)':<28}" + "".join(f"{name:>20}" for name in runners))
    for label, make in CASES:
        gen = make()
        cells = [_per_call_us(run, gen, args.n, args.repeat) for run in runners.values()]
        print(f"{label:<28}" + "".join(f"{c:>20.2f}" for c in cells))


if __name__ == "__main__":
    main()
