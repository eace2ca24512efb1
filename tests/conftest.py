from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from rest_framework.test import APIClient

from epcis.auth import issue_api_key
from tests.support.processes import REPO, database_url_of, free_port, service_env, wait_for_port


def keyed_client(username: str, role: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_api_key(username=username, role=role)}")
    return client


@pytest.fixture
def partner_client(db) -> APIClient:
    """Alice's company: a trading partner that captures and reads its own events."""
    return keyed_client("alice", "partner")


@pytest.fixture
def other_partner_client(db) -> APIClient:
    """Bob's company: another partner, who must never see Alice's data."""
    return keyed_client("bob", "partner")


@pytest.fixture
def staff_client(db) -> APIClient:
    return keyed_client("carol", "staff")


@pytest.fixture
def eager_celery(monkeypatch) -> None:
    """Run tasks in-process even on the broker run: a real worker cannot see the rows of a
    test that does not commit (only tests using `celery_worker` go through the broker)."""
    from config.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


@pytest.fixture
def gunicorn_server(tmp_path) -> Iterator:
    """Start `gunicorn config.wsgi` with the given environment; yields a starter function."""
    started: list[subprocess.Popen] = []

    def start(**env: str) -> str:
        port = free_port()
        cmd = [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}"]
        base = service_env(EPCIS_VAR_DIR=str(tmp_path), **env)
        proc = subprocess.Popen(cmd, cwd=REPO, env=base, stderr=subprocess.DEVNULL)
        started.append(proc)
        wait_for_port(port)
        return f"http://127.0.0.1:{port}"

    yield start
    for proc in started:
        proc.terminate()
        proc.wait(timeout=10)


def pytest_collection_modifyitems(config, items) -> None:
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip_pg = pytest.mark.skip(reason="needs DATABASE_URL=postgres://... (CI's second run)")
    skip_broker = pytest.mark.skip(reason="needs CELERY_BROKER_URL=redis://... (CI's second run)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if "broker" in item.keywords and settings.CELERY_TASK_ALWAYS_EAGER:
            item.add_marker(skip_broker)


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker) -> Iterator[str]:
    """A real `celery -A config worker` process on the test database, fed through the broker.

    Tests that use it must commit their data (`django_db(transaction=True)`), as a
    worker in another process only sees committed rows.
    """
    from django.db import connection

    from config.celery import app

    name = f"test-worker-{os.getpid()}@localhost"
    env = service_env(DATABASE_URL=database_url_of(connection.settings_dict))
    cmd = [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo", "-n", name]
    cmd += ["--without-gossip", "--without-mingle", "-l", "WARNING"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env)
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[name], timeout=1):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"celery worker did not start (exit code {proc.poll()})")
        yield name
    finally:
        proc.terminate()
        proc.wait(timeout=30)
