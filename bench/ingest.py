"""Ingest benchmark: our ingest core vs the floor (parse + COPY into two indexed tables).

Runs against its own database `<DATABASE_URL name>_bench` (dropped and recreated), never
the one DATABASE_URL names. Usage: `python bench/ingest.py [--events 20000] [--runs 3]`.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import psycopg
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.generate import jsonld_document, pharma_events  # noqa: E402

FLOOR_TABLES = """
DROP TABLE IF EXISTS floor_epc, floor_event;
CREATE TABLE floor_event (id bigint PRIMARY KEY, type text, event_time timestamptz, doc jsonb);
CREATE INDEX ON floor_event (event_time);
CREATE TABLE floor_epc (event_id bigint, epc text);
CREATE INDEX ON floor_epc (epc);
"""


def bench_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("make bench needs PostgreSQL: set DATABASE_URL=postgres://... (not SQLite)")
    base, _, name = url.rpartition("/")
    bench_url = f"{base}/{name.split('?')[0]}_bench"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name.split("?")[0]}_bench"')
        conn.execute(f'CREATE DATABASE "{name.split("?")[0]}_bench"')
    return bench_url


def setup_django(database_url: str, *, migrate: bool = True) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.core.management import call_command

    django.setup()
    if migrate:
        call_command("migrate", verbosity=0)


def documents(count: int) -> dict[str, tuple[bytes, str]]:
    from epcis.rendering.xml import render_xml_document

    events = list(pharma_events(count))
    stored = [(e, {"cbvmda": "urn:epcglobal:cbv:mda"}) for e in events]
    xml = render_xml_document(
        stored, kind="EPCISDocument", epc_format="Never_Translates", creation_date="2025-01-06"
    )
    return {
        "EPCIS 2.0 JSON-LD": (orjson.dumps(jsonld_document(events)), "application/ld+json"),
        "EPCIS 2.0 XML": (xml, "application/xml"),
    }


def ingest_once(body: bytes, media_type: str) -> tuple[float, int]:
    from django.contrib.auth import get_user_model

    from epcis.ingest import ingest_document
    from epcis.models import CaptureJob

    truncate_events()
    owner, _ = get_user_model().objects.get_or_create(username="bench")
    job = CaptureJob.objects.create(owner=owner, media_type=media_type)
    started = time.perf_counter()
    result = ingest_document(capture=job, stream=io.BytesIO(body))
    elapsed = time.perf_counter() - started
    if not result.success or result.stored_count != result.event_count:
        raise RuntimeError(f"ingest did not store every event: {result.errors[:3]}")
    return elapsed, result.event_count


def ingest_file(path: str, media_type: str) -> int:
    """Ingest a document read from a file, as the worker reads a captured body."""
    from django.contrib.auth import get_user_model

    from epcis.ingest import ingest_document
    from epcis.models import CaptureJob

    truncate_events()
    owner, _ = get_user_model().objects.get_or_create(username="bench")
    job = CaptureJob.objects.create(owner=owner, media_type=media_type)
    with open(path, "rb") as stream:
        result = ingest_document(capture=job, stream=stream)
    if not result.success:
        raise RuntimeError(f"ingest failed: {result.errors[:3]}")
    return result.stored_count


def truncate_events() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE epcis_event, epcis_eventcapture, epcis_eventidentifier,"
            " epcis_biztransaction, epcis_sourcedestination, epcis_extensionfield,"
            " epcis_sensorreport, epcis_eventvocabularyvalue, epcis_vocabularyelement,"
            # The lineage derived from those events goes with them (runs must start alike).
            " trace_lotmembership, trace_lotquantity, trace_containment,"
            " trace_transformationmember, trace_endoflife, trace_retraction CASCADE"
        )


def floor_once(body: bytes, media_type: str) -> tuple[float, int]:
    """Parse with orjson/lxml and COPY events and their EPCs into two indexed tables."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cursor:
        cursor.execute(FLOOR_TABLES)
    raw.commit()
    started = time.perf_counter()
    rows = floor_rows_json(body) if "json" in media_type else floor_rows_xml(body)
    with raw.cursor() as cursor:
        with cursor.copy("COPY floor_event (id, type, event_time, doc) FROM STDIN") as copy:
            for pk, kind, when, doc, _ in rows:
                copy.write_row((pk, kind, when, doc))
        with cursor.copy("COPY floor_epc (event_id, epc) FROM STDIN") as copy:
            for pk, _, _, _, epcs in rows:
                for epc in epcs:
                    copy.write_row((pk, epc))
    raw.commit()
    return time.perf_counter() - started, len(rows)


def floor_rows_json(body: bytes) -> list[tuple]:
    events = orjson.loads(body)["epcisBody"]["eventList"]
    return [
        (i, e["type"], e["eventTime"], orjson.dumps(e).decode(), epcs_of(e))
        for i, e in enumerate(events)
    ]


def epcs_of(event: dict[str, Any]) -> list[str]:
    epcs = event.get("epcList", []) + event.get("childEPCs", [])
    return [*epcs, event["parentID"]] if "parentID" in event else epcs


def floor_rows_xml(body: bytes) -> list[tuple]:
    rows = []
    body_events = etree.fromstring(body).find("EPCISBody/EventList")
    for i, el in enumerate(body_events):
        epcs = [e.text for e in el.iter("epc")] + [e.text for e in el.iter("parentID")]
        doc = orjson.dumps({child.tag: child.text for child in el}).decode()
        rows.append((i, el.tag, el.findtext("eventTime"), doc, epcs))
    return rows


def median_rate(run: Callable[[], tuple[float, int]], runs: int) -> tuple[float, int]:
    results = [run() for _ in range(runs)]
    return statistics.median(count / seconds for seconds, count in results), results[0][1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    setup_django(bench_database_url())
    print(f"machine: {os.cpu_count()} cores; {args.events} events/document; median of {args.runs}")
    print("| format | ingest core (events/s) | floor (events/s) | ingest / floor |")
    print("| --- | ---: | ---: | ---: |")
    for name, (body, media_type) in documents(args.events).items():
        ours, count = median_rate(partial(ingest_once, body, media_type), args.runs)
        floor, _ = median_rate(partial(floor_once, body, media_type), args.runs)
        label = f"{name} ({count} ev, {len(body) / 1e6:.1f} MB)"
        print(f"| {label} | {ours:,.0f} | {floor:,.0f} | {ours / floor:.2f} |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
