"""`make bench`: ingest, capture end to end, query and the peer comparison, as one table.

    DATABASE_URL=postgres://... CELERY_BROKER_URL=redis://... python bench/run.py \
        [--events 100k|1m|10m] [--runs 3] [--skip-peer] [--only ingest,capture,query,peer] \
        [--label NAME]

Every part runs in its own child process against its own database, named after the one
DATABASE_URL names (`<name>_bench`, `<name>_bench_capture`, `<name>_bench_query`,
`<name>_bench_peer`, `<name>_bench_quartet`), dropped and recreated; the database
DATABASE_URL names is never touched. The table is printed and written to
`bench/results/latest.md` (and `bench/results/YYYY-MM-DD-<label>.md` with --label).
Nothing here asserts a time: it reports.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import generate  # noqa: E402
from bench.bench_recall import section_recall  # noqa: E402

SECTIONS = ("ingest", "capture", "query", "peer", "recall")
SIZES = {"100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}
INGEST_EVENTS = 20_000  # events per document of the ingest-core rows
CAPTURE_EVENTS = 20_000
CAPTURE_BIG_MB = 50
MEMORY_MB = 100
LOAD_BATCH = 20_000  # events per document when loading the query repository
QUERY_RUNS = 9
WALK_PAGES = 300  # the pagination walk stops there (it reports pages/s)
PEER_EVENTS = 5_000  # the peer stores ~250 events/s: 5k events is a 20 s run
PEER_DOC_EVENTS = 1_000
BROKER_DB = 9
VENV = ROOT / ".venv" / "bin"
PEER_DIR = ROOT / "bench" / ".peers"
PEER_VENV = PEER_DIR / "quartet"
# The peer's versions that install on Python 3.11 (pinned so runs compare).
PEER_REQUIREMENTS = [
    "quartet_epcis==4.1.5",
    "quartet_capture==4.1.0",
    "haikunator==2.1.0",
    "djangorestframework==3.18.3",
    "Django==5.2.19",
    "psycopg[binary]==3.3.9",
]
TARGETS = {
    "ingest": "≥ 8,000 ev/s (JSON) and ≥ 1/3 of the floor",
    "memory": "< 500 MB for 100 MB, flat whatever the size",
    "capture": "close to ingest core",
    "post": "bounded by upload + well-formedness check",
    "query": "< 50 ms at 1M events",
    "walk": "constant per page (keyset)",
    "listing": "< 50 ms, whatever the repository size",
    "field order": "bounded: refused past EPCIS_FIELD_ORDER_MAX_EVENTS",
    "peer": "≥ 50× the peer",
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- databases --------------------------------------------------------------------------


def require_postgres() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print(
            "make bench needs PostgreSQL: set DATABASE_URL=postgres://user@host:5432/name "
            "(the benchmarks use their own databases named after it, never that one).",
            file=sys.stderr,
        )
        sys.exit(2)
    return url


def fresh_database(url: str, suffix: str) -> str:
    """Drop and create `<name>_<suffix>` beside the database `url` names; return its URL."""
    base, _, rest = url.rpartition("/")
    name, _, query = rest.partition("?")
    target = f"{name}_{suffix}"
    with admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{target}"')
    return f"{base}/{target}" + (f"?{query}" if query else "")


def admin_connection(url: str) -> psycopg.Connection:
    """A connection for CREATE/DROP DATABASE: to the database `url` names, or to the
    `postgres` database beside it when that one does not exist yet."""
    try:
        return psycopg.connect(url, autocommit=True)
    except psycopg.OperationalError:
        base, _, rest = url.rpartition("/")
        return psycopg.connect(f"{base}/postgres", autocommit=True)


def broker_url() -> str:
    given = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0"
    parts = urlsplit(given)
    return f"{parts.scheme}://{parts.netloc}/{BROKER_DB}"


def machine(url: str) -> str:
    memory = "?"
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GB"
    cpu = platform.processor() or platform.machine()
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with admin_connection(url) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory} memory, PostgreSQL {version}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


# -- documents --------------------------------------------------------------------------


def chain_batches(total: int, batch: int, *, first_pallet: int = 0) -> Iterator[list[dict]]:
    """The chain's events in documents of about `batch` events (whole pallets)."""
    start = datetime(2025, 1, 6, 6, 0, tzinfo=UTC)
    pallet, produced, current = first_pallet, 0, []
    while produced < total:
        rng = generate.random.Random(f"42:{pallet}")
        events = generate.chain_pallet_events(rng, pallet, start)
        current += events
        produced += len(events)
        pallet += 1
        if len(current) >= batch:
            yield current
            current = []
    if current:
        yield current


def jsonld(events: list[dict]) -> bytes:
    return orjson.dumps(generate.jsonld_document(events))


def xml20(events: list[dict]) -> bytes:
    from epcis.rendering.xml import render_xml_document

    stored = [(e, {"cbvmda": "urn:epcglobal:cbv:mda"}) for e in events]
    return render_xml_document(
        stored, kind="EPCISDocument", epc_format="Never_Translates", creation_date="2025-01-06"
    )


# -- ingest core ------------------------------------------------------------------------


def section_ingest(args: argparse.Namespace) -> dict[str, Any]:
    from bench import memory
    from bench.ingest import floor_once, ingest_once, median_rate, setup_django

    setup_django(os.environ["DATABASE_URL"])
    events = list(generate.chain_events(INGEST_EVENTS))
    documents = {
        "EPCIS 2.0 JSON-LD": (jsonld(events), "application/ld+json"),
        "EPCIS 2.0 XML": (xml20(events), "application/xml"),
        "EPCIS 1.2 XML + SBDH": (generate.xml12_document(events), "application/xml"),
    }
    rows = []
    for name, (body, media_type) in documents.items():
        log(f"ingest core: {name}, {len(events)} events, {args.runs} runs")
        ours, count = median_rate(partial(ingest_once, body, media_type), args.runs)
        floor, _ = median_rate(partial(floor_once, body, media_type), args.runs)
        rows.append(
            [
                f"Ingest core, {name} ({count:,} events, {len(body) / 1e6:.1f} MB)",
                f"{ours:,.0f} ev/s",
                f"floor {floor:,.0f} ev/s",
                f"{ours / floor:.2f}",
                TARGETS["ingest"],
            ]
        )
    for fmt, media_type, label in (
        ("json", "application/ld+json", "EPCIS 2.0 JSON-LD"),
        ("xml", "application/xml", "EPCIS 2.0 XML"),
    ):
        log(f"peak memory: {MEMORY_MB} MB {label} document in a fresh process")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"doc.{fmt}"
            count = memory.write_document(fmt, MEMORY_MB, path)
            size = path.stat().st_size / 1e6
            out = subprocess.run(
                [
                    sys.executable,
                    str(ROOT / "bench" / "memory.py"),
                    "--child",
                    str(path),
                    media_type,
                ],
                check=True,
                capture_output=True,
                text=True,
                env=os.environ,
                cwd=ROOT,
            ).stdout.split()
        stored, seconds, peak = int(out[0]), float(out[1]), out[2]
        rows.append(
            [
                f"Peak RSS, ingesting a {size:.0f} MB {label} document ({count:,} events)",
                f"{peak} MB",
                f"{stored / seconds:,.0f} ev/s",
                "",
                TARGETS["memory"],
            ]
        )
    return {"rows": rows}


# -- capture end to end -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn + one Celery worker process against the bench database."""

    def __init__(self, database_url: str) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url(),
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "LOG_LEVEL": "WARNING",
            "DEBUG": "false",
        }
        self.processes: list[subprocess.Popen] = []
        self.key = ""

    def start(self) -> None:
        import redis

        redis.Redis.from_url(broker_url()).flushdb()  # no stale jobs from an aborted run
        manage = [str(VENV / "python"), "manage.py"]
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=self.env, cwd=ROOT, check=True)
        issued = subprocess.run(
            [*manage, "issue_token", "bench"],
            env=self.env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        self.key = issued.stdout.strip().splitlines()[-1]
        web = [str(VENV / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{self.port}"]
        web += ["--workers", "1", "--timeout", "600", "--log-level", "warning"]
        worker = [str(VENV / "celery"), "-A", "config", "worker", "--concurrency", "1"]
        worker += ["--loglevel", "WARNING", "--without-gossip", "--without-mingle"]
        for command in (web, worker):
            self.processes.append(subprocess.Popen(command, env=self.env, cwd=ROOT))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def request(
        self, method: str, path: str, body: bytes | None = None, media_type: str = ""
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        headers = {"Authorization": f"Bearer {self.key}"}
        if media_type:
            headers["Content-Type"] = media_type
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def capture(self, body: bytes, media_type: str) -> tuple[float, float, dict[str, Any]]:
        """POST the document and poll its job: (seconds to 202, seconds to success, job)."""
        started = time.perf_counter()
        status, headers, answer = self.request("POST", "/capture", body, media_type)
        accepted = time.perf_counter() - started
        if status != 202:
            raise RuntimeError(f"POST /capture answered {status}: {answer[:300]!r}")
        location = headers["Location"]
        while True:
            status, _, answer = self.request("GET", location)
            job = orjson.loads(answer)
            if status != 200 or not job.get("running", True):
                break
            time.sleep(0.05)
        finished = time.perf_counter() - started
        if not job.get("success"):
            raise RuntimeError(f"capture job failed: {str(job)[:500]}")
        return accepted, finished, job


def section_capture(args: argparse.Namespace) -> dict[str, Any]:
    server = Server(os.environ["DATABASE_URL"])
    server.start()
    try:
        log("capture: warm-up document (also waits for the worker)")
        warm = list(generate.chain_events(500, first_pallet=900_000))
        server.capture(jsonld(warm), "application/ld+json")
        rates, count, size = [], 0, 0
        for run in range(args.runs):
            events = next(chain_batches(CAPTURE_EVENTS, CAPTURE_EVENTS, first_pallet=run * 1000))
            body = jsonld(events)
            _, seconds, job = server.capture(body, "application/ld+json")
            count, size = job["eventCount"], len(body)
            rates.append(count / seconds)
            log(f"capture run {run + 1}: {count} events in {seconds:.2f} s")
        big = next(chain_batches(CAPTURE_BIG_MB * 1_000_000 // 580, 10**9, first_pallet=500_000))
        body = jsonld(big)
        log(f"capture: POST of a {len(body) / 1e6:.0f} MB document ({len(big)} events)")
        accepted, seconds, job = server.capture(body, "application/ld+json")
    finally:
        server.stop()
    median = statistics.median(rates)
    return {
        "capture_rate": median,
        "rows": [
            [
                f"Capture end to end, EPCIS 2.0 JSON-LD ({count:,} events, {size / 1e6:.1f} MB):"
                " first byte of POST /capture → job succeeded; gunicorn + 1 Celery worker",
                f"{median:,.0f} ev/s",
                "",
                "",
                TARGETS["capture"],
            ],
            [
                f"POST /capture → 202, {len(body) / 1e6:.0f} MB body ({len(big):,} events)",
                f"{accepted:.2f} s",
                f"then job done after {seconds:.1f} s ({job['eventCount'] / seconds:,.0f} ev/s)",
                "",
                TARGETS["post"],
            ],
        ],
    }


# -- query ------------------------------------------------------------------------------


def load_repository(total: int) -> tuple[int, int, float]:
    """Ingest the chain's first `total` events in ~20k-event documents: (events, documents,
    seconds)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from epcis.ingest import ingest_document
    from epcis.models import CaptureJob

    owner, _ = get_user_model().objects.get_or_create(username="bench-loader")
    loaded = documents = 0
    started = time.perf_counter()
    for events in chain_batches(total, LOAD_BATCH):
        job = CaptureJob.objects.create(owner=owner, media_type="application/ld+json")
        result = ingest_document(capture=job, stream=io.BytesIO(jsonld(events)))
        if not result.success:
            raise RuntimeError(f"loading failed: {result.errors[:3]}")
        loaded += result.stored_count
        documents += 1
        elapsed = time.perf_counter() - started
        if documents % 10 == 0:
            log(f"query: loaded {loaded:,} events ({loaded / elapsed:,.0f} ev/s)")
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would have done by then
    return loaded, documents, seconds


def query_filters(total: int) -> dict[str, dict[str, str]]:
    """The five typical filters, on values from a pallet in the middle of the repository."""
    pallet = int(total / 51.25 / 2)
    start = datetime(2025, 1, 6, 6, 0, tzinfo=UTC)
    events = generate.chain_pallet_events(generate.random.Random(f"42:{pallet}"), pallet, start)
    dispensed = next(e for e in events if e.get("bizStep") == "dispensing")["epcList"][0]
    transform = next(e for e in events if e["type"] == "TransformationEvent")
    ingredient = transform["inputQuantityList"][0]["epcClass"]
    plant = generate.sgln(generate.MAKER_CP, "00001")
    to_pharmacy = next(
        e for e in events if e.get("bizStep") == "shipping" and e["bizLocation"]["id"] != plant
    )
    day = (start + timedelta(minutes=30 * pallet)).date()
    next_day = day + timedelta(days=1)
    return {
        "MATCH_epc (one serial)": {"MATCH_epc": dispensed},
        "EQ_bizLocation + one-day eventTime window": {
            "EQ_bizLocation": plant,
            "GE_eventTime": f"{day.isoformat()}T00:00:00.000Z",
            "LT_eventTime": f"{next_day.isoformat()}T00:00:00.000Z",
        },
        "EQ_bizTransaction_po": {
            "EQ_bizTransaction_po": to_pharmacy["bizTransactionList"][0]["bizTransaction"]
        },
        "EQ_bizStep=shipping": {"EQ_bizStep": "shipping"},
        # MATCH_epcClass covers quantityList/childQuantityList only; a lot used as an
        # ingredient is in a quantityList (commissioning) and inputQuantityLists.
        "MATCH_anyEPCClass (one ingredient lot)": {"MATCH_anyEPCClass": ingredient},
        # Values few events or none carry: without their own index these walk every event.
        "EQ_ILMD_cbvmda:lotNumber (one product lot)": {
            "EQ_ILMD_cbvmda:lotNumber": transform["ilmd"]["cbvmda:lotNumber"]
        },
        "EQ_disposition=destroyed (no event)": {"EQ_disposition": "destroyed"},
        "EQ_readPoint (a read point no event has)": {
            "EQ_readPoint": generate.sgln(generate.MAKER_CP, "00009", "9")
        },
        "eventType=AssociationEvent (no event)": {"eventType": "AssociationEvent"},
        "GT_quantity=1000 (no event)": {"GT_quantity": "1000"},
        "EXISTS_errorDeclaration (no event)": {"EXISTS_errorDeclaration": ""},
    }


def plan_nodes(plan: dict[str, Any]) -> list[str]:
    label = plan["Node Type"]
    if "Index Name" in plan:
        label += f" {plan['Index Name']}"
    elif "Relation Name" in plan:
        label += f" {plan['Relation Name']}"
    if plan.get("Actual Loops") == 0:
        label += " (never run)"  # e.g. below a one-time filter that was false
    return [label] + [node for child in plan.get("Plans", []) for node in plan_nodes(child)]


def explain(sql: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    plan = orjson.loads(plan) if isinstance(plan, str | bytes) else plan
    return plan_nodes(plan[0]["Plan"])


def section_query(args: argparse.Namespace) -> dict[str, Any]:
    from bench.ingest import setup_django

    setup_django(os.environ["DATABASE_URL"])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from epcis.auth import issue_api_key

    total = SIZES[args.events]
    log(f"query: loading {total:,} events in ~{LOAD_BATCH:,}-event documents")
    loaded, documents, load_seconds = load_repository(total)
    key = issue_api_key(username="bench-staff", role="staff")
    client = _client(key)

    def get(params: dict[str, str]) -> tuple[float, Any]:
        started = time.perf_counter()
        response = client.get("/events", params)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"GET /events {params} -> {response.status_code}")
        return elapsed, response

    rows, plans = [], []
    for name, params in query_filters(loaded).items():
        params = {**params, "perPage": "30"}
        get(params)  # warm: the first request also loads Django's URL conf and code
        times = [get(params)[0] for _ in range(QUERY_RUNS)]
        with CaptureQueriesContext(connection) as queries:
            _, response = get(params)
        page = len(response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"])
        sql = [q["sql"] for q in queries.captured_queries if 'FROM "epcis_event"' in q["sql"]]
        nodes = explain(max(sql, key=len)) if sql else ["(no event query seen)"]
        plans.append(f"{name}: {' → '.join(nodes)}")
        # Only a scan that ran: one below a false one-time filter is labelled "(never run)".
        scans = "; seq scan of epcis_event!" if "Seq Scan epcis_event" in nodes else ""
        rows.append(
            [
                f"Query first page at {loaded:,} events: {name}",
                f"{statistics.median(times) * 1000:.1f} ms",
                f"{page} events on the page; median of {QUERY_RUNS}{scans}",
                "",
                TARGETS["query"],
            ]
        )
    walk = {"EQ_bizStep": "shipping", "perPage": "100"}
    pages, started = 0, time.perf_counter()
    path: str | None = "/events?" + urlencode(walk)
    while path and pages < WALK_PAGES:
        response = client.get(path)
        pages += 1
        link = response.headers.get("Link", "")
        path = None
        if 'rel="next"' in link:
            parts = urlsplit(link.split(">")[0].lstrip("<"))
            path = f"{parts.path}?{parts.query}"
    elapsed = time.perf_counter() - started
    complete = "whole result" if path is None else f"first {pages} pages"
    rows.append(
        [
            f"Query pagination walk: EQ_bizStep=shipping, perPage 100 ({complete})",
            f"{pages / elapsed:,.1f} pages/s",
            f"{pages} pages in {elapsed:.1f} s",
            "",
            TARGETS["walk"],
        ]
    )
    rows += listing_rows(client, loaded)
    rows += field_order_rows(client, loaded)
    loading = f"loaded {loaded:,} events in {documents} documents at {loaded / load_seconds:,.0f}"
    return {"rows": rows, "plans": plans, "notes": [f"Query repository: {loading} ev/s."]}


def timed(client: Any, path: str, params: dict[str, str]) -> tuple[float, Any]:
    """Median server time of GET path (after one warm-up request), and the last response."""
    client.get(path, params)
    times, response = [], None
    for _ in range(QUERY_RUNS):
        started = time.perf_counter()
        response = client.get(path, params)
        times.append(time.perf_counter() - started)
    return statistics.median(times), response


def listing_rows(staff: Any, loaded: int) -> list[list[str]]:
    """Listings read as staff, as the partner that captured everything, and as a partner
    with one pallet among a million other events (its EPCs are found by a bounded scan)."""
    from epcis.auth import issue_api_key

    small = _partner_with_one_pallet(loaded)
    readers = {
        "staff": staff,
        "loader partner": _client(issue_api_key(username="bench-loader", role="partner")),
        "one-pallet partner": _client(issue_api_key(username=small, role="partner")),
    }
    rows = []
    for path in ("/bizSteps", "/bizLocations", "/epcs"):
        for who, reader in readers.items():
            seconds, response = timed(reader, path, {"perPage": "30"})
            found = len(response.json()["member"])
            link = "; links on" if response.headers.get("Link") else ""
            rows.append(
                [
                    f"Listing {path} at {loaded:,} events, as {who}",
                    f"{seconds * 1000:.1f} ms",
                    f"{found} values on the first page{link}; median of {QUERY_RUNS}",
                    "",
                    TARGETS["listing"],
                ]
            )
    return rows


def _client(key: str) -> Any:
    from django.test import Client

    return Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {key}")


def _partner_with_one_pallet(loaded: int) -> str:
    """A second partner whose only events are one pallet placed after the repository's."""
    from django.contrib.auth import get_user_model

    from epcis.ingest import ingest_document
    from epcis.models import CaptureJob

    owner, _ = get_user_model().objects.get_or_create(username="bench-small")
    if not CaptureJob.objects.filter(owner=owner).exists():
        events = next(chain_batches(1, 1, first_pallet=int(loaded / 51.25) + 10))
        job = CaptureJob.objects.create(owner=owner, media_type="application/ld+json")
        ingest_document(capture=job, stream=io.BytesIO(jsonld(events)))
    return owner.username


def field_order_rows(staff: Any, loaded: int) -> list[list[str]]:
    """orderBy on an extension field (cbvmda:lotNumber is ILMD here, so every event sorts
    as one without the field: the key is still computed for each)."""
    window = query_filters(loaded)["EQ_bizLocation + one-day eventTime window"]
    cases = {
        "EQ_bizLocation + one-day window": {**window},
        "no filter (refused)": {},
    }
    rows = []
    for name, params in cases.items():
        params = {**params, "orderBy": "https://example.com/bench#rank", "perPage": "30"}
        seconds, response = timed(staff, "/events", params)
        outcome = f"HTTP {response.status_code}"
        if response.status_code == 200:
            page = response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
            outcome = f"{len(page)} events on the page"
        rows.append(
            [
                f"Query orderBy an extension field at {loaded:,} events: {name}",
                f"{seconds * 1000:.1f} ms",
                f"{outcome}; median of {QUERY_RUNS}",
                "",
                TARGETS["field order"],
            ]
        )
    return rows


# -- the peer ---------------------------------------------------------------------------

PEER_SETTINGS = '''"""Minimal settings for quartet-epcis in the benchmark (by bench/run.py)."""
import os
from urllib.parse import urlsplit

_db = urlsplit(os.environ["PEER_DATABASE_URL"])
SECRET_KEY = "bench-only-" + "x" * 40
DEBUG = False
USE_TZ = False  # quartet-epcis stores naive datetimes
TIME_ZONE = "UTC"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "quartet_capture",
    "quartet_epcis",
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _db.path.lstrip("/"),
        "USER": _db.username or "postgres",
        "PASSWORD": _db.password or "",
        "HOST": _db.hostname or "127.0.0.1",
        "PORT": str(_db.port or 5432),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
LOGGING = {"version": 1, "disable_existing_loggers": True}
'''

PEER_RUNNER = '''"""Store EPCIS 1.2 XML documents with quartet-epcis (by bench/run.py)."""
import json
import sys
import time
import warnings

warnings.simplefilter("ignore")
import django

django.setup()
from django.core.management import call_command

call_command("migrate", verbosity=0)
from quartet_epcis.models import events
from quartet_epcis.parsing.business_parser import BusinessEPCISParser

started = time.perf_counter()
for path in sys.argv[1:]:
    with open(path, "rb") as stream:
        BusinessEPCISParser(stream).parse()
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "stored": events.Event.objects.count()}))
'''


def peer_python() -> Path:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        log(f"peer: creating {PEER_VENV} and installing quartet-epcis")
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    probe = subprocess.run(
        [str(python), "-c", "import quartet_epcis, quartet_capture, psycopg"], capture_output=True
    )
    if probe.returncode != 0:
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, *PEER_REQUIREMENTS], check=True)
    (PEER_DIR / "quartet_settings.py").write_text(PEER_SETTINGS)
    (PEER_DIR / "quartet_run.py").write_text(PEER_RUNNER)
    return python


def peer_documents(folder: Path) -> tuple[list[Path], int]:
    paths, count = [], 0
    for n, events in enumerate(chain_batches(PEER_EVENTS, PEER_DOC_EVENTS)):
        path = folder / f"doc{n:04d}.xml"
        path.write_bytes(generate.xml12_document(events))
        paths.append(path)
        count += len(events)
    return paths, count


def section_peer_ours(args: argparse.Namespace) -> dict[str, Any]:
    """Our ingest core on the peer's documents (EPCIS 1.2 XML, in order, one at a time)."""
    from bench.ingest import setup_django, truncate_events

    setup_django(os.environ["DATABASE_URL"])
    from django.contrib.auth import get_user_model

    from epcis.ingest import ingest_document
    from epcis.models import CaptureJob

    owner, _ = get_user_model().objects.get_or_create(username="bench")
    rates = []
    for _ in range(args.runs):
        truncate_events()
        stored, started = 0, time.perf_counter()
        for path in args.documents:
            job = CaptureJob.objects.create(owner=owner, media_type="application/xml")
            with open(path, "rb") as stream:
                result = ingest_document(capture=job, stream=stream)
            if not result.success:
                raise RuntimeError(f"{path}: {result.errors[:3]}")
            stored += result.stored_count
        rates.append(stored / (time.perf_counter() - started))
    return {"rate": statistics.median(rates), "stored": stored}


def run_peer(args: argparse.Namespace, url: str) -> dict[str, Any]:
    try:
        python = peer_python()
    except subprocess.CalledProcessError as exc:
        return {"rows": [peer_not_run(f"installing quartet-epcis failed: {exc}")]}
    with tempfile.TemporaryDirectory() as folder:
        paths, count = peer_documents(Path(folder))
        log(f"peer: our ingest core on {len(paths)} EPCIS 1.2 XML documents ({count} events)")
        ours = run_section(
            "peer-ours", args, fresh_database(url, "bench_peer"), extra=[str(p) for p in paths]
        )
        peers = []
        for run in range(args.runs):
            log(f"peer: quartet-epcis on the same documents, run {run + 1} of {args.runs}")
            done = run_quartet(python, paths, fresh_database(url, "bench_quartet"))
            if done.returncode != 0:
                last_words = done.stderr.strip().splitlines() or ["no output"]
                return {"rows": [peer_not_run(f"quartet-epcis failed: {last_words[-1]}")]}
            peers.append(json.loads(done.stdout.strip().splitlines()[-1]))
    peer = peers[0] | {"seconds": statistics.median(p["seconds"] for p in peers)}
    peer_rate = count / peer["seconds"]
    version = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('quartet_epcis'))"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    stored = "" if peer["stored"] == count else f"; it stored {peer['stored']} of {count}"
    return {
        "rows": [
            [
                f"Peer: store {len(paths)} EPCIS 1.2 XML + SBDH documents ({count:,} events) in "
                f"supply-chain order; quartet-epcis {version} BusinessEPCISParser, each on a fresh"
                f" database{stored}",
                f"{ours['rate']:,.0f} ev/s",
                f"quartet-epcis {peer_rate:,.0f} ev/s",
                f"{ours['rate'] / peer_rate:.0f}×",
                TARGETS["peer"],
            ]
        ]
    }


def run_quartet(python: Path, paths: list[Path], database_url: str) -> Any:
    env = {
        **os.environ,
        "PEER_DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "quartet_settings",
        "PYTHONPATH": str(PEER_DIR),
    }
    return subprocess.run(
        [str(python), str(PEER_DIR / "quartet_run.py"), *map(str, paths)],
        env=env,
        cwd=PEER_DIR,
        capture_output=True,
        text=True,
    )


def peer_not_run(reason: str) -> list[str]:
    return ["Peer: quartet-epcis side by side", f"not run: {reason}", "", "", TARGETS["peer"]]


# -- orchestration ----------------------------------------------------------------------

CHILD_SECTIONS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "ingest": section_ingest,
    "capture": section_capture,
    "query": section_query,
    "peer-ours": section_peer_ours,
    "recall": section_recall,
}


def run_section(
    name: str, args: argparse.Namespace, database_url: str, extra: list[str] | None = None
) -> dict[str, Any]:
    """Run one part in a fresh child process (its own Django, its own database)."""
    command = [sys.executable, __file__, "--section", name, "--events", args.events]
    command += ["--runs", str(args.runs), *(extra or [])]
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    done = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        failed = f"failed (exit {done.returncode}; see the output above)"
        return {"rows": [[f"{name}", failed, "", "", ""]]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(rows: list[list[str]]) -> str:
    lines = [
        "| measure | ours | compared with | ratio | target |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", choices=SIZES, default="100k", help="query repository size")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--skip-peer", action="store_true", help="leave out quartet-epcis")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated parts")
    parser.add_argument("--label", help="also write bench/results/YYYY-MM-DD-LABEL.md")
    parser.add_argument("--section", choices=CHILD_SECTIONS, help=argparse.SUPPRESS)
    parser.add_argument("documents", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = require_postgres()
    if args.section:
        print(json.dumps(CHILD_SECTIONS[args.section](args)))
        return
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"--only: unknown part(s) {', '.join(unknown)}; use {', '.join(SECTIONS)}")
    if args.skip_peer and "peer" in chosen:
        chosen.remove("peer")
    host = machine(url)
    print(f"machine: {host}", flush=True)
    started = time.perf_counter()
    rows: list[list[str]] = []
    plans: list[str] = []
    notes: list[str] = []
    for name in SECTIONS:
        if name not in chosen:
            continue
        log(f"--- {name}")
        if name == "peer":
            result = run_peer(args, url)
        else:
            suffix = {
                "ingest": "bench",
                "capture": "bench_capture",
                "query": "bench_query",
                "recall": "bench_recall",
            }
            result = run_section(name, args, fresh_database(url, suffix[name]))
        rows += result["rows"]
        plans += result.get("plans", [])
        notes += result.get("notes", [])
    report = render(host, args, rows, plans, notes, time.perf_counter() - started)
    print(report)
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "latest.md").write_text(report)
    if args.label:
        shutil.copy(results / "latest.md", results / f"{date.today().isoformat()}-{args.label}.md")


def render(
    host: str,
    args: argparse.Namespace,
    rows: list[list[str]],
    plans: list[str],
    notes: list[str],
    seconds: float,
) -> str:
    out = [
        f"## Benchmark {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {host}.",
        f"`bench/run.py --events {args.events} --runs {args.runs}`; medians of {args.runs} runs"
        f" unless stated; {seconds / 60:.1f} minutes in all.",
        "",
        table(rows),
        "",
    ]
    out += [f"- {note}" for note in notes]
    if plans:
        out += ["", "Query plans (EXPLAIN node types of the page query):", ""]
        out += [f"- {plan}" for plan in plans]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
