"""Liveness of the parts the service needs: the database and the Celery broker."""

from __future__ import annotations

from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

BROKER_TIMEOUT_SECONDS = 2.0


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "down"; the text says why
        connection.close_if_unusable_or_obsolete()
        return f"unreachable: {_one_line(exc)}"
    return "ok"


def broker_status() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as exc:  # kombu raises transport-specific errors
        return f"unreachable: {_one_line(exc)}"
    return "ok"


def _one_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
