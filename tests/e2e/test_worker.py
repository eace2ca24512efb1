"""The PostgreSQL + Redis run goes through a real Celery worker, not eager mode."""

import pytest

from config.celery import app

pytestmark = pytest.mark.broker


def test_a_real_worker_answers_through_the_broker(celery_worker):
    replies = app.control.ping(destination=[celery_worker], timeout=5)
    assert replies == [{celery_worker: {"ok": "pong"}}]
