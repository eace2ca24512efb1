"""The EPCIS_AFTER_STORE contract: typed events, the storing transaction, failures, checks.

Expected StoredEvent fields are worked out by hand from DOCUMENT below. Identifiers are
in their canonical (GS1 Digital Link) form: e.g. urn:epc:id:sgtin:4012345.011111.1001 is
GTIN 0 4012345 11111 + check digit 8 = 04012345111118, serial 1001.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from epcis.capture.hooks import Quantity, StoredEvent, check_after_store_hooks
from epcis.models import CaptureJob, Event
from tests.support import hooks
from tests.support.builders import captured

pytestmark = pytest.mark.django_db
RECORDING = ["tests.support.hooks.recording_hook"]
CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
TRANSFORMATION = """{"type": "TransformationEvent", "eventTime": "2024-03-01T14:00:00.000+01:00",
 "eventTimeZoneOffset": "+01:00", "eventID": "urn:uuid:6c0e4a9e-0b1a-4c47-9d3e-2f1f6b0a1004",
 "transformationID": "urn:uuid:6c0e4a9e-0b1a-4c47-9d3e-2f1f6b0a9999",
 "inputQuantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.099999.API-7731",
   "quantity": 12.5, "uom": "KGM"}],
 "outputEPCList": ["urn:epc:id:sgtin:4012345.011111.1001"],
 "bizStep": "commissioning", "disposition": "active",
 "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.4"},
 "bizLocation": {"id": "urn:epc:id:sgln:4012345.00001.0"},
 "ilmd": {"cbvmda:lotNumber": "LOT2024A", "cbvmda:itemExpirationDate": "2026-02-28"}}"""
AGGREGATION = """{"type": "AggregationEvent", "eventTime": "2024-03-01T15:00:00Z",
 "eventTimeZoneOffset": "+00:00", "eventID": "urn:uuid:6c0e4a9e-0b1a-4c47-9d3e-2f1f6b0a2001",
 "parentID": "urn:epc:id:sscc:4012345.0000000001", "action": "ADD",
 "childEPCs": ["urn:epc:id:sgtin:4012345.011111.1001"],
 "childQuantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.011111.LOT2024A",
   "quantity": 4}],
 "bizStep": "packing"}"""
SHIPPING = """{"type": "ObjectEvent", "eventTime": "2024-03-02T08:00:00Z",
 "eventTimeZoneOffset": "+00:00", "eventID": "urn:uuid:6c0e4a9e-0b1a-4c47-9d3e-2f1f6b0a3001",
 "action": "OBSERVE", "epcList": ["urn:epc:id:sscc:4012345.0000000001"],
 "bizStep": "shipping", "disposition": "in_transit",
 "bizTransactionList": [
   {"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:PO-1"}],
 "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:4012345.00000"}],
 "destinationList": [{"type": "owning_party", "destination": "urn:epc:id:pgln:4012345.00000"}]}"""
RETRACTION = """{"type": "ObjectEvent", "eventTime": "2024-03-02T08:00:00Z",
 "eventTimeZoneOffset": "+00:00", "eventID": "urn:uuid:6c0e4a9e-0b1a-4c47-9d3e-2f1f6b0a3001",
 "action": "OBSERVE", "epcList": ["urn:epc:id:sscc:4012345.0000000001"],
 "bizStep": "shipping", "disposition": "in_transit",
 "bizTransactionList": [
   {"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:PO-1"}],
 "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:4012345.00000"}],
 "destinationList": [{"type": "owning_party", "destination": "urn:epc:id:pgln:4012345.00000"}],
 "errorDeclaration": {"declarationTime": "2024-03-03T00:00:00Z", "reason": "incorrect_data",
   "correctiveEventIDs": ["urn:uuid:6c0e4a9e-0b1a-4c47-9d3e-2f1f6b0a3002"]}}"""
BAD_GTIN = """{"type": "ObjectEvent", "eventTime": "2024-03-02T09:00:00Z",
 "eventTimeZoneOffset": "+00:00", "action": "OBSERVE",
 "epcList": ["https://id.gs1.org/01/04012345111113/21/7"]}"""

UNIT = "https://id.gs1.org/01/04012345111118/21/1001"
CASE = "https://id.gs1.org/00/040123450000000016"
MAKER = "https://id.gs1.org/417/4012345000009"
PO = ("po", "urn:epcglobal:cbv:bt:4012345000009:PO-1")


def document(*events: str) -> bytes:
    body = ", ".join(events)
    return (
        f'{{"@context": ["{CONTEXT}"], "type": "EPCISDocument", "schemaVersion": "2.0",'
        f' "creationDate": "2024-03-04T08:00:00Z", "epcisBody": {{"eventList": [{body}]}}}}'
    ).encode()


@pytest.fixture
def recorded(settings) -> list[dict]:
    settings.EPCIS_AFTER_STORE = RECORDING
    hooks.CALLS.clear()
    return hooks.CALLS


def test_hook_gets_typed_events_built_from_what_ingest_computed(recorded):
    job = captured(document(TRANSFORMATION, AGGREGATION, SHIPPING, RETRACTION))
    assert job.status == CaptureJob.Status.SUCCEEDED
    [call] = recorded
    transformation, aggregation, shipping, retraction = call["events"]
    assert all(isinstance(e, StoredEvent) for e in call["events"])
    assert [e.pk for e in call["events"]] == list(
        Event.objects.order_by("pk").values_list("pk", flat=True)
    )
    assert {e.capture_id for e in call["events"]} == {job.pk}
    assert {e.owner_id for e in call["events"]} == {job.owner_id}

    assert (transformation.type, transformation.action, transformation.biz_step) == (
        "TransformationEvent",
        "",
        "commissioning",
    )
    assert transformation.event_time == datetime(2024, 3, 1, 13, 0, tzinfo=UTC)
    assert transformation.input_quantities == (
        Quantity("https://id.gs1.org/01/04012345999990/10/API-7731", 12.5, "KGM"),
    )
    assert transformation.outputs == (UNIT,)
    assert transformation.transformation_id == "urn:uuid:6c0e4a9e-0b1a-4c47-9d3e-2f1f6b0a9999"
    assert (transformation.lot, transformation.expiry) == ("LOT2024A", "2026-02-28")
    assert transformation.read_point == "https://id.gs1.org/414/4012345000016/254/4"
    assert transformation.biz_location == "https://id.gs1.org/414/4012345000016"

    assert (aggregation.action, aggregation.parent, aggregation.children) == ("ADD", CASE, (UNIT,))
    assert aggregation.child_quantities == (
        Quantity("https://id.gs1.org/01/04012345111118/10/LOT2024A", 4, ""),
    )
    assert (aggregation.lot, aggregation.retracts, aggregation.epc_list) == ("", "", ())

    assert (shipping.epc_list, shipping.disposition) == ((CASE,), "in_transit")
    assert shipping.biz_transactions == (PO,)
    assert shipping.sources == (("owning_party", MAKER),)
    assert shipping.destinations == (("owning_party", MAKER),)
    assert (shipping.retracts, shipping.corrective_event_ids) == ("", ())

    assert retraction.retracts == "urn:uuid:6c0e4a9e-0b1a-4c47-9d3e-2f1f6b0a3001"
    assert retraction.corrective_event_ids == ("urn:uuid:6c0e4a9e-0b1a-4c47-9d3e-2f1f6b0a3002",)


def test_hook_runs_in_the_storing_transaction_and_commits_with_it(recorded):
    captured(document(AGGREGATION))
    [call] = recorded
    assert (call["in_transaction"], call["visible"]) == (True, 1)
    assert list(Group.objects.values_list("name", flat=True)) == [f"hook-{Event.objects.get().pk}"]


def observation(serial: int) -> str:
    return (
        '{"type": "ObjectEvent", "eventTime": "2024-03-02T09:00:00Z", "eventTimeZoneOffset":'
        f' "+00:00", "action": "OBSERVE", "epcList": ["urn:epc:id:sgtin:4012345.011111.{serial}"]}}'
    )


def test_hook_work_is_rolled_back_with_a_rollback_document(recorded):
    # Ingest stores a first batch of 500 events before it reads the invalid 501st.
    valid = [observation(serial) for serial in range(500)]
    job = captured(document(*valid, BAD_GTIN), behaviour="rollback")
    assert job.status == CaptureJob.Status.FAILED
    assert [len(call["events"]) for call in recorded] == [500]  # it saw the batch stored...
    assert (Event.objects.count(), Group.objects.count()) == (0, 0)  # ...undone with it


def test_hook_is_not_called_for_duplicates(recorded):
    captured(document(AGGREGATION))
    again = captured(document(AGGREGATION), owner="bob")
    assert (again.status, again.duplicate_count, again.stored_count) == ("succeeded", 1, 0)
    assert len(recorded) == 1


def test_hook_is_called_for_post_events(recorded, partner_client):
    response = partner_client.post("/events", AGGREGATION, content_type="application/json")
    assert response.status_code == 201
    [call] = recorded
    assert [e.event_id for e in call["events"]] == ["urn:uuid:6c0e4a9e-0b1a-4c47-9d3e-2f1f6b0a2001"]


def test_a_failing_hook_fails_the_job_at_once_naming_it_and_stores_nothing(settings):
    settings.EPCIS_AFTER_STORE = ["tests.support.hooks.failing_hook"]
    job = captured(document(AGGREGATION, SHIPPING))
    assert (job.status, job.attempts, job.stored_count) == (CaptureJob.Status.FAILED, 1, 0)
    [error] = job.errors
    assert error["type"] == "epcisException:ImplementationException"
    assert error["status"] == 500
    assert error["hook"] == "tests.support.hooks.failing_hook"
    assert (
        "tests.support.hooks.failing_hook failed (RuntimeError: lineage table is missing)"
        in (error["detail"])
    )
    assert Event.objects.count() == 0


def test_a_failing_hook_on_post_events_is_a_500_problem_and_stores_nothing(
    settings, partner_client
):
    settings.EPCIS_AFTER_STORE = ["tests.support.hooks.failing_hook"]
    response = partner_client.post("/events", AGGREGATION, content_type="application/json")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["hook"] == "tests.support.hooks.failing_hook"
    assert Event.objects.count() == 0


@pytest.mark.parametrize(
    ("value", "check_id", "words"),
    [
        ("tests.support.hooks.recording_hook", "epcis.E001", "must be a list of dotted paths"),
        (["tests.support.hooks.no_such_hook"], "epcis.E002", "cannot be imported"),
        (["no_such_module.hook"], "epcis.E002", "cannot be imported"),
        (["tests.support.hooks.takes_no_events"], "epcis.E003", "callable as hook(events)"),
        (["tests.support.hooks.NOT_CALLABLE"], "epcis.E003", "callable as hook(events)"),
    ],
)
def test_start_up_check_refuses_a_bad_hook_setting(settings, value, check_id, words):
    settings.EPCIS_AFTER_STORE = value
    [error] = check_after_store_hooks()
    assert (error.id, error.level) == (check_id, checks.ERROR)
    assert words in error.msg
    with pytest.raises(SystemCheckError, match=check_id):
        call_command("check")


def test_start_up_check_accepts_good_hooks_and_none(settings):
    settings.EPCIS_AFTER_STORE = []
    assert check_after_store_hooks() == []
    settings.EPCIS_AFTER_STORE = RECORDING
    assert check_after_store_hooks() == []
