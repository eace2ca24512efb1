"""Two captures touching one container at once (PostgreSQL): neither sees the other's
events until it commits, so the one that cannot claim the container's lock bucket leaves
it to the repair after its commit, which waits for the other capture (trace.lineage)."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.db import connection

from tests.support.lineage import KEYS, capture_scenario, lineage_rows, wipe_repository
from trace.lineage import LOCK_CLASS, _buckets
from trace.models import PendingParent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def other_session_url() -> str:
    s = connection.settings_dict
    return f"postgresql://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def test_a_container_held_by_another_capture_is_repaired_after_it_commits():
    capture_scenario()
    expected = lineage_rows()
    wipe_repository()
    bucket = _buckets([KEYS["PAL"]])[KEYS["PAL"]]
    other = psycopg.connect(other_session_url(), autocommit=True)  # "another capture"
    other.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_CLASS, bucket])
    released = threading.Event()

    def commit_later() -> None:
        time.sleep(1.0)
        other.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_CLASS, bucket])
        released.set()

    threading.Thread(target=commit_later, daemon=True).start()
    capture_scenario()  # the repair after each commit waits for the other session
    assert released.is_set()
    other.close()
    assert not PendingParent.objects.exists()
    assert lineage_rows() == expected
