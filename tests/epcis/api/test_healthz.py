"""GET /healthz: anonymous, names each dependency, 503 when one is down."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from rest_framework.test import APIClient


def fetch(url: str) -> tuple[int, str, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers["Content-Type"], json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], json.load(error)


@pytest.mark.django_db
def test_it_reports_every_part_up_without_authentication():
    response = APIClient().get("/healthz")
    expected_broker = "eager" if settings.CELERY_TASK_ALWAYS_EAGER else "ok"
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": expected_broker}


def test_it_answers_503_naming_the_database_when_it_is_down(gunicorn_server):
    # Nothing listens on port 1: the connection is refused at once.
    base = gunicorn_server(DATABASE_URL="postgres://epcis@127.0.0.1:1/epcis", CELERY_BROKER_URL="")
    status, content_type, body = fetch(f"{base}/healthz")
    assert status == 503
    assert content_type == "application/problem+json"
    assert body["database"].startswith("unreachable")
    assert body["broker"] == "eager"
    assert body["type"] == "epcisException:ImplementationException"
    assert "database unreachable" in body["detail"]


def test_it_answers_503_naming_the_broker_when_it_is_down(gunicorn_server, tmp_path):
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path}/h.sqlite3"
    base = gunicorn_server(DATABASE_URL=database_url, CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    status, content_type, body = fetch(f"{base}/healthz")
    assert status == 503
    assert content_type == "application/problem+json"
    assert body["database"] == "ok"
    assert body["broker"].startswith("unreachable")
    assert "broker unreachable" in body["detail"]


def test_other_endpoints_answer_503_problem_when_the_database_is_down(gunicorn_server):
    base = gunicorn_server(DATABASE_URL="postgres://epcis@127.0.0.1:1/epcis", CELERY_BROKER_URL="")
    request = urllib.request.Request(f"{base}/", headers={"Authorization": "Bearer epcis_x"})
    status, content_type, body = fetch_request(request)
    assert status == 503
    assert content_type == "application/problem+json"
    assert "database is unavailable" in body["detail"]


def fetch_request(request: urllib.request.Request) -> tuple[int, str, dict]:
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers["Content-Type"], json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], json.load(error)
