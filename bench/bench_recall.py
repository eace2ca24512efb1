"""The `recall` part of `bench/run.py` (issue 14): the recall of one product lot of about
10,000 units, POST to `succeeded`, and the time of each export, at the repository size
`--events` names and again with the repository tripled by unrelated data.

The repository is the chain of `bench.generate` loaded through the ingest core, with the
`EPCIS_AFTER_STORE` hooks of the settings (the lineage graph). `LOT_PALLETS` pallets in the
middle make one product lot (`generate.chain_pallet_events(lot_of=...)`), every other
pallet its own lot of 100. The recall runs in-process: what `POST /recalls` does
(`request_recall`), then the Celery task's body (`run_recall_task`, called directly). The
exports are read through the URL conf like a client (`units.csv`, `locations.csv`,
`fsma204.xlsx`). It reports; it asserts no time.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

from bench import generate

LOT_PALLETS = 100  # x 100 units a pallet: a lot of 10,000 units
BIG_LOT = ("077777", "RECALL1")  # item reference, lot number
LOAD_BATCH = 20_000
EVENTS_PER_PALLET = 51.25
EXPORTS = ("units.csv", "locations.csv", "fsma204.xlsx")
TARGETS = {
    "recall": "< 1 s at 1M events",
    "tripled": "≤ 1.2× slower",
    "export": "reported",
    "backward": "< 200 ms at 1M events",
    "forward": "< 1 s at 1M events",
}


def measure_traces(staff: Any, lot: str, runs: int) -> dict[str, float]:
    """POST-to-succeeded of a backward trace of one unit of the big lot and of the forward
    trace of the lot (issue 13), in-process as the recall: median after one warm-up."""
    from epcis.identifiers import matching_key
    from trace.models import LotMembership, TraceJob
    from trace.services import request_trace
    from trace.tasks import run_trace_task

    unit = LotMembership.objects.filter(lot=matching_key(lot)).values_list("unit", flat=True)[0]
    requests = {
        "backward": {"epc": unit, "direction": "backward"},
        "forward": {"epcClass": lot, "direction": "forward"},
    }
    medians = {}
    for name, params in requests.items():
        seconds = []
        for _ in range(runs + 1):
            started = time.perf_counter()
            job = request_trace(staff, {**params, "reason": "bench"})
            run_trace_task(job.pk)  # the Celery task's body, in this process
            job.refresh_from_db()
            seconds.append(time.perf_counter() - started)
            if job.status != TraceJob.Status.SUCCEEDED:
                raise RuntimeError(f"trace {job.pk} {job.status}: {job.error}")
        medians[name] = statistics.median(seconds[1:])  # the first warms up
    return medians


def log(message: str) -> None:
    import sys

    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def batches(
    total: int, first_pallet: int, big: range
) -> Iterator[tuple[list[dict[str, Any]], int]]:
    """At least `total` events of the chain from `first_pallet`, in ~LOAD_BATCH documents,
    each with the pallet after it; the pallets in `big` make the one big lot."""
    start = datetime(2025, 1, 6, 6, 0, tzinfo=UTC)
    pallet, produced, current = first_pallet, 0, []
    while produced < total:
        rng = generate.random.Random(f"42:{pallet}")
        lot_of = BIG_LOT if pallet in big else None
        events = generate.chain_pallet_events(rng, pallet, start, lot_of=lot_of)
        current += events
        produced += len(events)
        pallet += 1
        if len(current) >= LOAD_BATCH:
            yield current, pallet
            current = []
    if current:
        yield current, pallet


def load(total: int, first_pallet: int, big: range) -> tuple[int, float, int]:
    """Ingest through the ingest core (hooks on): (events stored, seconds, next pallet)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from epcis.ingest import ingest_document
    from epcis.models import CaptureJob

    owner, _ = get_user_model().objects.get_or_create(username="bench-loader")
    loaded, started, following = 0, time.perf_counter(), first_pallet
    for events, after in batches(total, first_pallet, big):
        following = after
        job = CaptureJob.objects.create(owner=owner, media_type="application/ld+json")
        body = orjson.dumps(generate.jsonld_document(events))
        result = ingest_document(capture=job, stream=io.BytesIO(body))
        if not result.success:
            raise RuntimeError(f"loading failed: {result.errors[:3]}")
        loaded += result.stored_count
        log(f"recall: loaded {loaded:,} of {total:,} events")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return loaded, time.perf_counter() - started, following


def measure(runs: int) -> dict[str, Any]:
    """The recall of the big lot `runs` times (after one warm-up): median seconds from POST
    to succeeded, the summary, and the median seconds of each export of the last job."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from epcis.auth import issue_api_key
    from recalls.models import RecallJob
    from recalls.services import request_recall
    from recalls.tasks import run_recall_task

    key = issue_api_key(username="bench-staff", role="staff")
    staff = get_user_model().objects.get(username="bench-staff")
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {key}")
    lot = generate.lgtin(generate.MAKER_CP, *BIG_LOT)

    def once() -> tuple[float, RecallJob]:
        started = time.perf_counter()
        job = request_recall(staff, {"epcClasses": [lot], "reason": "bench"})
        run_recall_task(job.pk)  # the Celery task's body, in this process
        job.refresh_from_db()
        elapsed = time.perf_counter() - started
        if job.status != RecallJob.Status.SUCCEEDED:
            raise RuntimeError(f"recall {job.pk} {job.status}: {job.error}")
        return elapsed, job

    once()  # warm: imports, URL conf, caches
    timings = [once() for _ in range(runs)]
    job = timings[-1][1]
    exports: dict[str, tuple[float, int]] = {}
    for suffix in EXPORTS:
        seconds, size = [], 0
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(f"/recalls/{job.pk}/{suffix}")
            seconds.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"GET {suffix} -> {response.status_code}")
            size = len(response.content)
        exports[suffix] = (statistics.median(seconds), size)
    return {
        "traces": measure_traces(staff, lot, runs),
        "seconds": statistics.median(t for t, _ in timings),
        "summary": (job.result or {})["summary"],
        "ctes": len((job.result or {}).get("cteEvents") or ()),
        "exports": exports,
    }


def section_recall(args: argparse.Namespace) -> dict[str, Any]:
    from bench.ingest import setup_django
    from bench.run import SIZES

    setup_django(os.environ["DATABASE_URL"])
    from django.conf import settings

    total = SIZES[args.events]
    pallets = int(total / EVENTS_PER_PALLET)
    middle = max(0, pallets // 2 - LOT_PALLETS // 2)
    big = range(middle, middle + LOT_PALLETS)
    log(f"recall: loading {total:,} events, hooks {settings.EPCIS_AFTER_STORE}")
    loaded, load_seconds, next_pallet = load(total, 0, big)
    first = measure(args.runs)
    log(f"recall: {first['summary']['units']:,} units in {first['seconds']:.3f} s; tripling")
    added, more_seconds, _ = load(2 * loaded, next_pallet, range(0))
    tripled = measure(args.runs)
    size, size3 = f"{loaded / 1e6:.2f}M", f"{(loaded + added) / 1e6:.2f}M"
    units = first["summary"]["units"]
    rows = [
        [
            f"Recall of one lot ({units:,} units), POST to succeeded, {size} events",
            f"{first['seconds']:.3f} s",
            "",
            "",
            TARGETS["recall"],
        ],
        [
            f"Recall of the same lot, {size3} events (tripled, unrelated data)",
            f"{tripled['seconds']:.3f} s",
            f"{first['seconds']:.3f} s",
            f"{tripled['seconds'] / first['seconds']:.2f}×",
            TARGETS["tripled"],
        ],
    ]
    for name, what in (("backward", "one unit"), ("forward", f"the lot ({units:,} units)")):
        t1, t3 = first["traces"][name], tripled["traces"][name]
        rows.append(
            [
                f"Trace {name} of {what}, POST to succeeded, {size3} vs {size} events",
                f"{t3 * 1000:.0f} ms",
                f"{t1 * 1000:.0f} ms",
                f"{t3 / t1:.2f}×",
                TARGETS[name],
            ]
        )
    for suffix in EXPORTS:
        (t1, bytes1), (t3, _) = first["exports"][suffix], tripled["exports"][suffix]
        rows.append(
            [
                f"Recall export {suffix} ({bytes1 / 1024:,.0f} KiB), {size3} vs {size} events",
                f"{t3:.3f} s",
                f"{t1:.3f} s",
                f"{t3 / t1:.2f}×",
                TARGETS["export"],
            ]
        )
    notes = [
        f"Recall: the lot {generate.lgtin(generate.MAKER_CP, *BIG_LOT)} is {LOT_PALLETS} "
        f"pallets of the chain; scope {first['summary']} at {size}, "
        f"{tripled['summary']} at {size3}; {first['ctes']} critical tracking events. "
        f"Loaded {loaded:,} events in {load_seconds:.0f} s and {added:,} more in "
        f"{more_seconds:.0f} s (ingest core, lineage hook on). In-process: request_recall "
        "then the Celery task's body; median of --runs after one warm-up.",
    ]
    return {"rows": rows, "notes": notes}
