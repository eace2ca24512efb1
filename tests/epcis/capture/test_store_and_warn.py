"""A partner on "store and warn" has events with identifier-level defects stored as sent.

DOCUMENT holds three events, each with one defect GS1's schemas do not catch (worked out
by hand): GTIN 0401234511111 + check digit 3 (the right one is 8: weights 3,1,3,... from the
right over 0401234511111 give 72, and 80 - 72 = 8); an SSCC of 15 digits after the company
prefix (it must have 17 digits in all, here 18); and the business step "shiping". A fourth
event lacks its eventTime, a structural error that is never stored.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from epcis.models import CaptureJob, Event, EventIdentifier
from epcis.partners import set_identifier_defects
from tests.support.builders import captured, json_document

pytestmark = pytest.mark.django_db
BAD_GTIN = "https://id.gs1.org/01/04012345111113/21/7"
LONG_SSCC = "urn:epc:id:sscc:4012345.00000000000012"
BAD_CHECK = (
    '{"type": "ObjectEvent", "eventTime": "2024-01-01T10:00:00Z", "eventTimeZoneOffset":'
    f' "+00:00", "action": "OBSERVE", "epcList": ["{BAD_GTIN}"]}}'
)
BAD_LENGTH = (
    '{"type": "ObjectEvent", "eventTime": "2024-01-01T11:00:00Z", "eventTimeZoneOffset":'
    f' "+00:00", "action": "OBSERVE", "epcList": ["{LONG_SSCC}"]}}'
)
BAD_WORD = (
    '{"type": "ObjectEvent", "eventTime": "2024-01-01T12:00:00Z", "eventTimeZoneOffset":'
    ' "+00:00", "action": "OBSERVE", "bizStep": "shiping",'
    ' "epcList": ["urn:epc:id:sgtin:4012345.011111.1001"]}'
)
NO_TIME = (
    '{"type": "ObjectEvent", "eventTimeZoneOffset": "+00:00", "action": "OBSERVE",'
    ' "epcList": ["urn:epc:id:sgtin:4012345.011111.1002"]}'
)


def captured_by_gdst(body: bytes) -> CaptureJob:
    return captured(body, owner="gdst", behaviour="proceed")


def test_a_strict_partner_has_each_defect_refused():
    job = captured_by_gdst(json_document(BAD_CHECK, BAD_LENGTH, BAD_WORD))
    assert (job.status, job.stored_count) == (CaptureJob.Status.FAILED, 0)
    assert [(e["eventIndex"], e["field"]) for e in job.errors] == [
        (0, "epcList[0]"),
        (1, "epcList[0]"),
        (2, "bizStep"),
    ]


def test_a_warn_partner_has_them_stored_as_sent_with_a_warning_each():
    get_user_model().objects.create(username="gdst")
    set_identifier_defects(username="gdst", policy="warn")
    job = captured_by_gdst(json_document(BAD_CHECK, BAD_LENGTH, BAD_WORD))
    assert (job.status, job.stored_count, job.errors) == (CaptureJob.Status.SUCCEEDED, 3, [])
    warnings = job.header["warnings"]
    assert [(w["eventIndex"], w["field"], w["severity"]) for w in warnings] == [
        (0, "epcList[0]", "warning"),
        (1, "epcList[0]", "warning"),
        (2, "bizStep", "warning"),
    ]
    assert all("stored as sent (store and warn)" in w["detail"] for w in warnings)
    assert "check digit" in warnings[0]["detail"]
    docs = [e.doc for e in Event.objects.order_by("event_time")]
    assert [d.get("epcList") for d in docs] == [
        [BAD_GTIN],
        [LONG_SSCC],
        ["urn:epc:id:sgtin:4012345.011111.1001"],
    ]
    assert docs[2]["bizStep"] == "shiping"
    # Matched by the text as given: no canonical form exists for either.
    canonicals = set(EventIdentifier.objects.values_list("canonical", flat=True))
    assert {BAD_GTIN, LONG_SSCC} <= canonicals


def test_a_warn_partner_still_has_structural_errors_refused():
    get_user_model().objects.create(username="gdst")
    set_identifier_defects(username="gdst", policy="warn")
    job = captured_by_gdst(json_document(BAD_CHECK, NO_TIME))
    assert (job.status, job.stored_count) == (CaptureJob.Status.FAILED, 1)  # proceed
    assert [(e["eventIndex"], e["field"]) for e in job.errors] == [(1, "eventTime")]


def test_the_text_as_given_finds_the_event(staff_client):
    get_user_model().objects.create(username="gdst")
    set_identifier_defects(username="gdst", policy="warn")
    captured_by_gdst(json_document(BAD_CHECK))
    response = staff_client.get("/events", {"MATCH_epc": BAD_GTIN})
    assert response.status_code == 200, response.content
    events = response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert [e["epcList"] for e in events] == [[BAD_GTIN]]


def test_post_events_follows_the_policy(partner_client):
    assert (
        partner_client.post("/events", BAD_CHECK, content_type="application/json").status_code
        == 400
    )
    set_identifier_defects(username="alice", policy="warn")
    response = partner_client.post("/events", BAD_CHECK, content_type="application/json")
    assert response.status_code == 201, response.content


def test_the_command_shows_and_sets_the_policy(capsys):
    get_user_model().objects.create(username="gdst")
    call_command("partner_policy", "gdst")
    call_command("partner_policy", "gdst", "--identifier-defects", "warn")
    assert capsys.readouterr().out.splitlines() == [
        "gdst: identifier defects: refuse",
        "gdst: identifier defects: warn",
    ]
    with pytest.raises(CommandError, match="there is no user 'nobody'"):
        call_command("partner_policy", "nobody", "--identifier-defects", "warn")
