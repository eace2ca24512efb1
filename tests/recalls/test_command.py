"""manage.py recall: the same job, in-process, with the summary and the location table."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from recalls.models import RecallJob
from tests.support.recall import NAMES, capture_recall_scenario

pytestmark = pytest.mark.django_db(transaction=True)


def test_recall_by_gtin_and_lot_prints_summary_and_locations():
    capture_recall_scenario()
    out, err = io.StringIO(), io.StringIO()
    call_command("recall", "--gtin", "04012345111118", "--lot", "A", stdout=out, stderr=err)
    text = out.getvalue()
    assert "units 6  containers 3  locations 3  dispensed 2  inTransit 2" in text
    assert any(line.startswith(NAMES["PLANT"]) and " 1 " in line for line in text.splitlines())
    assert RecallJob.objects.get().status == RecallJob.Status.SUCCEEDED


def test_bad_input_is_a_command_error(db):
    with pytest.raises(CommandError, match="not an LGTIN"):
        call_command("recall", "--epc-class", NAMES["A1"], stdout=io.StringIO())
