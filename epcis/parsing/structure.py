"""What an EPCIS document may hold around its events, per GS1's XSDs and JSON Schema.

A member the standard does not define, where the standard allows no extension, means that
something in the document (often every event: `<Eventlist>`, `"eventlist"`) would not be
read. So such a document is refused as a whole (DocumentError "invalid"), never captured
without it. The upload check (`precheck`) and the parsers (`xml`, `jsonld`) ask the same
rules, so a document is refused alike whether POST /capture sees the problem (400 at
once) or only the worker does (the job fails with it).

XML, per container (the document element, its EPCISBody, and in a query document
QueryResults and resultsBody): the unqualified children the XSD names, each at most once,
and elements of other namespaces where the XSD has `xs:any namespace="##other"`.
Deliberately: an element in any EPCIS namespace never counts as an extension (for the XSD
an `epcis:` element in a query document is "##other"; it is always a mistake), the order
of the children is not checked (the event hash reference puts vendor elements before
EPCISBody), and a query document may hold queryName and resultsBody right under its root
(a shape the event hash reference reads). Children of EventList are the events: each one
that is not an event type is an error of that event (`xml._Reader._list_child`), as an
item of a JSON eventList that is not an event is.

JSON-LD: the members GS1's JSON Schema names, plus extension members `prefix:name` (the
schema's `vocab-uri`). Deliberately: epcisBody of an EPCISDocument gets the same rule as
the schema gives to the query body (the schema lists no `propertyNames` there, but a bare
unknown member can only be a mistake), and a query document may carry the header members
of an EPCISDocument (epcisHeader, sender, ...: they are read, so nothing is lost).
"""

from __future__ import annotations

from dataclasses import dataclass, field

EPCIS_NS = {"urn:epcglobal:epcis:xsd:2": "2.0", "urn:epcglobal:epcis:xsd:1": "1.2"}
QUERY_NS = {"urn:epcglobal:epcis-query:xsd:2": "2.0", "urn:epcglobal:epcis-query:xsd:1": "1.2"}
MASTERDATA_NS = {
    "urn:epcglobal:epcis-masterdata:xsd:2": "2.0",
    "urn:epcglobal:epcis-masterdata:xsd:1": "1.2",
}
EPCIS_NAMESPACES = frozenset({*EPCIS_NS, *QUERY_NS, *MASTERDATA_NS})
SOAP_NAMESPACES = frozenset(
    {"http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope"}
)
# The EPCISQueryBody choice of the query XSD (1.2 and 2.0), but QueryResults.
QUERY_MESSAGES = frozenset(
    {
        "GetQueryNames",
        "GetQueryNamesResult",
        "Subscribe",
        "SubscribeResult",
        "Unsubscribe",
        "UnsubscribeResult",
        "GetSubscriptionIDs",
        "GetSubscriptionIDsResult",
        "Poll",
        "GetStandardVersion",
        "GetStandardVersionResult",
        "GetVendorVersion",
        "GetVendorVersionResult",
        "DuplicateNameException",
        "InvalidURIException",
        "NoSuchNameException",
        "NoSuchSubscriptionException",
        "DuplicateSubscriptionException",
        "QueryParameterException",
        "QueryTooLargeException",
        "QueryTooComplexException",
        "SubscriptionControlsException",
        "SubscribeNotPermittedException",
        "SecurityException",
        "ValidationException",
        "ImplementationException",
    }
)
SEND_INSTEAD = (
    "send an EPCISDocument, or an EPCISQueryDocument whose EPCISBody holds "
    "QueryResults/resultsBody/EventList"
)
JSON_SEND_INSTEAD = (
    "send an EPCISDocument, or an EPCISQueryDocument with "
    "epcisBody.queryResults.resultsBody.eventList"
)
# Lists of events or vocabularies: where the structure rules stop (their items are read).
LISTS = frozenset({"EventList", "VocabularyList"})


# -- XML ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Container:
    name: str  # how a message names it
    children: tuple[str, ...]  # the unqualified children allowed, each at most once
    extensions: bool  # xs:any namespace="##other"
    required: tuple[str, ...] = ()  # at least one of these
    missing: str = ""  # the message when none of `required` is there
    inner: dict[str, str] = field(default_factory=dict)  # child -> container it is
    choice: bool = False  # at most one child in all


def _root(document_type: str) -> _Container:
    return _Container(
        f"<{document_type}>",
        ("EPCISHeader", "EPCISBody", "extension"),
        extensions=True,
        required=("EPCISBody",),
        missing=f"<{document_type}> has no EPCISBody",
        inner={"EPCISBody": "EPCISBody"},
    )


_NO_QUERY_RESULTS = (
    "this EPCISQueryDocument has no QueryResults in its EPCISBody, so it holds no events to "
    f"capture: {SEND_INSTEAD}"
)
_CONTAINERS: dict[tuple[str, str], _Container] = {
    ("EPCISDocument", "root"): _root("EPCISDocument"),
    ("EPCISDocument", "EPCISBody"): _Container(
        "<EPCISBody> of an EPCISDocument", ("EventList", "extension"), extensions=True
    ),
    ("EPCISMasterDataDocument", "root"): _root("EPCISMasterDataDocument"),
    ("EPCISMasterDataDocument", "EPCISBody"): _Container(
        "<EPCISBody> of an EPCISMasterDataDocument", ("VocabularyList", "extension"), True
    ),
    ("EPCISQueryDocument", "root"): _Container(
        "<EPCISQueryDocument>",
        ("EPCISHeader", "EPCISBody", "extension", "queryName", "subscriptionID", "resultsBody"),
        extensions=True,
        required=("EPCISBody", "resultsBody"),
        missing=f"this EPCISQueryDocument has no EPCISBody, so it holds no events: {SEND_INSTEAD}",
        inner={"EPCISBody": "EPCISBody", "resultsBody": "resultsBody"},
    ),
    ("EPCISQueryDocument", "EPCISBody"): _Container(
        "<EPCISBody> of an EPCISQueryDocument",
        ("QueryResults",),
        extensions=False,
        required=("QueryResults",),
        missing=_NO_QUERY_RESULTS,
        inner={"QueryResults": "QueryResults"},
        choice=True,
    ),
    ("EPCISQueryDocument", "QueryResults"): _Container(
        "<QueryResults>",
        ("queryName", "subscriptionID", "resultsBody", "extension"),
        extensions=True,
        required=("resultsBody",),
        missing="<QueryResults> has no resultsBody",
        inner={"resultsBody": "resultsBody"},
    ),
    ("EPCISQueryDocument", "resultsBody"): _Container(
        "<resultsBody>",
        ("EventList", "VocabularyList"),
        extensions=False,
        required=("EventList", "VocabularyList"),
        missing="<resultsBody> holds neither an EventList nor a VocabularyList",
        choice=True,
    ),
}


def inner_container(document_type: str, container: str, uri: str, local: str) -> str | None:
    """The container a child (already allowed by `child_problem`) is, if its content is checked."""
    if uri and not (local == "QueryResults" and uri in QUERY_NS):
        return None
    return _CONTAINERS[document_type, container].inner.get(local)


def child_problem(
    document_type: str, container: str, uri: str, local: str, seen: list[str]
) -> str | None:
    """Why element `{uri}local` may not be the next child of `container`; None if it may.

    `uri` is "" for an unqualified element. `seen` holds the standard children met so far
    in this container; the caller appends `local` to it when this returns None.
    """
    rules = _CONTAINERS[document_type, container]
    if uri and uri not in EPCIS_NAMESPACES:
        if rules.extensions:
            return None
        return f"<{local}> (namespace {uri}) is not allowed in {rules.name}: " + _expected(rules)
    if (
        local in QUERY_MESSAGES
        and container == "EPCISBody"
        and document_type == "EPCISQueryDocument"
    ):
        return f"{query_message(local)}: {SEND_INSTEAD}"
    if uri and not (local == "QueryResults" and uri in QUERY_NS):
        return _qualified_problem(rules, uri, local)
    if local not in rules.children:
        return (
            f"<{local}> is not allowed in {rules.name}: "
            + _expected(rules)
            + _case_hint(rules, local)
        )
    if local in seen:
        return f"<{local}> is given twice in {rules.name}, where it is allowed once"
    if rules.choice and seen:
        return f"{rules.name} holds one element, not both <{seen[0]}> and <{local}>"
    return None


def missing_problem(document_type: str, container: str, seen: list[str]) -> str | None:
    """Why a complete `container` with the standard children `seen` is incomplete, if it is."""
    rules = _CONTAINERS[document_type, container]
    if rules.required and not any(name in seen for name in rules.required):
        return rules.missing
    return None


def query_message(local: str) -> str:
    kind = "an answer" if local.endswith(("Result", "Exception")) else "a request"
    return (
        f"<{local}> is an EPCIS query-interface message ({kind} of the query service), "
        "not events to capture"
    )


_ROOT_NAMESPACES = {
    local: tuple(namespaces)
    for local, namespaces in (
        ("EPCISDocument", EPCIS_NS),
        ("EPCISQueryDocument", QUERY_NS),
        ("EPCISMasterDataDocument", MASTERDATA_NS),
    )
}


def root_problem(uri: str, local: str) -> str:
    """Why the document element `{uri}local` is not an EPCIS document, in words that help."""
    documents = "EPCISDocument, EPCISQueryDocument or EPCISMasterDataDocument"
    if uri in SOAP_NAMESPACES:
        return (
            f"this is a SOAP envelope (<{local}>, the web-service binding of EPCIS 1.x), not an "
            f"EPCIS document: POST /capture takes the {documents} itself, not a SOAP message"
        )
    if local in QUERY_MESSAGES:
        return f"{query_message(local)}: {SEND_INSTEAD}"
    if local == "QueryResults":
        return f"a bare <QueryResults> is not a document: {SEND_INSTEAD}"
    if local == "EPCISCaptureJob":
        return "this is a capture job (what GET /capture/{id} answers), not a document to capture"
    namespaces = _ROOT_NAMESPACES.get(local)
    if namespaces is not None:
        v20, v12 = namespaces
        return (
            f"root element <{local}> is in namespace {uri or 'none'!r}: an {local} is in "
            f"{v20} (EPCIS 2.0) or {v12} (EPCIS 1.2)"
        )
    return (
        f"root element <{local}> in namespace {uri or 'none'!r} is not an EPCIS "
        f"document ({documents})"
    )


def _qualified_problem(rules: _Container, uri: str, local: str) -> str:
    if local in rules.children:
        return (
            f"<{local}> is in namespace {uri}: in {rules.name} it is written without a "
            f"namespace, <{local}>"
        )
    return f"<{local}> (namespace {uri}) is not allowed in {rules.name}: " + _expected(rules)


def _expected(rules: _Container) -> str:
    names = [f"<{name}>" for name in rules.children]
    if rules.extensions:
        names.append("elements of another namespace (extensions)")
    return "expected " + (
        ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
    )


def _case_hint(rules: _Container, local: str) -> str:
    match = next((name for name in rules.children if name.lower() == local.lower()), None)
    return f" (names are case-sensitive: <{match}>)" if match else ""


# -- JSON-LD -----------------------------------------------------------------------------

JSON_DOCUMENT_TYPES = ("EPCISDocument", "EPCISQueryDocument")
# The members of each container besides extensions; a query document may carry the header
# members of an EPCISDocument too (see the module docstring).
_JSON_TOP_LEVEL = (
    *("@context", "id", "type", "schemaVersion", "creationDate"),
    *("instanceIdentifier", "sender", "receiver", "epcisHeader", "epcisBody"),
)
_JSON_CONTAINERS: dict[str, dict[str, tuple[str, ...]]] = {
    "EPCISDocument": {"": _JSON_TOP_LEVEL, "epcisBody": ("eventList",)},
    "EPCISQueryDocument": {
        "": _JSON_TOP_LEVEL,
        "epcisBody": ("queryResults",),
        "epcisBody.queryResults": ("queryName", "subscriptionID", "resultsBody"),
        "epcisBody.queryResults.resultsBody": ("eventList", "vocabularyList"),
    },
}
# Where each document type's events are, container by container.
JSON_EVENT_PATHS = {
    "EPCISDocument": ("epcisBody", "eventList"),
    "EPCISQueryDocument": ("epcisBody", "queryResults", "resultsBody", "eventList"),
}
# The paths whose member names are collected, and those whose kind of value is.
JSON_CONTAINER_PATHS = frozenset(
    {"", "epcisBody", "epcisBody.queryResults", "epcisBody.queryResults.resultsBody"}
)
JSON_WATCHED = JSON_CONTAINER_PATHS | {
    "epcisBody.eventList",
    "epcisBody.queryResults.resultsBody.eventList",
}
_KINDS = {"start_map": "an object", "start_array": "a list"}


@dataclass(slots=True)
class JsonShape:
    """What the structure rules need of a JSON document: the member names of its containers
    (in order, repeats kept), the kind of value at each watched path, and its type/isA."""

    keys: dict[str, list[str]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)  # "start_map" | "start_array" | other
    type: object = None
    is_a: object = None


def json_shape(document: object) -> JsonShape:
    """The shape of a document already read whole (orjson)."""
    shape = JsonShape()
    _visit(shape, "", document)
    if isinstance(document, dict):
        shape.type, shape.is_a = document.get("type"), document.get("isA")
    return shape


def _visit(shape: JsonShape, path: str, value: object) -> None:
    if isinstance(value, dict):
        shape.kinds[path] = "start_map"
        if path in JSON_CONTAINER_PATHS:
            shape.keys[path] = list(value)
            for key, member in value.items():
                inner = f"{path}.{key}" if path else key
                if inner in JSON_WATCHED:
                    _visit(shape, inner, member)
    else:
        shape.kinds[path] = "start_array" if isinstance(value, list) else "scalar"


def json_document_type(shape: JsonShape) -> tuple[str, str] | str:
    """The document type, or ("not_epcis", why) when the document is not an EPCIS one."""
    if shape.kinds.get("") != "start_map":
        return "not_epcis", "not an EPCIS document: the top level is not an object"
    if shape.type is None and isinstance(shape.is_a, str):
        return "not_epcis", epcis_12_json_problem(shape.is_a)
    if shape.type is None:
        return "not_epcis", "not an EPCIS document: no top-level object with a type"
    if shape.type not in JSON_DOCUMENT_TYPES:
        return "not_epcis", (
            f"not an EPCIS document: type is {shape.type!r}, "
            "expected EPCISDocument or EPCISQueryDocument"
        )
    assert isinstance(shape.type, str)
    return shape.type


def epcis_12_json_problem(is_a: str) -> str:
    """The message for the EPCIS 1.2 "JSON" binding, recognised by its `isA` members."""
    return (
        f'this is the unofficial EPCIS 1.2 JSON form ("isA": "{is_a}"), which GS1 never '
        "standardised and this repository does not read: send EPCIS 1.2 as XML, or EPCIS 2.0 "
        'JSON-LD ("@context" GS1\'s context, "type": "EPCISDocument", "epcisBody": '
        '{"eventList": [...]}, events with "type")'
    )


def json_structure_problem(document_type: str, shape: JsonShape) -> str | None:
    """Why the containers of a JSON document of `document_type` are not as the standard says."""
    path = ""
    for step in JSON_EVENT_PATHS[document_type]:
        problem = _json_container_problem(document_type, path, step, shape)
        if problem is not None:
            return problem
        path = f"{path}.{step}" if path else step
    if shape.kinds.get(path) != "start_array":
        return f"{path} must be a list of events"
    return None


def _json_container_problem(
    document_type: str, path: str, inner: str, shape: JsonShape
) -> str | None:
    """The container at `path` must be an object of known or extension members, with `inner`."""
    kind = shape.kinds.get(path, "")
    if kind != "start_map":
        return f"{path} must be an object, not {_KINDS.get(kind, 'a single value')}"
    allowed = _JSON_CONTAINERS[document_type][path]
    seen: set[str] = set()
    for key in shape.keys.get(path, []):
        if key in seen:
            return f"{_member(path, key)} is given twice: only one would be read"
        seen.add(key)
        if key not in allowed and ":" not in key:
            return (
                f"{_member(path, key)} is not an EPCIS member of {path or 'the document'}: "
                f"expected {', '.join(allowed)} or extension members named 'prefix:name'"
                + _json_case_hint(allowed, key)
            )
    if inner in seen:
        return None
    if document_type == "EPCISQueryDocument" and inner in ("epcisBody", "queryResults"):
        return (
            "this EPCISQueryDocument has no epcisBody.queryResults, so it holds no events "
            f"to capture: {JSON_SEND_INSTEAD}"
        )
    return f"{_member(path, inner)} is missing"


def _member(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _json_case_hint(allowed: tuple[str, ...], key: str) -> str:
    match = next((name for name in allowed if name.lower() == key.lower()), None)
    return f" (member names are case-sensitive: {match})" if match else ""
