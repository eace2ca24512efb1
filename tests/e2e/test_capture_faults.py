"""Capture survives faults, on the default settings: a worker killed mid-job and a broker that
is down when the document arrives. Real processes throughout: a private Redis, gunicorn and
`celery -A config worker -B` on the test database (the PostgreSQL run).

The requirement is that such a job still finishes, with its events stored exactly once,
within 60 s of a worker (and the broker) being available again. No EPCIS_CAPTURE_* variable
reaches the child processes: the defaults are what is tested.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from epcis.auth import issue_api_key
from epcis.models import CaptureJob, Event
from tests.support.builders import json_document, object_event
from tests.support.processes import REPO, database_url_of, free_port, service_env, wait_for_port

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]

RECOVERY_BOUND = 60.0  # seconds: the requirement
KILLED_EVENTS = 100_000  # large enough that the job is still running when its worker dies
QUEUED_EVENTS = 1_000


def event_id(n: int) -> str:
    return f"urn:uuid:00000000-0000-4000-8000-{n:012d}"


def document(count: int) -> bytes:
    """`count` distinct ObjectEvents with explicit eventIDs: nothing in it is a duplicate."""
    return json_document(*(object_event(str(n), event_id=event_id(n)) for n in range(count)))


def defaults_only(**overrides: str) -> dict[str, str]:
    """Overrides for `service_env` that also drop any EPCIS_CAPTURE_* of the calling shell."""
    dropped = {name: "" for name in os.environ if name.startswith("EPCIS_CAPTURE_")}
    return {**dropped, **overrides}


class Faults:
    """The processes of one test: a private Redis and workers, each in its own process group
    and logging to a file, all killed in `close`."""

    def __init__(self, tmp_path: Path, database_url: str) -> None:
        self.tmp_path = tmp_path
        self.database_url = database_url
        self.redis_port = free_port()
        self.broker_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.redis: subprocess.Popen | None = None
        self.workers: list[tuple[str, subprocess.Popen, Path]] = []

    def _spawn(self, cmd: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
        with log.open("ab") as out:
            return subprocess.Popen(
                cmd,
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def start_redis(self) -> None:
        cmd = ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1"]
        cmd += ["--save", "", "--appendonly", "no"]
        self.redis = self._spawn(cmd, self.tmp_path / "redis.log", env=dict(os.environ))
        wait_for_port(self.redis_port, timeout=30)

    def start_worker(self) -> str:
        """Start a worker with an embedded beat; return its name once it is ready."""
        label = f"w{len(self.workers) + 1}"
        name = f"faults-{os.getpid()}-{label}@localhost"
        log = self.tmp_path / f"worker-{label}.log"
        cmd = [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo", "-n", name]
        cmd += ["-B", "-s", str(self.tmp_path / f"beat-{label}"), "-l", "INFO"]
        cmd += ["--without-gossip", "--without-mingle"]
        env = service_env(
            **defaults_only(
                DATABASE_URL=self.database_url,
                CELERY_BROKER_URL=self.broker_url,
                EPCIS_VAR_DIR=str(self.tmp_path),
            )
        )
        proc = self._spawn(cmd, log, env)
        self.workers.append((name, proc, log))
        # Its "ready" line, not a ping: this process's Celery app publishes to the broker of
        # its own CELERY_BROKER_URL whatever connection it is given.
        deadline = time.monotonic() + 60
        while f"{name} ready." not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    f"worker {name} did not start (exit code {proc.poll()})\n{self.logs()}"
                )
            time.sleep(0.1)
        return name

    def kill_worker(self, name: str) -> None:
        """SIGKILL the worker's whole process group (its embedded beat with it)."""
        for worker, proc, _ in self.workers:
            if worker == name:
                kill_group(proc, signal.SIGKILL)

    def logs(self, lines: int = 40) -> str:
        tails = []
        for name, _, log in self.workers:
            text = log.read_text(errors="replace").splitlines() if log.exists() else []
            tails.append(f"--- {name} log, last {lines} lines ---\n" + "\n".join(text[-lines:]))
        return "\n".join(tails)

    def close(self) -> None:
        procs = [proc for _, proc, _ in self.workers]
        for proc in [*procs, self.redis] if self.redis is not None else procs:
            kill_group(proc, signal.SIGKILL)


def kill_group(proc: subprocess.Popen, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group has exited already
        os.killpg(proc.pid, sig)
    proc.wait(timeout=30)


@pytest.fixture
def faults(tmp_path) -> Iterator[Faults]:
    from django.db import connection

    harness = Faults(tmp_path, database_url_of(connection.settings_dict))
    try:
        yield harness
    finally:
        harness.close()


@pytest.fixture
def api_key(db) -> str:
    return issue_api_key(username="alice", role="partner")  # committed: transaction=True


def request(url: str, key: str, data: bytes | None = None) -> tuple[int, dict[str, Any], Any]:
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/ld+json"
    req = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=120) as response:
            return response.status, dict(response.headers), json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode(errors="replace")


def post_capture(server: str, key: str, body: bytes) -> int:
    status, headers, answer = request(f"{server}/capture", key, body)
    assert status == 202, f"POST /capture answered {status}: {answer}"
    assert headers["Location"].endswith(f"/capture/{answer['captureID']}")
    return int(answer["captureID"])


def job_row(capture_id: int) -> dict[str, Any]:
    row = CaptureJob.objects.filter(pk=capture_id).values().first()
    assert row is not None, f"no capture job {capture_id}"
    return {k: v for k, v in row.items() if k != "header"}


def wait_for_status(capture_id: int, status: str, faults: Faults, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while job_row(capture_id)["status"] != status:
        if time.monotonic() > deadline:
            raise AssertionError(
                f"capture {capture_id} not {status} after {timeout}s: {job_row(capture_id)}\n"
                + faults.logs()
            )
        time.sleep(0.1)


def finished_job(
    server: str, key: str, capture_id: int, faults: Faults, since: float
) -> tuple[dict, float]:
    """Poll GET /capture/{id} until the job has finished; return it and the seconds it took
    from `since`. Polls a little past the bound, so a failure says by how much it missed."""
    deadline = since + RECOVERY_BOUND + 30
    while True:
        status, _, job = request(f"{server}/capture/{capture_id}", key)
        assert status == 200, f"GET /capture/{capture_id} answered {status}: {job}"
        elapsed = time.monotonic() - since
        if not job["running"]:
            return job, elapsed
        if time.monotonic() > deadline:
            raise AssertionError(
                f"capture {capture_id} still running {elapsed:.0f}s after the worker was up "
                f"(the bound is {RECOVERY_BOUND:.0f}s): {job_row(capture_id)}\n" + faults.logs()
            )
        time.sleep(0.5)


def assert_stored_once(job: dict, capture_id: int, count: int, faults: Faults) -> None:
    context = f"job {job}\nrow {job_row(capture_id)}\n{faults.logs()}"
    assert (job["success"], job["errors"]) == (True, []), context
    assert (job["eventCount"], job["duplicateCount"]) == (count, 0), context
    assert job_row(capture_id)["stored_count"] == count, context
    assert Event.objects.count() == count, context
    assert Event.objects.filter(capture_id=capture_id).count() == count, context
    stored_ids = Event.objects.values_list("event_id", flat=True).distinct().count()
    assert stored_ids == count, context
    assert Event.objects.filter(event_id=event_id(count - 1)).count() == 1, context


def test_a_job_whose_worker_is_killed_mid_capture_finishes_once(faults, gunicorn_server, api_key):
    faults.start_redis()
    first = faults.start_worker()
    server = gunicorn_server(
        **defaults_only(DATABASE_URL=faults.database_url, CELERY_BROKER_URL=faults.broker_url)
    )
    capture_id = post_capture(server, api_key, document(KILLED_EVENTS))

    wait_for_status(capture_id, "running", faults, timeout=60)
    time.sleep(1)  # well into the ingest: events are being written, uncommitted
    faults.kill_worker(first)
    killed = job_row(capture_id)
    assert (killed["status"], killed["attempts"]) == ("running", 1), (
        f"the job was not running when its worker died (make the document larger): {killed}"
    )

    faults.start_worker()
    ready = time.monotonic()
    job, elapsed = finished_job(server, api_key, capture_id, faults, since=ready)

    assert elapsed <= RECOVERY_BOUND, (
        f"recovered in {elapsed:.0f}s, over {RECOVERY_BOUND:.0f}s: {job_row(capture_id)}"
    )
    assert_stored_once(job, capture_id, KILLED_EVENTS, faults)
    # The killed run and the one that finished; a redelivery or extra requeue is a no-op.
    assert job_row(capture_id)["attempts"] == 2, job_row(capture_id)
    print(f"\nkilled worker: job {capture_id} finished {elapsed:.1f}s after the new worker")


def test_a_job_accepted_while_the_broker_is_down_finishes_once(faults, gunicorn_server, api_key):
    server = gunicorn_server(  # the private Redis is not started yet: nothing listens there
        **defaults_only(DATABASE_URL=faults.database_url, CELERY_BROKER_URL=faults.broker_url)
    )
    capture_id = post_capture(server, api_key, document(QUEUED_EVENTS))
    assert job_row(capture_id)["status"] == "queued"

    faults.start_redis()
    faults.start_worker()
    ready = time.monotonic()
    job, elapsed = finished_job(server, api_key, capture_id, faults, since=ready)

    assert elapsed <= RECOVERY_BOUND, (
        f"recovered in {elapsed:.0f}s, over {RECOVERY_BOUND:.0f}s: {job_row(capture_id)}"
    )
    assert_stored_once(job, capture_id, QUEUED_EVENTS, faults)
    assert job_row(capture_id)["attempts"] == 1, job_row(capture_id)
    print(f"\nbroker down: job {capture_id} finished {elapsed:.1f}s after Redis and the worker")
