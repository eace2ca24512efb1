"""POST /capture and GET /capture/{captureID}: the GS1 asynchronous capture interface."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import urllib.request

import pytest
from django.contrib.auth import get_user_model
from lxml import etree

from epcis.capture.documents import CHUNK_SIZE
from epcis.capture.receive import CaptureTooLarge, receive_document
from epcis.capture.worker import process_capture
from epcis.models import CaptureJob, DocumentChunk, Event
from tests.support import documents
from tests.support.builders import FIXTURES, json_document, object_event
from tests.support.gs1 import GS1_DIR, requires_gs1
from tests.support.processes import REPO, service_env

pytestmark = pytest.mark.django_db
JSON, XML = "application/ld+json", "application/xml"
BAD_GTIN = "https://id.gs1.org/01/04012345111113/21/7"  # check digit should be 8


@pytest.fixture
def post(partner_client, django_capture_on_commit_callbacks, eager_celery):
    """POST /capture as Alice; the job runs (eagerly) once the request's transaction commits."""

    def send(body: bytes, media_type: str = JSON, client=partner_client, **headers: str):
        with django_capture_on_commit_callbacks(execute=True):
            return client.generic("POST", "/capture", body, media_type, headers=headers)

    return send


def job_of(client, response) -> dict:
    return client.get(response["Location"]).json()


def stored_counts() -> tuple[int, int, int]:
    return CaptureJob.objects.count(), DocumentChunk.objects.count(), Event.objects.count()


@pytest.mark.parametrize(
    ("folder", "name", "media_type", "events"),
    [
        ("json", "object_event.jsonld", JSON, 1),
        ("json", "aggregation_event.jsonld", "application/json", 1),
        ("json", "transformation_event.jsonld", "application/json; charset=utf-8", 1),
        ("xml", "object_event.xml", XML, 1),
        ("xml", "transaction_event.xml", "text/xml", 1),
        ("xml12", "association_event.xml", XML, 1),
        ("xml12", "dscsa_shipment_sbdh.xml", "text/xml; charset=UTF-8", 4),
    ],
)
def test_document_is_accepted_then_captured_by_the_worker(
    post, partner_client, folder, name, media_type, events
):
    response = post((FIXTURES / folder / name).read_bytes(), media_type)

    assert response.status_code == 202
    capture_id = response.json()["captureID"]
    assert response["Location"] == f"/capture/{capture_id}"
    assert (response["GS1-EPCIS-Version"], response["GS1-CBV-Version"]) == ("2.0.0", "2.0.0")
    job = job_of(partner_client, response)
    assert job["captureID"] == capture_id
    assert (job["running"], job["success"], job["errors"]) == (False, True, [])
    assert (job["eventCount"], job["duplicateCount"]) == (events, 0)
    assert job["captureErrorBehaviour"] == "rollback"
    assert job["finishedAt"] >= job["createdAt"]
    assert Event.objects.filter(capture_id=int(capture_id)).count() == events


def test_document_bytes_are_kept_in_order_with_their_hash(post):
    body = (FIXTURES / "xml12" / "dscsa_shipment_sbdh.xml").read_bytes()
    response = post(body, XML)
    job = CaptureJob.objects.get(pk=response.json()["captureID"])
    stored = b"".join(bytes(c.data) for c in job.chunks.order_by("seq"))
    assert stored == body
    assert job.size == len(body)
    assert job.sha256 == hashlib.sha256(body).hexdigest()
    assert job.header["sbdh"]["documentIdentification"]["instanceIdentifier"] == (
        "5f0e7c1a-3b4d-4e8f-9a0b-1c2d3e4f5a6b"
    )


def test_document_of_several_chunks_is_stored_whole_and_captured(post, partner_client):
    body = json_document(*(object_event(str(serial)) for serial in range(12_000)))
    assert len(body) > 2 * CHUNK_SIZE
    response = post(body)
    job = CaptureJob.objects.get(pk=response.json()["captureID"])
    assert job.chunks.count() == len(body) // CHUNK_SIZE + 1
    assert b"".join(bytes(c.data) for c in job.chunks.order_by("seq")) == body
    assert job_of(partner_client, response)["eventCount"] == 12_000


def test_job_is_running_until_a_worker_has_processed_it(partner_client):
    response = partner_client.post("/capture", json_document(object_event("1")), content_type=JSON)
    capture_id = int(response.json()["captureID"])

    queued = job_of(partner_client, response)
    assert (queued["running"], queued["finishedAt"], "success" in queued) == (True, None, False)
    process_capture(capture_id=capture_id)
    done = job_of(partner_client, response)
    assert (done["running"], done["success"], done["eventCount"]) == (False, True, 1)


BAD_EVENT_ERROR = {
    "type": "epcisException:ValidationException",
    "title": "Validation error",
    "status": 400,
    "detail": "Event 1 (urn:uuid:00000000-0000-4000-8000-000000000002): epcList[0]: "
    "GTIN 04012345111113 has a wrong check digit (expected 8)",
    "eventIndex": 1,
    "eventID": "urn:uuid:00000000-0000-4000-8000-000000000002",
    "field": "epcList[0]",
}


def test_rollback_stores_nothing_when_one_event_is_invalid(post, partner_client):
    response = post(json_document(*_bad_pair()), headers={})
    job = job_of(partner_client, response)
    assert (job["running"], job["success"], job["eventCount"]) == (False, False, 2)
    assert job["errors"] == [BAD_EVENT_ERROR]
    assert Event.objects.count() == 0


def test_proceed_stores_the_valid_events_and_lists_the_invalid(post, partner_client):
    body = json_document(*_bad_pair())
    response = post(body, **{"GS1-Capture-Error-Behaviour": "proceed"})
    job = job_of(partner_client, response)
    assert (job["running"], job["success"], job["captureErrorBehaviour"]) == (
        False,
        False,
        "proceed",
    )
    assert job["errors"] == [BAD_EVENT_ERROR]
    assert list(Event.objects.values_list("event_id", flat=True)) == [
        "urn:uuid:00000000-0000-4000-8000-000000000001"
    ]


def test_a_proceed_job_tells_how_many_events_it_stored(post, partner_client):
    """Of three events, one was already stored and one is invalid: one is stored."""
    post(json_document(object_event("3")))
    body = json_document(*_bad_pair(), object_event("3"))
    response = post(body, **{"GS1-Capture-Error-Behaviour": "proceed"})
    job = job_of(partner_client, response)
    assert (job["success"], len(job["errors"])) == (False, 1)
    assert (job["eventCount"], job["duplicateCount"], job["storedCount"]) == (3, 1, 1)
    listed = partner_client.get("/capture").json()[0]
    assert (listed["captureID"], listed["storedCount"]) == (job["captureID"], 1)


@requires_gs1
def test_the_xml_job_carries_the_counts_outside_gs1s_members(post, partner_client):
    """GS1's EPCISCaptureJob admits additions only as elements of another namespace, after
    its own (xsd:any ##other): the counts are there, and the job still validates."""
    post(json_document(object_event("3")))
    body = json_document(*_bad_pair(), object_event("3"))
    response = post(body, **{"GS1-Capture-Error-Behaviour": "proceed"})
    answer = partner_client.get(response["Location"], HTTP_ACCEPT="application/xml")
    root = etree.fromstring(answer.content)
    schema = etree.XMLSchema(etree.parse(str(GS1_DIR / "schema/xsd/2.0/EPCglobal-epcis-2_0.xsd")))
    assert schema.validate(root), schema.error_log
    counts = {etree.QName(el).localname: el.text for el in root if etree.QName(el).namespace}
    assert counts == {"eventCount": "3", "duplicateCount": "1", "storedCount": "1"}
    assert {etree.QName(el).namespace for el in root} == {None, "urn:epcis-server:capture-job"}
    assert [etree.QName(el).localname for el in root][-3:] == [
        "eventCount",
        "duplicateCount",
        "storedCount",
    ]


def _bad_pair() -> tuple[str, str]:
    good = object_event("1", event_id="urn:uuid:00000000-0000-4000-8000-000000000001")
    bad = object_event("2", event_id="urn:uuid:00000000-0000-4000-8000-000000000002")
    return good, bad.replace('"urn:epc:id:sgtin:4012345.011111.2"', f'"{BAD_GTIN}"')


def test_reposted_document_counts_duplicates_and_stores_nothing_new(post, partner_client):
    body = json_document(object_event("1"), object_event("2"))
    post(body)
    response = post(body)
    job = job_of(partner_client, response)
    assert (job["success"], job["eventCount"], job["duplicateCount"]) == (True, 2, 2)
    assert Event.objects.count() == 2
    assert CaptureJob.objects.get(pk=response.json()["captureID"]).stored_count == 0


def test_more_events_than_the_capture_limit_fail_the_job(post, partner_client, settings):
    settings.EPCIS_CAPTURE_LIMIT = 1
    response = post(json_document(object_event("1"), object_event("2")))
    job = job_of(partner_client, response)
    assert (job["running"], job["success"]) == (False, False)
    assert job["errors"] == [
        {
            "type": "epcisException:CaptureLimitExceededException",
            "title": "Capture limit exceeded",
            "status": 413,
            "detail": "The document has more than 1 events, the capture limit.",
            "limit": 1,
        }
    ]
    assert Event.objects.count() == 0


def test_doctype_that_declares_nothing_is_accepted(post, partner_client):
    body = (FIXTURES / "invalid" / "xml" / "doctype_without_declarations.xml").read_bytes()
    response = post(body, XML)
    assert response.status_code == 202
    assert job_of(partner_client, response)["success"] is True


def invalid(name: str) -> bytes:
    return (FIXTURES / "invalid" / name).read_bytes()


BAD_INPUTS = [
    # (case, body, media type, headers, status, exception, words in the detail)
    (
        "wrong media type",
        b"{}",
        "text/plain",
        {},
        415,
        "UnsupportedMediaTypeException",
        "text/plain",
    ),
    ("no media type", b"{}", "", {}, 415, "UnsupportedMediaTypeException", "none"),
    ("empty body", b"", JSON, {}, 400, "ValidationException", "body is empty"),
    ("empty XML body", b"", XML, {}, 400, "ValidationException", "body is empty"),
    (
        "malformed JSON",
        invalid("json/malformed.json"),
        JSON,
        {},
        400,
        "ValidationException",
        "(line 3, column 31)",
    ),
    (
        "malformed XML",
        invalid("xml/malformed.xml"),
        XML,
        {},
        400,
        "ValidationException",
        "malformed XML",
    ),
    ("not EPCIS JSON", invalid("json/not_epcis.json"), JSON, {}, 400, "ValidationException", None),
    ("JSON array", b"[1, 2]", JSON, {}, 400, "ValidationException", "not an EPCIS document"),
    ("not EPCIS XML", invalid("xml/not_epcis.xml"), XML, {}, 400, "ValidationException", None),
    ("XXE file", invalid("xml/xxe_file.xml"), XML, {}, 400, "ValidationException", "DOCTYPE"),
    ("XXE http", invalid("xml/xxe_http.xml"), XML, {}, 400, "ValidationException", "DOCTYPE"),
    ("external DTD", invalid("xml/external_dtd.xml"), XML, {}, 400, "ValidationException", None),
    ("entity bomb", invalid("xml/billion_laughs.xml"), XML, {}, 400, "ValidationException", None),
    (
        "entity reference",
        invalid("xml/entity_reference.xml"),
        XML,
        {},
        400,
        "ValidationException",
        "entity reference &nbsp;",
    ),
    # Documents whose events would not be read (DESIGN §8: never a silent loss).
    (
        "EPCIS 1.2 <Eventlist> typo",
        documents.xml_body(f"<Eventlist>{documents.OBJECT_EVENT}</Eventlist>", "1.2"),
        XML,
        {},
        400,
        "ValidationException",
        "<Eventlist> is not allowed in <EPCISBody> of an EPCISDocument",
    ),
    (
        "JSON epcisBody.eventlist typo",
        documents.jsonld_document({"eventlist": [documents.JSON_OBJECT_EVENT]}),
        JSON,
        {},
        400,
        "ValidationException",
        "epcisBody.eventlist is not an EPCIS member of epcisBody",
    ),
    (
        "a Poll in a query document",
        documents.xml_query_document(
            "<EPCISBody><q:Poll><queryName>q</queryName></q:Poll></EPCISBody>"
        ),
        XML,
        {},
        400,
        "ValidationException",
        "<Poll> is an EPCIS query-interface message",
    ),
    (
        "JSON query document without queryResults",
        b'{"type": "EPCISQueryDocument", "epcisBody": {}}',
        JSON,
        {},
        400,
        "ValidationException",
        "this EPCISQueryDocument has no epcisBody.queryResults",
    ),
    (
        "SOAP envelope",
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>',
        XML,
        {},
        400,
        "ValidationException",
        "this is a SOAP envelope",
    ),
    (
        "EPCIS 1.2 JSON (isA)",
        b'{"isA": "EPCISDocument", "epcisBody": {"eventList": []}}',
        JSON,
        {},
        400,
        "ValidationException",
        "the unofficial EPCIS 1.2 JSON form",
    ),
    (
        "unknown error behaviour",
        json_document(object_event("1")),
        JSON,
        {"GS1-Capture-Error-Behaviour": "all"},
        400,
        "ValidationException",
        "'all'",
    ),
]


@pytest.mark.parametrize(
    ("body", "media_type", "headers", "status", "exception", "words"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_input_is_refused_at_once_and_nothing_is_stored(
    post, body, media_type, headers, status, exception, words
):
    before = stored_counts()
    response = post(body, media_type, **headers)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert (problem["type"], problem["status"]) == (f"epcisException:{exception}", status)
    if words:
        assert words in problem["detail"]
    assert stored_counts() == before


def test_document_broken_after_several_chunks_leaves_nothing_stored(post):
    body = json_document(*(object_event(str(serial)) for serial in range(12_000)))
    before = stored_counts()
    response = post(body[:-3] + b"}")  # eventList's "]" is missing at the very end
    assert response.status_code == 400
    assert "malformed JSON" in response.json()["detail"]
    assert stored_counts() == before


def test_not_epcis_documents_name_what_they_are(post):
    xml = post(invalid("xml/not_epcis.xml"), XML).json()["detail"]
    assert xml.startswith("root element <project> in namespace 'http://maven.apache.org/POM/4.0.0'")
    body = post(invalid("json/not_epcis.json")).json()["detail"]
    assert body == "not an EPCIS document: no top-level object with a type"


def test_malformed_json_names_line_and_column(post):
    problem = post(b'{"type": "EPCISDocument",\n "epcisBody": {"eventList": [1,,2]}}').json()
    assert (problem["line"], problem["column"]) == (2, 32)


def test_body_over_the_size_limit_is_refused_before_it_is_read(post, settings):
    settings.EPCIS_CAPTURE_FILE_SIZE_LIMIT = 100
    before = stored_counts()
    response = post(json_document(object_event("1")))
    assert response.status_code == 413
    assert response["GS1-EPCIS-Capture-File-Size-Limit"] == "100"
    assert response.json()["type"] == "epcisException:CaptureLimitExceededException"
    assert stored_counts() == before


def test_body_without_length_is_counted_while_it_streams(settings):
    settings.EPCIS_CAPTURE_FILE_SIZE_LIMIT = 100
    owner = get_user_model().objects.create(username="streamer")
    before = stored_counts()
    with pytest.raises(CaptureTooLarge):
        receive_document(
            owner=owner,
            media_type=JSON,
            error_behaviour="rollback",
            body_stream=io.BytesIO(json_document(object_event("1"))),
            content_length=None,
        )
    assert stored_counts() == before


def test_capture_is_accepted_when_the_broker_is_down(gunicorn_server, tmp_path):
    """A real server whose broker is a closed port (nothing listens on port 1) still answers
    202: the job is committed and stays queued, for recovery to enqueue once the broker is
    back. (Its own SQLite file: the server is another process.)"""
    database = {"DATABASE_URL": f"sqlite:///{tmp_path}/c.sqlite3"}
    child_env = service_env(EPCIS_VAR_DIR=str(tmp_path), CELERY_BROKER_URL="", **database)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=REPO, env=child_env, check=True)
    issued = subprocess.run(
        [*manage, "issue_token", "alice", "--role", "partner"],
        **{"cwd": REPO, "env": child_env, "capture_output": True, "text": True, "check": True},
    )
    key = issued.stdout.strip().splitlines()[-1]
    base = gunicorn_server(**database, CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    auth = {"Authorization": f"Bearer {key}"}
    body = json_document(object_event("1"))
    request = urllib.request.Request(
        f"{base}/capture", data=body, headers={**auth, "Content-Type": JSON}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 202
        location = response.headers["Location"]
    with urllib.request.urlopen(urllib.request.Request(base + location, headers=auth)) as answer:
        job = json.load(answer)
    assert (job["running"], job["finishedAt"], job["eventCount"]) == (True, None, 0)


def test_another_partners_job_is_not_found(post, partner_client, other_partner_client):
    response = post(json_document(object_event("1")))
    answer = other_partner_client.get(response["Location"])
    assert answer.status_code == 404
    assert answer.json()["type"] == "epcisException:NoSuchResourceException"


def test_staff_see_every_partners_job(post, staff_client):
    response = post(json_document(object_event("1")))
    assert staff_client.get(response["Location"]).json()["success"] is True


@pytest.mark.parametrize("capture_id", ["999999", "abc", "١٢"])
def test_unknown_job_is_not_found(partner_client, capture_id):
    answer = partner_client.get(f"/capture/{capture_id}")
    assert answer.status_code == 404
    assert answer.json()["type"] == "epcisException:NoSuchResourceException"


def test_job_is_rendered_as_gs1_xml_on_request(post, partner_client):
    response = post(json_document(*_bad_pair()))
    answer = partner_client.get(response["Location"], HTTP_ACCEPT="application/xml")
    assert answer["Content-Type"] == "application/xml"
    root = etree.fromstring(answer.content)
    assert root.tag == "{urn:epcglobal:epcis:xsd:2}EPCISCaptureJob"
    assert dict(root.attrib) == {
        "running": "false",
        "success": "false",
        "captureID": response.json()["captureID"],
    }
    assert root.findtext("captureErrorBehaviour") == "rollback"
    assert root.findtext("errors/error/type") == "epcisException:ValidationException"


def test_capture_needs_an_api_key(client):
    response = client.post("/capture", json_document(object_event("1")), content_type=JSON)
    assert response.status_code == 401
    assert CaptureJob.objects.count() == 0


def test_options_advertises_versions_behaviours_and_limits(partner_client, settings):
    settings.EPCIS_CAPTURE_LIMIT, settings.EPCIS_CAPTURE_FILE_SIZE_LIMIT = 100_000, 268_435_456
    response = partner_client.options("/capture")
    assert response.status_code == 204
    assert {name: response[name] for name in OPTIONS_HEADERS} == {
        "Allow": "GET, POST, HEAD, OPTIONS",
        "GS1-EPCIS-Version": "2.0.0",
        "GS1-EPCIS-Min": "1.2.0",
        "GS1-EPCIS-Max": "2.0.0",
        "GS1-CBV-Version": "2.0.0",
        "GS1-Capture-Error-Behaviour": "rollback, proceed",
        "GS1-EPCIS-Capture-Limit": "100000",
        "GS1-EPCIS-Capture-File-Size-Limit": "268435456",
    }


OPTIONS_HEADERS = (
    "Allow",
    "GS1-EPCIS-Version",
    "GS1-EPCIS-Min",
    "GS1-EPCIS-Max",
    "GS1-CBV-Version",
    "GS1-Capture-Error-Behaviour",
    "GS1-EPCIS-Capture-Limit",
    "GS1-EPCIS-Capture-File-Size-Limit",
)


def test_default_limits_fit_real_dscsa_files():
    from django.conf import settings

    assert settings.EPCIS_CAPTURE_LIMIT >= 100_000
    assert settings.EPCIS_CAPTURE_FILE_SIZE_LIMIT >= 256 * 1024 * 1024


def test_chunked_upload_is_refused_with_length_required(partner_client):
    body = (FIXTURES / "json" / "object_event.jsonld").read_bytes()
    response = partner_client.generic(
        "POST", "/capture", body, JSON, headers={"Transfer-Encoding": "chunked"}
    )
    assert response.status_code == 411
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == (
        "Send the document with a Content-Length header; chunked uploads are not supported."
    )
    assert stored_counts() == (0, 0, 0)


def test_a_document_only_the_worker_can_refuse_fails_its_job_storing_nothing(post, partner_client):
    """The upload check stops watching once the events start: a second EventList after
    them is found by the worker, which fails the job rather than lose those events."""
    events = f"<EventList>{documents.OBJECT_EVENT}</EventList>"
    response = post(documents.xml_body(events + events, "1.2"), XML)
    assert response.status_code == 202
    job = job_of(partner_client, response)
    assert (job["running"], job["success"], job["eventCount"]) == (False, False, 0)
    assert [error["detail"] for error in job["errors"]] == [
        "<EventList> is given twice in <EPCISBody> of an EPCISDocument, where it is allowed "
        "once (line 1)"
    ]
    assert Event.objects.count() == 0


def test_json_after_a_byte_order_mark_is_captured(post, partner_client):
    response = post(b"\xef\xbb\xbf" + json_document(object_event("1")))
    assert response.status_code == 202
    job = job_of(partner_client, response)
    assert (job["success"], job["eventCount"], job["errors"]) == (True, 1, [])


def test_a_document_naming_a_registered_context_is_captured(post, partner_client, settings):
    url = "https://contexts.example.org/healthcare/epcis-context.jsonld"
    context = json.loads((FIXTURES / "contexts" / "healthcare-context.jsonld").read_bytes())
    event = {**documents.JSON_OBJECT_EVENT, "xhc:lotStatus": "released"}
    body = documents.jsonld_document(
        {"eventList": [event]}, **{"@context": [documents.GS1_CONTEXT, url]}
    )
    refused = job_of(partner_client, post(body))
    assert (refused["success"], "EPCIS_JSONLD_CONTEXTS" in refused["errors"][0]["detail"]) == (
        False,
        True,
    )
    settings.EPCIS_JSONLD_CONTEXTS = {url: context["@context"]}
    job = job_of(partner_client, post(body))
    assert (job["success"], job["eventCount"], job["errors"]) == (True, 1, [])
