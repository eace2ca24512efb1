"""Small EPCIS documents around one event, in each syntax, and what the repository says of
them: the upload check (`precheck`) and the parser, each as one short verdict string."""

from __future__ import annotations

import io
import json
from typing import Any

from epcis.parsing import parse_document
from epcis.parsing.precheck import check_document
from epcis.parsing.types import DocumentError

XML, JSON = "application/xml", "application/ld+json"
NS = {"2.0": "urn:epcglobal:epcis:xsd:2", "1.2": "urn:epcglobal:epcis:xsd:1"}
QUERY_NS = {"2.0": "urn:epcglobal:epcis-query:xsd:2", "1.2": "urn:epcglobal:epcis-query:xsd:1"}
GS1_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"

# An ObjectEvent valid in EPCIS 2.0 and 1.2 XML alike.
OBJECT_EVENT = (
    "<ObjectEvent><eventTime>2024-01-01T10:00:00Z</eventTime>"
    "<eventTimeZoneOffset>+00:00</eventTimeZoneOffset>"
    "<epcList><epc>urn:epc:id:sgtin:0614141.107346.2017</epc></epcList>"
    "<action>OBSERVE</action></ObjectEvent>"
)
JSON_OBJECT_EVENT: dict[str, Any] = {
    "type": "ObjectEvent",
    "eventTime": "2024-01-01T10:00:00Z",
    "eventTimeZoneOffset": "+00:00",
    "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"],
    "action": "OBSERVE",
}


def xml_document(root_content: str, version: str = "2.0") -> bytes:
    """An EPCISDocument whose document element holds `root_content`."""
    return (
        f'<epcis:EPCISDocument xmlns:epcis="{NS[version]}" schemaVersion="{version}" '
        f'creationDate="2024-01-01T00:00:00Z">{root_content}</epcis:EPCISDocument>'
    ).encode()


def xml_body(body_content: str, version: str = "2.0") -> bytes:
    """An EPCISDocument whose EPCISBody holds `body_content`."""
    return xml_document(f"<EPCISBody>{body_content}</EPCISBody>", version)


def xml_events(events: str, version: str = "2.0") -> bytes:
    return xml_body(f"<EventList>{events}</EventList>", version)


def xml_query_document(root_content: str, version: str = "2.0") -> bytes:
    return (
        f'<q:EPCISQueryDocument xmlns:q="{QUERY_NS[version]}" schemaVersion="{version}" '
        f'creationDate="2024-01-01T00:00:00Z">{root_content}</q:EPCISQueryDocument>'
    ).encode()


def jsonld_document(body: Any = None, **members: Any) -> bytes:
    """An EPCISDocument with `body` as epcisBody (one ObjectEvent by default) and `members`
    added at the top level."""
    document = {
        "@context": [GS1_CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-01-01T00:00:00Z",
        "epcisBody": {"eventList": [JSON_OBJECT_EVENT]} if body is None else body,
        **members,
    }
    return json.dumps(document).encode()


def precheck_verdict(body: bytes, media_type: str) -> str:
    """The document type the upload check accepts, or "<kind>: <message>"."""
    try:
        return check_document(io.BytesIO(body), media_type)
    except DocumentError as error:
        return f"{error.kind}: {error.message}"


def parse_verdict(body: bytes, media_type: str) -> str:
    """ "<n> events" when the parser reads the whole document, or "<kind>: <message>"."""
    try:
        events = list(parse_document(io.BytesIO(body), media_type).events)
    except DocumentError as error:
        return f"{error.kind}: {error.message}"
    return f"{len(events)} events"
