"""`manage.py rebuild_lineage`: the lineage again from the events alone."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from tests.support.lineage import capture_scenario, lineage_rows
from trace.models import Containment, LotMembership, PendingParent

pytestmark = pytest.mark.django_db(transaction=True)


def test_rebuild_gives_the_rows_the_captures_gave():
    capture_scenario()
    kept = lineage_rows()
    LotMembership.objects.all().delete()
    Containment.objects.filter(parent__endswith="0108").delete()  # the pallet's stays
    out = io.StringIO()
    call_command("rebuild_lineage", "--batch-size", "6", stdout=out)
    assert lineage_rows() == kept
    lines = out.getvalue().splitlines()
    # 28 events in batches of 6: a progress line per batch
    assert lines[:-1] == [f"{n} / 28 events ({n / 28:.0%})" for n in (6, 12, 18, 24, 28)]
    assert lines[-1].startswith("lineage rebuilt from 28 events")


def test_rebuild_of_an_empty_repository():
    out = io.StringIO()
    call_command("rebuild_lineage", stdout=out)
    assert "lineage rebuilt from 0 events" in out.getvalue()
    assert not PendingParent.objects.exists()


def test_rebuild_refuses_a_batch_size_below_one():
    with pytest.raises(SystemExit):
        call_command("rebuild_lineage", "--batch-size", "0", stderr=io.StringIO())
