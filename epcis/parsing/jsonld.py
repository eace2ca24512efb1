"""Parse EPCIS 2.0 JSON / JSON-LD documents and bare events into the canonical shape.

No network access, ever: GS1's standard context URLs are known here (their prefixes
are built in); an inline context object defines extension prefixes; any other remote
context URL is not fetched and simply defines nothing, so a document that relies on it
is accepted only if every extension prefix it uses is defined inline (otherwise each
event using an undefined prefix gets an error naming it).

Documents up to `ORJSON_MAX_BYTES` are read with orjson (exact line/column on syntax
errors); larger ones stream event by event with ijson's C backend, so memory stays flat
whatever the size. Measured on one core, parsing + validation, synthetic ObjectEvents of
10 EPCs each: see the module's report in the commit message.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from typing import IO, Any, BinaryIO

import ijson
import orjson

from epcis import cbv
from epcis.parsing.types import DocumentError, EventError, JSONDict, ParsedDocument, ParsedEvent
from epcis.parsing.validation import validated_event

ORJSON_MAX_BYTES = 16 * 1024 * 1024

# Prefixes defined by GS1's EPCIS 2.0 contexts (standard and "simple" variants).
GS1_PREFIXES = {
    "epcis": "https://ref.gs1.org/epcis/",
    "cbv": "https://ref.gs1.org/cbv/",
    "cbvmda": "urn:epcglobal:cbv:mda:",
    "gs1": "https://gs1.org/voc/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
    "vtype": "urn:epcglobal:epcis:vtype:",
}
GS1_CONTEXT_URLS = frozenset(
    {
        "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        "https://ref.gs1.org/standards/epcis/2.0.1/epcis-context.jsonld",
        "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
        "https://gs1.github.io/EPCIS/epcis-context.jsonld",
        "https://gs1.github.io/EPCIS/epcis-context-simple.jsonld",
    }
)
_DOCUMENT_TYPES = {
    "EPCISDocument": ("eventList",),
    "EPCISQueryDocument": ("queryResults", "resultsBody", "eventList"),
}
# Where CBV values sit in an event: (member, kind) at the top level, and inside lists.
_TOP_LEVEL_CBV = (("bizStep", "bizStep"), ("disposition", "disposition"))
_LIST_CBV = (
    ("bizTransactionList", "type", "bizTransactionType"),
    ("sourceList", "type", "sourceDestType"),
    ("destinationList", "type", "sourceDestType"),
)
_REPORT_CBV = (("type", "measurementType"), ("exception", "alertType"), ("component", "component"))


# -- @context --------------------------------------------------------------------------


def context_namespaces(context: object) -> dict[str, str]:
    """Prefixes an @context defines inline; GS1's URLs add nothing here (built in)."""
    entries = context if isinstance(context, list) else [context]
    namespaces: dict[str, str] = {}
    for entry in entries:
        if isinstance(entry, dict):
            for term, iri in entry.items():
                # "rail:vehicleAxleCount": {"@type": ...} defines a term, not a prefix.
                if isinstance(iri, str) and not term.startswith("@") and ":" not in term:
                    namespaces[term] = iri
    return namespaces


class _Namespaces:
    """The prefixes of one document, plus GS1's and generated ones as events need them.

    Validation asks `widen` about every prefix the event uses and its namespaces lack, so
    the event need not be walked beforehand. Events using the same GS1 prefixes without
    defining them share one interned dict.
    """

    def __init__(self, declared: dict[str, str]) -> None:
        self.declared = declared
        self.named_by_iri = False  # set by `widen` while the current event is validated
        self._interned: dict[frozenset[str], dict[str, str]] = {frozenset(): declared}
        self._extras_of: dict[int, frozenset[str]] = {id(declared): frozenset()}

    def for_event(self, event: JSONDict) -> dict[str, str]:
        self.named_by_iri = False
        if "@context" in event:
            return {**self.declared, **context_namespaces(event.pop("@context"))}
        return self.declared

    def widen(self, namespaces: dict[str, str], key: str) -> dict[str, str] | None:
        """`namespaces` plus GS1's prefix of `key`, for an event that uses it undefined."""
        prefix = key.partition(":")[0]
        if prefix not in GS1_PREFIXES:
            self.named_by_iri = self.named_by_iri or _is_iri(key)
            return None
        extras = self._extras_of.get(id(namespaces))
        if extras is None:  # the event's own @context: nothing to share
            return {**namespaces, prefix: GS1_PREFIXES[prefix]}
        extras = extras | {prefix}
        if extras not in self._interned:
            widened = {**self.declared, **{p: GS1_PREFIXES[p] for p in extras}}
            self._interned[extras] = widened
            self._extras_of[id(widened)] = extras
        return self._interned[extras]


def _is_iri(key: str) -> bool:
    return "://" in key or key.startswith("urn:")


def _split_iri(iri: str) -> tuple[str, str]:
    cut = max(iri.rfind("/"), iri.rfind("#"), iri.rfind(":") if iri.startswith("urn:") else -1)
    return iri[: cut + 1], iri[cut + 1 :]


def _prefix_for(namespace: str, namespaces: dict[str, str]) -> str:
    for prefix, known in namespaces.items():
        if known == namespace:
            return prefix
    number = 1
    while f"ns{number}" in namespaces:
        number += 1
    namespaces[f"ns{number}"] = namespace
    return f"ns{number}"


def _rename_iri_keys(value: object, namespaces: dict[str, str]) -> None:
    """Rewrite extension members named by full IRI as `prefix:local`, in place."""
    if isinstance(value, list):
        for item in value:
            _rename_iri_keys(item, namespaces)
    elif isinstance(value, dict):
        renamed = {}
        for key, member in value.items():
            if _is_iri(key):
                namespace, local = _split_iri(key)
                key = f"{_prefix_for(namespace, namespaces)}:{local}"
            _rename_iri_keys(member, namespaces)
            renamed[key] = member
        value.clear()
        value.update(renamed)


# -- events ----------------------------------------------------------------------------


def _normalise(data: JSONDict, key: str, kind: str) -> None:
    value = data.get(key)
    if isinstance(value, str):
        data[key] = cbv.normalise(kind, value)


def normalise_cbv_values(event: JSONDict) -> None:
    """Standard CBV values in any form (Web URI, URN, CURIE) become the bare word."""
    for key, kind in _TOP_LEVEL_CBV:
        _normalise(event, key, kind)
    for list_key, key, kind in _LIST_CBV:
        for item in _dicts(event.get(list_key)):
            _normalise(item, key, kind)
    persistent = event.get("persistentDisposition")
    if isinstance(persistent, dict):
        for key in ("set", "unset"):
            if isinstance(persistent.get(key), list):
                persistent[key] = [_normalised_disposition(value) for value in persistent[key]]
    if isinstance(event.get("errorDeclaration"), dict):
        _normalise(event["errorDeclaration"], "reason", "errorReason")
    for element in _dicts(event.get("sensorElementList")):
        for report in _dicts(element.get("sensorReport")):
            for key, kind in _REPORT_CBV:
                _normalise(report, key, kind)


def _normalised_disposition(value: object) -> object:
    return cbv.normalise("disposition", value) if isinstance(value, str) else value


def _dicts(value: object) -> list[JSONDict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _parsed_event(raw: object, namespaces: _Namespaces, index: int) -> ParsedEvent:
    if not isinstance(raw, dict):
        error = EventError(index, None, "", "an event must be a JSON object")
        return ParsedEvent(index, {}, dict(namespaces.declared), [error])
    event_namespaces = namespaces.for_event(raw)
    raw.pop("recordTime", None)  # the repository sets recordTime at capture
    normalise_cbv_values(raw)
    parsed = validated_event(raw, event_namespaces, index, namespaces.widen)
    if namespaces.named_by_iri:  # rare: extension members named by full IRI, not CURIE
        event_namespaces = {**event_namespaces}
        _rename_iri_keys(raw, event_namespaces)
        parsed = validated_event(raw, event_namespaces, index, namespaces.widen)
    return parsed


def parse_json_event(data: bytes) -> ParsedEvent:
    """Parse one bare event (POST /events); it carries its own @context."""
    raw = _loads(data)
    if not isinstance(raw, dict) or "type" not in raw:
        raise DocumentError("not_epcis", "expected an EPCIS event: a JSON object with a type")
    if raw["type"] in _DOCUMENT_TYPES:
        raise DocumentError("not_epcis", f"expected a single event, got an {raw['type']}")
    return _parsed_event(raw, _Namespaces({}), 0)


# -- documents -------------------------------------------------------------------------


def _loads(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise DocumentError(
            "malformed", f"malformed JSON: {error.msg}", line=error.lineno, column=error.colno
        ) from None


def parse_json(stream: BinaryIO) -> ParsedDocument:
    """Parse an EPCISDocument or EPCISQueryDocument; events are yielded lazily.

    A syntax error that only streaming reveals is raised as DocumentError from the
    events iterator: the caller must treat the whole document as unusable then.
    """
    head = stream.read(ORJSON_MAX_BYTES + 1)
    if len(head) <= ORJSON_MAX_BYTES:
        return _document(_loads(head), iter_events=None)
    return _streamed_document(_rewound(stream, head))


def _rewound(stream: BinaryIO, head: bytes) -> IO[bytes]:
    """`stream` from its start, copied to a temporary file when it cannot seek."""
    if stream.seekable():
        stream.seek(0)
        return stream
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - the events stream from it after we return
    spool.write(head)
    shutil.copyfileobj(stream, spool)
    spool.seek(0)
    return spool


def _document_type(document: object) -> str:
    if not isinstance(document, dict):
        raise DocumentError("not_epcis", "not an EPCIS document: the top level is not an object")
    document_type = document.get("type")
    if document_type not in _DOCUMENT_TYPES:
        raise DocumentError(
            "not_epcis",
            f"not an EPCIS document: type is {document_type!r}, "
            "expected EPCISDocument or EPCISQueryDocument",
        )
    return document_type


def _event_list(document: JSONDict, document_type: str) -> list[object]:
    node: object = document.get("epcisBody")
    path = "epcisBody"
    for key in _DOCUMENT_TYPES[document_type]:
        if not isinstance(node, dict) or key not in node:
            raise DocumentError("invalid", f"{path}.{key} is missing")
        node, path = node[key], f"{path}.{key}"
    if not isinstance(node, list):
        raise DocumentError("invalid", f"{path} must be a list of events")
    return node


def _document(document: object, iter_events: Iterator[object] | None) -> ParsedDocument:
    """Build the ParsedDocument from the header; events come from the body or `iter_events`."""
    document_type = _document_type(document)
    assert isinstance(document, dict)
    if iter_events is None:
        iter_events = iter(_event_list(document, document_type))
    namespaces = _Namespaces(context_namespaces(document.get("@context")))
    return ParsedDocument(
        syntax="json",
        document_type=document_type,
        schema_version=_text(document.get("schemaVersion")),
        creation_date=_text(document.get("creationDate")),
        events=_events(iter_events, namespaces),
        sbdh=_pseudo_sbdh(document),
        vocabularies=_vocabularies(document),
        header_extensions=_header_extensions(document),
        namespaces=namespaces.declared,
    )


def _events(raw_events: Iterator[object], namespaces: _Namespaces) -> Iterator[ParsedEvent]:
    try:
        for index, raw in enumerate(raw_events):
            yield _parsed_event(raw, namespaces, index)
    except ijson.JSONError as error:
        raise DocumentError("malformed", f"malformed JSON: {error}") from None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _pseudo_sbdh(document: JSONDict) -> JSONDict | None:
    """JSON has no SBDH; its top-level sender/receiver/instanceIdentifier play that role."""
    fields = ("sender", "receiver", "instanceIdentifier")
    if not any(key in document for key in fields):
        return None
    sbdh: JSONDict = {}
    for key in ("sender", "receiver"):
        if isinstance(document.get(key), str):
            sbdh[key] = [{"identifier": document[key]}]
    if isinstance(document.get("instanceIdentifier"), str):
        sbdh["documentIdentification"] = {"instanceIdentifier": document["instanceIdentifier"]}
    return sbdh


def _vocabularies(document: JSONDict) -> list[JSONDict]:
    header = document.get("epcisHeader")
    master_data = header.get("epcisMasterData") if isinstance(header, dict) else None
    vocabularies = master_data.get("vocabularyList") if isinstance(master_data, dict) else None
    body = document.get("epcisBody")
    results = body.get("queryResults", {}).get("resultsBody") if isinstance(body, dict) else None
    if isinstance(results, dict) and isinstance(results.get("vocabularyList"), list):
        vocabularies = [*(vocabularies or []), *results["vocabularyList"]]
    return _dicts(vocabularies)


def _header_extensions(document: JSONDict) -> JSONDict:
    """Extension members (CURIE keys) of the document: in epcisHeader, at the top level and,
    in a query document, in epcisBody.queryResults (e.g. a repository's `ignoreFields`, which
    the event hash honours). A key in several places: epcisHeader's wins, then the top level's."""
    body = document.get("epcisBody")
    results = body.get("queryResults") if isinstance(body, dict) else None
    extensions: JSONDict = {}
    for node in (results, document, document.get("epcisHeader")):
        if isinstance(node, dict):
            extensions.update(
                (key, value) for key, value in node.items() if ":" in key and key[0] != "@"
            )
    return extensions


# -- streaming large documents ---------------------------------------------------------


def _streamed_document(stream: IO[bytes]) -> ParsedDocument:
    """Read the header with ijson, then stream the events in a second pass over `stream`."""
    header = _streamed_header(stream)
    document_type = _document_type(header)
    stream.seek(0)
    prefix = ".".join(("epcisBody", *_DOCUMENT_TYPES[document_type], "item"))
    items = ijson.items(stream, prefix, use_float=True)
    return _document(header, iter_events=items)


def _streamed_header(stream: IO[bytes]) -> JSONDict:
    """Every top-level member but epcisBody, and the extension members of a query document's
    epcisBody.queryResults (as `epcisBody.queryResults`).

    Writers put the header first, so reading stops at epcisBody (at resultsBody in a query
    document) when @context has been seen; when it has not, the whole document is read
    (events skipped) to find it. So a queryResults extension written after resultsBody is
    only seen when @context comes late too.
    """
    header: JSONDict = {}
    results: JSONDict = {}
    builder: ijson.ObjectBuilder | None = None
    target, name, path = header, "", ""
    try:
        for prefix, event, value in ijson.parse(stream, use_float=True):
            if event == "map_key" and prefix in _HEADER_PARENTS:
                if "@context" in header and (
                    value == "resultsBody"
                    or (value == "epcisBody" and header.get("type") == "EPCISDocument")
                ):
                    break
                target, name = (results, value) if prefix else (header, value)
                path = f"{prefix}.{value}" if prefix else value
                # in queryResults only extension members are wanted
                wanted = ":" in value if prefix else value != "epcisBody"
                builder = ijson.ObjectBuilder() if wanted else None
            elif builder is not None and prefix:
                builder.event(event, value)
                if prefix == path and event in _VALUE_ENDS:
                    target[name] = builder.value
                    builder = None
    except ijson.JSONError as error:
        raise DocumentError("malformed", f"malformed JSON: {error}") from None
    header["epcisBody"] = {"queryResults": results} if results else {}
    return header


_HEADER_PARENTS = frozenset({"", "epcisBody.queryResults"})


_VALUE_ENDS = frozenset({"end_map", "end_array", "string", "number", "boolean", "null"})
