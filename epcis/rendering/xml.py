"""Render stored events as EPCIS 2.0 XML: events, EPCISDocument / EPCISQueryDocument, capture jobs.

This is the exact inverse of `epcis.parsing.xml` for the canonical event form of
`epcis.parsing.types`: standard members become unqualified elements in the order of the
2.0 XSD; extension keys `prefix:local` become elements in that namespace (declared from
the event's own prefix map), bare keys inside an extension unqualified child elements,
lists repeated siblings, `"@name"` members attributes, `"#text"` text and `""` an empty
element. On `sensorMetadata` / `sensorReport` every member is an XML attribute, extension
attributes written as `prefix:name`.

Identifiers (`GS1-EPC-Format`) are translated as by the JSON-LD renderer:
`Always_GS1_Digital_Link` (default) gives canonical Digital Links, `Always_EPC_URN` EPC
URNs where the company prefix length is known (else the stored form), `Never_Translates`
and `No_Preference` the stored form.

CBV values (`GS1-CBV-XML-Format`): `Always_Web_URI` gives Web URIs
(`https://ref.gs1.org/cbv/BizStep-shipping`); `Always_URN`, `No_Preference` and
`Never_Translates` give URNs (`urn:epcglobal:cbv:bizstep:shipping`), the classic XML form:
the repository keeps standard values as bare words, not in the form they were captured
in, so "never translate" cannot give back the original spelling. Custom values, and
measurement types and components (which have no URN), are written as their URI.

Known loss: the XSD allows one `certificationInfo`; when JSON capture gave several, only
the first is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, TypeAlias

from lxml import etree

from epcis import cbv
from epcis.rendering.jsonld import identifier_translator, translate_identifiers
from epcis.xsd_order import BODY as XSD_BODY
from epcis.xsd_order import COMMON as XSD_COMMON

EPCIS_NS = "urn:epcglobal:epcis:xsd:2"
QUERY_NS = "urn:epcglobal:epcis-query:xsd:2"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
# This repository's additions to GS1's EPCISCaptureJob, which admits them only as elements
# of another namespace after its own (xsd:any namespace="##other").
CAPTURE_JOB_NS = "urn:epcis-server:capture-job"
CAPTURE_JOB_COUNTS = ("eventCount", "duplicateCount", "storedCount")
_XSI_NIL = "{" + XSI_NS + "}nil"

Element: TypeAlias = etree._Element
JSONDict = dict[str, Any]

_COMMON = XSD_COMMON
_BODY = XSD_BODY
ORDER: dict[str, tuple[str, ...]] = {
    name: tuple(f"{_COMMON} {body}".split()) for name, body in _BODY.items()
}
# A vendor event type has no XSD order; the parser reads its standard members in any order.
_VENDOR_ORDER = tuple(
    dict.fromkeys(
        f"{_COMMON} parentID {_BODY['ObjectEvent']} {_BODY['TransformationEvent']}"
        " childEPCs childQuantityList".split()
    )
)

_REPORT_VOCABULARIES = {"type": "measurementType", "exception": "alertType"}


# ---------------------------------------------------------------------------------------
# Scalars
# ---------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """Extension leaf text: JSON scalars in their XML lexical form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)  # a float's repr ("26.0", "1e-05") is a valid xsd:double


def _decimal(value: Any) -> str:
    # xsd:decimal has no exponent: 1e-05 must be written 0.00001.
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return str(value)


def _timestamp(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.datetime) else str(value)


# ---------------------------------------------------------------------------------------
# One event
# ---------------------------------------------------------------------------------------


class _Writer:
    def __init__(self, namespaces: dict[str, str], cbv_format: str) -> None:
        self.namespaces = namespaces
        self.cbv: Callable[[str, str], str] = (
            cbv.web_uri if cbv_format == "Always_Web_URI" else cbv.urn
        )

    def qname(self, key: str) -> str:
        """`{uri}local` for a CURIE key; a bare key stays unqualified."""
        prefix, sep, local = key.partition(":")
        if not sep:
            return key
        uri = self.namespaces.get(prefix)
        if uri is None:
            raise ValueError(f"prefix {prefix!r} of {key!r} is not in the event's namespaces")
        return f"{{{uri}}}{local}"

    # -- extensions ---------------------------------------------------------------------

    def extension(self, parent: Element, key: str, value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                self.extension(parent, key, item)
            return
        el = etree.SubElement(parent, self.qname(key))
        if isinstance(value, dict):
            self._fill(el, value)
        else:
            el.text = _text(value) or None

    def _fill(self, el: Element, value: JSONDict) -> None:
        for key, item in value.items():
            if key.startswith("@"):
                el.set(self.qname(key[1:]), _text(item))
            elif key == "#text":
                el.text = _text(item)
            else:
                self.extension(el, key, item)

    def extensions(self, parent: Element, data: JSONDict, standard: Iterable[str] = ()) -> None:
        """The CURIE members of an event or standard object, after its standard ones.

        Bare keys here have no XML form (the XSD's wildcards there take qualified elements
        only), e.g. JSON-LD's `"type": "epcis:SensorElement"`: they are not written.
        """
        skip = set(standard)
        for key, value in data.items():
            if key not in skip and ":" in key:
                self.extension(parent, key, value)

    # -- standard members ---------------------------------------------------------------

    def member(self, parent: Element, name: str, value: Any) -> None:
        write = _MEMBERS.get(name)
        if write is None:
            etree.SubElement(parent, name).text = _text(value)
        else:
            write(self, parent, name, value)

    def cbv_leaf(self, parent: Element, name: str, kind: str, value: str) -> None:
        etree.SubElement(parent, name).text = self.cbv(kind, value)


def _epc_list(w: _Writer, parent: Element, name: str, value: list[str]) -> None:
    el = etree.SubElement(parent, name)
    for epc in value:
        etree.SubElement(el, "epc").text = epc


def _quantity_list(w: _Writer, parent: Element, name: str, value: list[JSONDict]) -> None:
    el = etree.SubElement(parent, name)
    for item in value:
        q = etree.SubElement(el, "quantityElement")
        etree.SubElement(q, "epcClass").text = item["epcClass"]
        if "quantity" in item:
            etree.SubElement(q, "quantity").text = _decimal(item["quantity"])
        elif "uom" in item:  # XSD: uom only after a quantity, which may be nil
            etree.SubElement(q, "quantity").set(_XSI_NIL, "true")
        if "uom" in item:
            etree.SubElement(q, "uom").text = item["uom"]


def _location(w: _Writer, parent: Element, name: str, value: JSONDict) -> None:
    el = etree.SubElement(parent, name)
    if "id" in value:
        etree.SubElement(el, "id").text = value["id"]
    w.extensions(el, value, ("id",))


def _typed_list(item: str, kind: str) -> Callable[[_Writer, Element, str, list[JSONDict]], None]:
    def write(w: _Writer, parent: Element, name: str, value: list[JSONDict]) -> None:
        el = etree.SubElement(parent, name)
        for entry in value:
            child = etree.SubElement(el, item)
            if "type" in entry:
                child.set("type", w.cbv(kind, entry["type"]))
            child.text = entry[item]

    return write


def _cbv(kind: str) -> Callable[[_Writer, Element, str, str], None]:
    def write(w: _Writer, parent: Element, name: str, value: str) -> None:
        w.cbv_leaf(parent, name, kind, value)

    return write


def _persistent_disposition(w: _Writer, parent: Element, name: str, value: JSONDict) -> None:
    el = etree.SubElement(parent, name)
    for key in ("unset", "set"):  # XSD order: unset before set
        for disposition in value.get(key, ()):
            w.cbv_leaf(el, key, "disposition", disposition)


def _error_declaration(w: _Writer, parent: Element, name: str, value: JSONDict) -> None:
    el = etree.SubElement(parent, name)
    if "declarationTime" in value:
        etree.SubElement(el, "declarationTime").text = value["declarationTime"]
    if "reason" in value:
        w.cbv_leaf(el, "reason", "errorReason", value["reason"])
    if "correctiveEventIDs" in value:
        ids = etree.SubElement(el, "correctiveEventIDs")
        for event_id in value["correctiveEventIDs"]:
            etree.SubElement(ids, "correctiveEventID").text = event_id
    w.extensions(el, value, ("declarationTime", "reason", "correctiveEventIDs"))


def _certification_info(w: _Writer, parent: Element, name: str, value: Any) -> None:
    if isinstance(value, list):  # the XSD allows only one (see module docstring)
        if not value:
            return
        value = value[0]
    etree.SubElement(parent, name).text = value


def _sensor_element_list(w: _Writer, parent: Element, name: str, value: list[JSONDict]) -> None:
    el = etree.SubElement(parent, name)
    for element in value:
        child = etree.SubElement(el, "sensorElement")
        if "sensorMetadata" in element:
            _sensor_attributes(
                w, etree.SubElement(child, "sensorMetadata"), element["sensorMetadata"]
            )
        for report in element.get("sensorReport", ()):
            _sensor_attributes(w, etree.SubElement(child, "sensorReport"), report)
        w.extensions(child, element, ("sensorMetadata", "sensorReport"))


def _sensor_attributes(w: _Writer, el: Element, value: JSONDict) -> None:
    for key, item in value.items():
        if key in _REPORT_VOCABULARIES:
            el.set(key, w.cbv(_REPORT_VOCABULARIES[key], item))
        elif key == "component":
            el.set(key, w.cbv("component", item))
        else:
            el.set(w.qname(key), _text(item))


def _ilmd(w: _Writer, parent: Element, name: str, value: JSONDict) -> None:
    w.extensions(etree.SubElement(parent, name), value)


_MEMBERS: dict[str, Callable[[_Writer, Element, str, Any], None]] = {
    **dict.fromkeys(("epcList", "childEPCs", "inputEPCList", "outputEPCList"), _epc_list),
    **dict.fromkeys(
        ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"),
        _quantity_list,
    ),
    "readPoint": _location,
    "bizLocation": _location,
    "bizStep": _cbv("bizStep"),
    "disposition": _cbv("disposition"),
    "bizTransactionList": _typed_list("bizTransaction", "bizTransactionType"),
    "sourceList": _typed_list("source", "sourceDestType"),
    "destinationList": _typed_list("destination", "sourceDestType"),
    "persistentDisposition": _persistent_disposition,
    "errorDeclaration": _error_declaration,
    "certificationInfo": _certification_info,
    "sensorElementList": _sensor_element_list,
    "ilmd": _ilmd,
}


def render_xml_event(
    event: JSONDict,
    namespaces: dict[str, str],
    *,
    epc_format: str = "Always_GS1_Digital_Link",
    cbv_format: str = "No_Preference",
) -> Element:
    """One event element (`<ObjectEvent>`, ... or a vendor type's element) in XSD order.

    `event` is the canonical dict plus `eventID` and `recordTime`; `namespaces` maps its
    extension prefixes to URIs and is declared on the returned element.
    """
    nsmap = {prefix: uri for prefix, uri in namespaces.items() if prefix}
    nsmap.setdefault("xsi", XSI_NS)
    el = _render_event(event, namespaces, nsmap, epc_format, cbv_format)
    etree.cleanup_namespaces(el)
    return el


def _render_event(
    event: JSONDict,
    namespaces: dict[str, str],
    nsmap: dict[str, str],
    epc_format: str,
    cbv_format: str,
) -> Element:
    """The event element, declaring `nsmap`, which must bind every URI of `namespaces`."""
    event = translate_identifiers(event, identifier_translator(epc_format))
    writer = _Writer(namespaces, cbv_format)
    event_type = event["type"]
    order = ORDER.get(event_type)
    tag = event_type if order is not None else writer.qname(event_type)
    el = etree.Element(tag, nsmap=nsmap)
    for name in order or _VENDOR_ORDER:
        if name in event:
            writer.member(el, name, event[name])
    # Vendor members go last: the XSD's ##other wildcard ends every event type.
    writer.extensions(el, event, ("type", *(order or _VENDOR_ORDER)))
    return el


# ---------------------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------------------


def render_xml_document(
    events: Iterable[tuple[JSONDict, dict[str, str]]],
    *,
    kind: str = "EPCISQueryDocument",
    query_name: str = "SimpleEventQuery",
    subscription_id: str | None = None,
    epc_format: str = "Always_GS1_Digital_Link",
    cbv_format: str = "No_Preference",
    creation_date: str,
) -> bytes:
    """An `epcisq:EPCISQueryDocument` (query results) or an `epcis:EPCISDocument` (export).

    Extension prefixes of all events are declared on the root. A namespace keeps the prefix
    it first came with; a prefix that a later event binds to another namespace is renamed
    for that event (`ex` -> `ex2`), so each prefix means one namespace in the document.
    """
    root, event_list = _document_skeleton(kind, query_name, subscription_id, creation_date)
    top = {**root.nsmap, "xsi": XSI_NS}  # unused declarations are dropped below
    for event, namespaces in events:
        nsmap = _declarations(top, namespaces)
        _append_event(event_list, _render_event(event, namespaces, nsmap, epc_format, cbv_format))
    # Every element binds a prefix to the same URI as `top` does, so moving the declarations
    # to the root is safe (libxml2 would mis-bind a prefix shadowed on an event).
    etree.cleanup_namespaces(root, top_nsmap=top)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _declarations(top: dict[str, str], namespaces: dict[str, str]) -> dict[str, str]:
    """Prefixes for an event's namespaces consistent with `top` (extended as needed).

    A namespace keeps the first prefix it was declared with; an event's prefix already
    bound to another namespace is replaced by a fresh one (`ex` -> `ex2`).
    """
    by_uri = {uri: prefix for prefix, uri in reversed(top.items())}
    declared: dict[str, str] = {}
    for prefix, uri in namespaces.items():
        chosen = by_uri.get(uri)
        if chosen is None:
            chosen = _free_prefix(prefix or "ns", top)
            top[chosen] = uri
            by_uri[uri] = chosen
        declared[chosen] = uri
    return declared


def _free_prefix(prefix: str, top: dict[str, str]) -> str:
    candidate, n = prefix, 2
    while candidate in top:
        candidate, n = f"{prefix}{n}", n + 1
    return candidate


def _document_skeleton(
    kind: str, query_name: str, subscription_id: str | None, creation_date: str
) -> tuple[Element, Element]:
    attributes = {"schemaVersion": "2.0", "creationDate": _timestamp(creation_date)}
    if kind == "EPCISDocument":
        root = etree.Element(f"{{{EPCIS_NS}}}EPCISDocument", attributes, nsmap={"epcis": EPCIS_NS})
        return root, etree.SubElement(etree.SubElement(root, "EPCISBody"), "EventList")
    if kind != "EPCISQueryDocument":
        raise ValueError(f"unknown document kind {kind!r}")
    nsmap = {"epcisq": QUERY_NS, "epcis": EPCIS_NS}
    root = etree.Element(f"{{{QUERY_NS}}}EPCISQueryDocument", attributes, nsmap=nsmap)
    # QueryResults is a global element of the query schema, so it is qualified.
    results = etree.SubElement(etree.SubElement(root, "EPCISBody"), f"{{{QUERY_NS}}}QueryResults")
    etree.SubElement(results, "queryName").text = query_name
    if subscription_id is not None:
        etree.SubElement(results, "subscriptionID").text = subscription_id
    body = etree.SubElement(results, "resultsBody")
    return root, etree.SubElement(body, "EventList")


def _append_event(event_list: Element, el: Element) -> None:
    if el.tag in ORDER:
        event_list.append(el)
    else:  # vendor event types live in EventList/extension (##other)
        etree.SubElement(event_list, "extension").append(el)


# ---------------------------------------------------------------------------------------
# Capture jobs
# ---------------------------------------------------------------------------------------

_PROBLEM_MEMBERS = ("type", "title", "status", "detail", "instance")


def render_xml_capture_job(job: JSONDict) -> bytes:
    """`epcis:EPCISCaptureJob` for `{captureID, createdAt, finishedAt?, running, success,
    captureErrorBehaviour, errors: [RFC 7807 problems], eventCount?, duplicateCount?,
    storedCount?}`.

    Only the RFC 7807 members the XSD names are written: other problem members would need
    a namespace of their own. The counts are ours: `job:` elements (CAPTURE_JOB_NS) last.
    """
    root = etree.Element(
        f"{{{EPCIS_NS}}}EPCISCaptureJob",
        {
            "running": _text(bool(job["running"])),
            "success": _text(bool(job["success"])),
            "captureID": str(job["captureID"]),
        },
        nsmap={"epcis": EPCIS_NS, "job": CAPTURE_JOB_NS},
    )
    etree.SubElement(root, "captureErrorBehaviour").text = job["captureErrorBehaviour"]
    for name in ("createdAt", "finishedAt"):
        if job.get(name):
            etree.SubElement(root, name).text = _timestamp(job[name])
    if job.get("errors"):
        errors = etree.SubElement(root, "errors")
        for problem in job["errors"]:
            _problem(etree.SubElement(errors, "error"), problem)
    for name in CAPTURE_JOB_COUNTS:
        if job.get(name) is not None:
            etree.SubElement(root, f"{{{CAPTURE_JOB_NS}}}{name}").text = str(job[name])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _problem(el: Element, problem: JSONDict) -> None:
    # type and title are required by the XSD; RFC 7807 gives "about:blank" as default type.
    defaults = {"type": "about:blank", "title": ""}
    for name in _PROBLEM_MEMBERS:
        value = problem.get(name, defaults.get(name))
        if value is not None:
            etree.SubElement(el, name).text = _text(value)
