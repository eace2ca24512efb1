"""`make run` serves the product on the embedded default, as a new user would start it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.support.processes import REPO, free_port, service_env, wait_for_port


@pytest.fixture
def make_run(tmp_path):
    port = free_port()
    venv = Path(sys.prefix)
    # The embedded default: no database or broker configured, state under a fresh var/.
    env = service_env(EPCIS_VAR_DIR=str(tmp_path), DATABASE_URL="", CELERY_BROKER_URL="")
    cmd = ["make", "--no-print-directory", "run", f"PORT={port}", f"VENV={venv}"]
    proc = subprocess.Popen(
        cmd,
        cwd=REPO,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, timeout=180)
        yield f"http://127.0.0.1:{port}", tmp_path
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def test_make_run_migrates_sqlite_under_var_and_serves_healthz(make_run):
    base, var_dir = make_run
    with urllib.request.urlopen(f"{base}/healthz", timeout=30) as response:
        assert response.status == 200
        assert json.load(response) == {"database": "ok", "broker": "eager"}
    assert (var_dir / "epcis.sqlite3").stat().st_size > 0


def test_make_run_serves_the_admin_login_page_with_its_styles(make_run):
    base, _ = make_run
    with urllib.request.urlopen(f"{base}/admin/login/", timeout=30) as response:
        assert response.status == 200
        assert b"Django administration" in response.read()
    with urllib.request.urlopen(f"{base}/static/admin/css/base.css", timeout=30) as response:
        assert response.status == 200


def test_make_run_loads_the_demo_once_and_a_key_reads_it_back(make_run):
    base, var_dir = make_run
    env = service_env(EPCIS_VAR_DIR=str(var_dir), DATABASE_URL="", CELERY_BROKER_URL="")
    issued = subprocess.run(
        [sys.executable, "manage.py", "issue_token", "demo"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    key = issued.stdout.strip().splitlines()[-1]
    request = urllib.request.Request(
        f"{base}/capture?perPage=10", headers={"Authorization": f"Bearer {key}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        jobs = json.load(response)
    finished = [(job["running"], job["success"]) for job in jobs]
    assert finished == [(False, True)] * 6
