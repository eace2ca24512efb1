"""Parse EPCIS 2.0 JSON / JSON-LD documents and bare events into the canonical shape.

No network access, ever: GS1's standard context URLs are known here (their prefixes
are built in); an inline context object defines extension prefixes; a context URL an
operator registered (EPCIS_JSONLD_CONTEXTS: URL -> local file, read at start-up) defines
the prefixes of that file, as if they were written inline; any other remote context URL
is not fetched and defines nothing, so a document that relies on it is accepted only if
every extension prefix it uses is defined otherwise (each event using an undefined prefix
gets an error naming it, and saying how the context could be registered).

A document is checked around its events (`structure`: unknown members of the document,
epcisBody, queryResults and resultsBody are refused), and a UTF-8 byte-order mark before
it is skipped (RFC 8259 §8.1), whether it is read whole or streamed.

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
from django.conf import settings

import epcis.parsing.structure as structure
from epcis import cbv
from epcis.parsing.types import DocumentError, EventError, JSONDict, ParsedDocument, ParsedEvent
from epcis.parsing.validation import validated_event

ORJSON_MAX_BYTES = 16 * 1024 * 1024
UTF8_BOM = b"\xef\xbb\xbf"
CONTEXTS_SETTING = "EPCIS_JSONLD_CONTEXTS"

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
    """Prefixes an @context defines inline or by a registered URL, in its order (a later
    entry wins, as in JSON-LD); GS1's URLs add nothing here (built in)."""
    entries = context if isinstance(context, list) else [context]
    namespaces: dict[str, str] = {}
    for entry in entries:
        if isinstance(entry, dict):
            for term, iri in entry.items():
                # "rail:vehicleAxleCount": {"@type": ...} defines a term, not a prefix.
                if isinstance(iri, str) and not term.startswith("@") and ":" not in term:
                    namespaces[term] = iri
        elif isinstance(entry, str):
            namespaces.update(registered_prefixes(entry))
    return namespaces


def registered_contexts() -> dict[str, JSONDict]:
    """URL -> the `@context` object of the file an operator registered for it (settings)."""
    return getattr(settings, CONTEXTS_SETTING, {}) if settings.configured else {}


_GEN_DELIMS = tuple(":/?#[]@")
_prefix_cache: dict[int, tuple[JSONDict, dict[str, str]]] = {}


def registered_prefixes(url: str) -> dict[str, str]:
    """The prefixes the context registered for `url` defines; {} when none is registered."""
    context = registered_contexts().get(url)
    if context is None:
        return {}
    hit = _prefix_cache.get(id(context))
    if hit is None or hit[0] is not context:
        hit = _prefix_cache[id(context)] = (context, context_prefixes(context))
    return hit[1]


def context_prefixes(context: JSONDict) -> dict[str, str]:
    """The prefix definitions of a JSON-LD context object (JSON-LD 1.1, "prefix flag"): a
    term mapped to an IRI string ending in a gen-delim character (`/`, `#`, `:` ...), or an
    expanded `{"@id": ...}` definition with `"@prefix": true` (or, as JSON-LD 1.0 read it,
    no `@prefix` and such an IRI). Compact IRIs are expanded through the context itself.
    Terms that name one property ("lotStatus": "hc:lotStatus") are not prefixes."""
    prefixes: dict[str, str] = {}
    for term, definition in context.items():
        if term.startswith("@") or ":" in term:
            continue
        iri, flag = definition, None
        if isinstance(definition, dict):
            iri, flag = definition.get("@id"), definition.get("@prefix")
        if isinstance(iri, str) and flag is not False:
            iri = _expanded(iri, context)
            if flag is True or iri.endswith(_GEN_DELIMS):
                prefixes[term] = iri
    return prefixes


def _expanded(iri: str, context: JSONDict) -> str:
    prefix, colon, rest = iri.partition(":")
    base = context.get(prefix) if colon and not rest.startswith("//") else None
    base = base.get("@id") if isinstance(base, dict) else base
    return base + rest if isinstance(base, str) and "://" in base else iri


def unregistered_contexts(context: object) -> list[str]:
    """The context URLs of an @context that are neither GS1's nor registered here."""
    entries = context if isinstance(context, list) else [context]
    known = registered_contexts()
    return [
        entry
        for entry in entries
        if isinstance(entry, str) and entry not in GS1_CONTEXT_URLS and entry not in known
    ]


_UNDEFINED = "is not defined in the @context"


def _explain_undefined_prefixes(parsed: ParsedEvent, urls: list[str]) -> ParsedEvent:
    """Errors about undefined prefixes name the unregistered contexts that may define them."""
    if urls and parsed.errors:
        hint = (
            f"; the @context names {', '.join(urls)}, which this repository does not know "
            f"(contexts are never fetched): an operator can register a local copy with "
            f"{CONTEXTS_SETTING}=<url>=<path>"
        )
        for error in parsed.errors:
            if error.message.endswith(_UNDEFINED):
                error.message += hint
    return parsed


class _Namespaces:
    """The prefixes of one document, plus GS1's and generated ones as events need them.

    Validation asks `widen` about every prefix the event uses and its namespaces lack, so
    the event need not be walked beforehand. Events using the same GS1 prefixes without
    defining them share one interned dict.
    """

    def __init__(self, declared: dict[str, str], unregistered: list[str] | None = None) -> None:
        self.declared = declared
        # Context URLs that define nothing here, of the document and of the current event.
        self.unregistered = unregistered or []
        self.event_unregistered = self.unregistered
        self.named_by_iri = False  # set by `widen` while the current event is validated
        self._interned: dict[frozenset[str], dict[str, str]] = {frozenset(): declared}
        self._extras_of: dict[int, frozenset[str]] = {id(declared): frozenset()}

    def for_event(self, event: JSONDict) -> dict[str, str]:
        self.named_by_iri = False
        self.event_unregistered = self.unregistered
        if "@context" in event:
            context = event.pop("@context")
            self.event_unregistered = [*self.unregistered, *unregistered_contexts(context)]
            return {**self.declared, **context_namespaces(context)}
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
    if parsed.namespaces is not event_namespaces:  # widened with GS1's prefixes
        parsed.written_namespaces = event_namespaces
    return parsed


def parse_json_event(data: bytes) -> ParsedEvent:
    """Parse one bare event (POST /events); it carries its own @context."""
    raw = _loads(data)
    if isinstance(raw, dict) and "type" not in raw and isinstance(raw.get("isA"), str):
        raise DocumentError("not_epcis", structure.epcis_12_json_problem(raw["isA"]))
    if not isinstance(raw, dict) or "type" not in raw:
        raise DocumentError("not_epcis", "expected an EPCIS event: a JSON object with a type")
    if raw["type"] in _DOCUMENT_TYPES:
        raise DocumentError("not_epcis", f"expected a single event, got an {raw['type']}")
    namespaces = _Namespaces({})
    return _explain_undefined_prefixes(
        _parsed_event(raw, namespaces, 0), namespaces.event_unregistered
    )


# -- documents -------------------------------------------------------------------------


def _loads(data: bytes) -> Any:
    try:
        return orjson.loads(data[3:] if data[:3] == UTF8_BOM else data)
    except orjson.JSONDecodeError as error:
        raise DocumentError(
            "malformed", f"malformed JSON: {error.msg}", line=error.lineno, column=error.colno
        ) from None


def parse_json(stream: BinaryIO) -> ParsedDocument:
    """Parse an EPCISDocument or EPCISQueryDocument; events are yielded lazily.

    A large document is read twice: once whole for its header and structure (so a
    syntax error anywhere is raised here), then event by event. A DocumentError from the
    events iterator still means the whole document is unusable.
    """
    head = stream.read(ORJSON_MAX_BYTES + 1)
    if len(head) <= ORJSON_MAX_BYTES:
        return _document(_loads(head), iter_events=None)
    rewound = _rewound(stream, head)
    return _streamed_document(_AfterBOM(rewound) if head[:3] == UTF8_BOM else rewound)


class _AfterBOM:
    """A seekable stream read from after its UTF-8 byte-order mark (ijson refuses one)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        stream.seek(len(UTF8_BOM))

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)

    def seek(self, offset: int) -> None:
        self._stream.seek(offset + len(UTF8_BOM))


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


def _document_type(shape: structure.JsonShape) -> str:
    """The type of a document whose structure (`structure`) is sound; DocumentError if not."""
    document_type = structure.json_document_type(shape)
    if isinstance(document_type, tuple):
        raise DocumentError(*document_type)
    problem = structure.json_structure_problem(document_type, shape)
    if problem is not None:
        raise DocumentError("invalid", problem)
    return document_type


def _event_list(document: JSONDict, document_type: str) -> list[object]:
    node: Any = document["epcisBody"]
    for key in _DOCUMENT_TYPES[document_type]:
        node = node[key]
    return node  # a list: the structure was checked


def _document(
    document: object, iter_events: Iterator[object] | None, shape: structure.JsonShape | None = None
) -> ParsedDocument:
    """Build the ParsedDocument from the header; events come from the body or `iter_events`
    (a streamed document, whose `shape` the header pass collected)."""
    document_type = _document_type(shape or structure.json_shape(document))
    assert isinstance(document, dict)
    if iter_events is None:
        iter_events = iter(_event_list(document, document_type))
    context = document.get("@context")
    namespaces = _Namespaces(context_namespaces(context), unregistered_contexts(context))
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
            parsed = _parsed_event(raw, namespaces, index)
            yield _explain_undefined_prefixes(parsed, namespaces.event_unregistered)
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


def _streamed_document(stream: IO[bytes] | _AfterBOM) -> ParsedDocument:
    """Read the header and the shape in one pass with ijson, then stream the events in a
    second pass over `stream`."""
    try:
        header, shape = scan_json(stream, header=True)
    except ijson.JSONError as error:
        raise DocumentError("malformed", f"malformed JSON: {error}") from None
    document_type = _document_type(shape)
    stream.seek(0)
    prefix = ".".join(("epcisBody", *_DOCUMENT_TYPES[document_type], "item"))
    items = ijson.items(stream, prefix, use_float=True)
    return _document(header, iter_events=items, shape=shape)


def scan_json(stream: Any, *, header: bool) -> tuple[JSONDict, structure.JsonShape]:
    """One pass over a whole JSON document with ijson, building nothing but: its shape
    (`structure.JsonShape`: member names of the containers, kinds of values, type, isA)
    and, with `header`, every top-level member but epcisBody, the extension members of a
    query document's epcisBody.queryResults and its resultsBody.vocabularyList (under
    `epcisBody`). Wherever the header is written, before the events or after. Raises
    ijson.JSONError on a syntax error.

    The upload check runs it with `header=False`, the streaming parser with `header=True`.
    It costs a loop step per JSON token (~120 MB/s): the price of knowing every member name
    of the containers, which a C-level `ijson.items` pass cannot tell.
    """
    shape = structure.JsonShape()
    keys, kinds, watched = shape.keys, shape.kinds, structure.JSON_WATCHED
    built: dict[str, JSONDict] = {parent: {} for parent in _BUILT}
    builder: ijson.ObjectBuilder | None = None
    target, name, path = built[""], "", ""
    for prefix, event, value in ijson.parse(stream, use_float=True):
        if builder is not None:
            builder.event(event, value)
            if prefix == path and event in _VALUE_ENDS:
                target[name] = builder.value
                builder = None
        elif event == "map_key":
            names = keys.get(prefix)
            if names is not None:
                names.append(value)
                if prefix in built and _BUILT[prefix](value, header):
                    builder, target, name = ijson.ObjectBuilder(), built[prefix], value
                    path = f"{prefix}.{value}" if prefix else value
        elif prefix in watched and prefix not in kinds:
            kinds[prefix] = event if event in _STARTS else "scalar"
            if event == "start_map" and prefix in structure.JSON_CONTAINER_PATHS:
                keys[prefix] = []
    members = built[""]
    shape.type, shape.is_a = members.get("type"), members.get("isA")
    results = built["epcisBody.queryResults"]
    if built["epcisBody.queryResults.resultsBody"]:
        results["resultsBody"] = built["epcisBody.queryResults.resultsBody"]
    members["epcisBody"] = {"queryResults": results} if results else {}
    return members, shape


# The members whose values `scan_json` builds: (name, header wanted) -> build it.
_BUILT = {
    "": lambda key, header: key in ("type", "isA") or (header and key != "epcisBody"),
    "epcisBody.queryResults": lambda key, header: header and ":" in key,
    "epcisBody.queryResults.resultsBody": lambda key, header: header and key == "vocabularyList",
}
_STARTS = frozenset({"start_map", "start_array"})
_VALUE_ENDS = frozenset({"end_map", "end_array", "string", "number", "boolean", "null"})
