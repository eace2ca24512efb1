"""CBV 2.0 EPCIS Event Hash ID: `ni:///sha-256;<hex>?ver=CBV2.0` of a canonical pre-hash string.

Input is the canonical event dict of `epcis.parsing.types` (EPCIS 2.0 JSON form, extension keys
as CURIEs resolved through `namespaces`). The pre-hash string concatenates `name=value` pairs
without separators, in CBV's canonical property order; list children are rendered one by one
and sorted by code point.

We reproduce the test vectors of the reference implementation (RalphTro/epcis-event-hash-generator
at 5d2f1c3), because other tools (e.g. openepcis) were cross-checked against it. Its observed
deviations from the CBV text are kept on purpose and marked "quirk" below.

Every stored event is hashed, so this is on the ingest hot path: the usual shapes (a string
value, a `{"id": uri}` place, a list of string EPCs) take short cuts that must render exactly
what the general renderers they stand in for would; anything else goes the general way.
`bench/bench_hashing.py` measures it.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from epcis.cbv import web_uri
from epcis.identifiers import matching_key

JSONDict = dict[str, Any]
# A field renderer: (name, value, context) -> its pre-hash text ("" when it contributes nothing).
Renderer = Callable[[str, Any, "_Context"], str]

_GS1_VOC = "https://gs1.org/voc/"
_CBV_WEB = "https://ref.gs1.org/cbv/"
# Value CURIEs of GS1's protected JSON-LD prefixes; other prefixes in values stay as written
# (the vectors keep `type=example:someSensorProperty`).
_VALUE_CURIES = (("gs1:", _GS1_VOC), ("cbv:", _CBV_WEB))
_CBV_URNS = {
    "bizstep": "BizStep-",
    "disp": "Disp-",
    "btt": "BTT-",
    "sdt": "SDT-",
    "er": "ER-",
}
_RDFS_COMMENT = "{http://www.w3.org/2000/01/rdf-schema#}comment"
# Never hashed: set by the repository, the hash itself, corrections, comments, JSON-LD keywords.
_EXCLUDED = frozenset(
    {"type", "eventID", "recordTime", "errorDeclaration", "rdfs:comment", "comment"}
)
_NONE: frozenset[str] = frozenset()

_TIME = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:[.,](\d+))?(?:([Zz])|([+-])(\d\d):?(\d\d))?"
)
# Already in the hashed form (UTC, "Z", exactly milliseconds); hash_time_text returns such a text
# unchanged, valid or not (an invalid date is hashed as written). Years below 1000 excluded:
# strftime prints them without leading zeros.
_UTC_MILLIS = re.compile(r"[1-9]\d{3}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", re.ASCII)
# Value prefixes that can only be identifiers: no CBV URN, gs1:/cbv: CURIE or number starts so.
_URI_PREFIXES = ("urn:epc:", "http")
_STR = frozenset({str})


class _Context:
    """Per-event state: the prefix map, fields to skip, and leftovers for the trailing block."""

    __slots__ = ("namespaces", "ignore", "leftovers", "keys")

    def __init__(
        self, namespaces: Mapping[str, str], ignore: frozenset[str], keys: Mapping[str, str]
    ) -> None:
        self.namespaces = namespaces
        self.ignore = ignore
        # Matching keys validation already computed (MatchingKeys), or {}.
        self.keys = keys
        # Texts of non-standard, unprefixed keys inside standard objects, with their path.
        self.leftovers: list[str] = []


# --- values ------------------------------------------------------------------------------------


def hash_time_text(text: str) -> str:
    """UTC, exactly milliseconds, half-up: `...11:00:30.9995+01:00` -> `...10:00:31.000Z`.

    A value that is not an xsd:dateTime is hashed as written (so is the reference's behaviour).
    """
    text = text.strip()
    if _UTC_MILLIS.fullmatch(text):
        return text
    match = _TIME.fullmatch(text)
    if match is None:
        return text
    year, month, day, hour, minute, second, fraction, zulu, sign, tzh, tzm = match.groups()
    fraction = fraction or ""
    millis = int((fraction + "000")[:3]) + (fraction[3:4] >= "5")
    offset = 0 if zulu or not sign else (int(tzh) * 60 + int(tzm)) * (1 if sign == "+" else -1)
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError:
        return text
    # Naive times are taken as UTC: EPCIS requires an offset, and a server-local zone would make
    # the hash depend on where it is computed.
    moment += timedelta(milliseconds=millis, minutes=-offset)
    if moment.year < 1000:  # strftime prints these years unpadded (glibc), isoformat would pad
        return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"
    return moment.isoformat(timespec="milliseconds") + "Z"


def format_number(text: str) -> str:
    """A numeric string as the reference prints it: via a binary double, `.0` dropped.

    Quirk: going through a double is lossy for long digit strings (the vectors contain
    `stringValue=111100001111000003641344` for `111100001111000011110000`), and it applies to
    every value that parses as a number, identifiers in extensions included.
    """
    if not text or not (text[0].isdigit() or text[0] in "+-."):
        return text
    try:
        number = float(text)
    except ValueError:
        return text
    if not math.isfinite(number):
        return text
    return str(int(number)) if number.is_integer() else repr(number)


def _expand_value(text: str) -> str:
    """CBV URNs to Web URIs, and gs1:/cbv: CURIEs to their namespaces."""
    if text.startswith("urn:epcglobal:cbv:"):
        kind, _, word = text[18:].partition(":")
        web = _CBV_URNS.get(kind)
        return _CBV_WEB + web + word if web and word else text
    for curie, namespace in _VALUE_CURIES:
        if text.startswith(curie):
            return namespace + text[len(curie) :]
    return text


def canon(value: Any) -> str:
    """A value in its hashed form: trimmed, vocabulary expanded, number/identifier canonical."""
    if isinstance(value, str):
        return _canon_str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return _canon_str(str(value))


def _canon_str(text: str) -> str:
    """`canon` of a string. EPCs and Digital Links go straight to `canonical` (cached there):
    serials are unique, so caching them here as well would only churn `_canon_text`'s cache."""
    text = text.strip()
    return matching_key(text) if text.startswith(_URI_PREFIXES) else _canon_text(text)


@lru_cache(maxsize=65536)
def _canon_text(text: str) -> str:
    # Cached: the same bizStep, uom, lot number... recur in every event of a feed.
    text = text.strip()
    if not text:
        return ""
    text = format_number(_expand_value(text))
    # Only URIs can be EPCs or Digital Links; skip the call for plain words and numbers.
    if text.startswith(_URI_PREFIXES):
        return matching_key(text)
    return text


def _vocab(kind: str) -> Callable[[Any], str]:
    """Canonicaliser of a CBV-typed field: a bare standard word becomes its Web URI first."""

    def convert(value: Any) -> str:
        return _vocab_text(kind, str(value))

    return convert


@lru_cache(maxsize=4096)
def _vocab_text(kind: str, text: str) -> str:
    # Cached: a feed uses a handful of bizSteps, dispositions and types.
    text = text.strip()
    if text and ":" not in text:
        text = web_uri(kind, text)
        # Measurement and alert types outside CBV's word list are still GS1 vocabulary.
        if ":" not in text and kind in ("measurementType", "alertType"):
            text = _GS1_VOC + text
    return canon(text)


# --- names and generic (extension) content -----------------------------------------------------


def _expand_name(key: str, namespaces: Mapping[str, str]) -> str:
    """`prefix:local` -> `{namespaceURI}local`; a key without a known prefix stays as it is."""
    prefix, colon, local = key.partition(":")
    if colon and prefix in namespaces:
        return "{" + namespaces[prefix] + "}" + local
    return key


def _is_extension(key: str) -> bool:
    return ":" in key


def _generic(name: str, value: Any, ctx: _Context) -> list[str]:
    """Extension/ILMD content: `name=value` or `name` + sorted children; a list repeats `name`."""
    if isinstance(value, str):
        text = _canon_str(value)
        return [name + "=" + text if text else name]
    if isinstance(value, list):
        return [text for item in value for text in _generic(name, item, ctx)]
    if not isinstance(value, dict):
        text = "" if value is None else canon(value)
        return [name + "=" + text if text else name]
    # XML text beside attributes/children (parser key "#text") directly follows the name.
    text = canon(value["#text"]) if "#text" in value else ""
    children = _generic_children(value, ctx)
    return [name + ("=" + text if text else "") + "".join(sorted(children))]


def _generic_children(obj: Mapping[str, Any], ctx: _Context) -> list[str]:
    out: list[str] = []
    for key, value in obj.items():
        if key == "#text":
            continue
        # XML attributes (parser key "@name") hash like child elements, as in the reference.
        name = _expand_name(key[1:] if key.startswith("@") else key, ctx.namespaces)
        if isinstance(value, str):  # the usual leaf, as `_generic` renders it
            text = _canon_str(value)
            out.append(name + "=" + text if text else name)
        else:
            out.extend(_generic(name, value, ctx))
    return out


# --- standard structures -----------------------------------------------------------------------


def _nested(name: str, ctx: _Context, build: Callable[[], str]) -> str:
    """Run `build`, wrapping the leftovers it produces in `name`.

    Quirk: the reference leaves unconsumed elements (e.g. `bizRules` misplaced on a sensorReport)
    in its tree and prints them with their whole path in the event's trailing sorted block.
    """
    outer, ctx.leftovers = ctx.leftovers, []
    try:
        text = build()
    finally:
        inner, ctx.leftovers = ctx.leftovers, outer
    if inner:
        outer.append(name + "".join(sorted(inner)))
    return text


def _scalar(convert: Callable[[Any], str] = canon) -> Renderer:
    """`name=value`; a list value (several certificationInfo, set, unset) gives sorted repeats."""
    convert_str = _canon_str if convert is canon else convert

    def render(name: str, value: Any, ctx: _Context) -> str:
        if isinstance(value, str):  # the usual single value
            text = convert_str(value)
            return name + "=" + text if text else ""
        values = value if isinstance(value, list) else [value]
        return "".join(sorted(name + "=" + text for text in map(convert, values) if text))

    return render


# Cached: the events of a document often share their eventTime.
_format_time = lru_cache(maxsize=4096)(hash_time_text)


def _time(name: str, value: Any, ctx: _Context) -> str:
    text = _format_time(str(value))
    return name + "=" + text if text else ""


def _list_of(item: Renderer, item_name: str, wrapped: bool = True, leaf: bool = False) -> Renderer:
    """Children rendered as `item_name...`, sorted by code point, after the list's name.

    Unwrapped lists (sensorReport) are repeated elements with no list element around them.
    An empty list contributes nothing (vector ignoreEmptyEpcList). `leaf`: `item` never leaves
    leftovers, so the `_nested` bookkeeping is skipped.
    """

    def build(items: list[Any], ctx: _Context) -> str:
        return "".join(sorted(filter(None, [item(item_name, v, ctx) for v in items])))

    def render(name: str, value: Any, ctx: _Context) -> str:
        items = value if isinstance(value, list) else [value]
        if not wrapped:
            return build(items, ctx)
        body = build(items, ctx) if leaf else _nested(name, ctx, lambda: build(items, ctx))
        return name + body if body else ""

    return render


def _epc_list(name: str, value: Any, ctx: _Context) -> str:
    """`_list_of(_scalar(), "epc")`, one pass when every item is a string (the usual case)."""
    items = value if isinstance(value, list) else [value]
    if not set(map(type, items)) <= _STR:
        return _EPCS_GENERAL(name, value, ctx)
    # Sorting the bare texts sorts the `epc=` items alike: they share that prefix.
    keys = ctx.keys
    if keys:
        # A validated identifier has no spaces to trim; with these prefixes its hashed form
        # is its matching key, already computed.
        texts = sorted(
            keys[item] if item.startswith(_URI_PREFIXES) and item in keys else _canon_str(item)
            for item in items
        )
        texts = [text for text in texts if text]
    else:
        texts = sorted(filter(None, map(_canon_str, items)))
    return name + "epc=" + "epc=".join(texts) if texts else ""


def _object(order: tuple[tuple[str, Renderer], ...]) -> Renderer:
    """A standard object: its fields in `order`, then its extensions sorted at its own end."""
    known = frozenset(key for key, _ in order)

    def body(value: JSONDict, ctx: _Context) -> str:
        parts = [fn(key, value[key], ctx) for key, fn in order if value.get(key) is not None]
        extensions: list[str] = []
        for key, item in value.items():
            if key in known:
                continue
            texts = _generic(_expand_name(key, ctx.namespaces), item, ctx)
            (extensions if _is_extension(key) else ctx.leftovers).extend(texts)
        return "".join(parts) + "".join(sorted(extensions))

    def render(name: str, value: Any, ctx: _Context) -> str:
        if not isinstance(value, dict):
            return ""
        text = _nested(name, ctx, lambda: body(value, ctx))
        return name + text if text else ""

    return render


def _typed_list(id_name: str, type_kind: str) -> Renderer:
    """bizTransactionList/sourceList/destinationList: items sorted as in `_list_of`, each
    `type=<CBV URI>` then `<id_name>=<identifier>`. Quirk: `type=` comes first (issue #80).
    """

    def item(value: Any) -> str:
        if not isinstance(value, dict):
            value = {id_name: value}
        kind = value.get("type")
        kind = "" if kind is None else _vocab_text(type_kind, str(kind))
        ident = canon(value.get(id_name, ""))
        return ("type=" + kind if kind else "") + (id_name + "=" + ident if ident else "")

    def render(name: str, value: Any, ctx: _Context) -> str:
        items = value if isinstance(value, list) else [value]
        body = "".join(sorted(filter(None, map(item, items))))
        return name + body if body else ""

    return render


_EPCS_GENERAL = _list_of(_scalar(), "epc", leaf=True)
_QUANTITIES = _list_of(
    _object((("epcClass", _scalar()), ("quantity", _scalar()), ("uom", _scalar()))),
    "quantityElement",
)
_DISPOSITION = _scalar(_vocab("disposition"))
_PLACE_GENERAL = _object((("id", _scalar()),))


def _place(name: str, value: Any, ctx: _Context) -> str:
    """readPoint/bizLocation; short cut for the usual `{"id": "<uri>"}`."""
    if isinstance(value, dict) and len(value) == 1:
        ident = value.get("id")
        if isinstance(ident, str):
            text = _canon_str(ident)
            return name + "id=" + text if text else ""
    return _PLACE_GENERAL(name, value, ctx)


_SENSOR_METADATA = _object(
    (
        ("time", _time),
        ("startTime", _time),
        ("endTime", _time),
        *((key, _scalar()) for key in ("deviceID", "deviceMetadata", "rawData")),
        ("dataProcessingMethod", _scalar()),
        ("bizRules", _scalar()),
    )
)
_REPORT_FIELDS = """exception deviceID deviceMetadata rawData dataProcessingMethod time
    microorganism chemicalSubstance value component stringValue booleanValue hexBinaryValue
    uriValue minValue maxValue meanValue sDev percRank percValue uom coordinateReferenceSystem"""
_REPORT_RENDERERS: dict[str, Renderer] = {
    "type": _scalar(_vocab("measurementType")),
    "exception": _scalar(_vocab("alertType")),
    "time": _time,
    "component": _scalar(_vocab("component")),
}
_SENSOR_REPORT = _object(
    (
        ("type", _REPORT_RENDERERS["type"]),
        *((key, _REPORT_RENDERERS.get(key) or _scalar()) for key in _REPORT_FIELDS.split()),
    )
)
_SENSOR_ELEMENT = _object(
    (
        ("sensorMetadata", _SENSOR_METADATA),
        ("sensorReport", _list_of(_SENSOR_REPORT, "sensorReport", wrapped=False)),
    )
)

# CBV's canonical order, as the reference applies it.
_EVENT_ORDER: tuple[tuple[str, Renderer], ...] = (
    ("eventTime", _time),
    ("eventTimeZoneOffset", _scalar()),  # hashed verbatim, not normalised
    ("certificationInfo", _scalar()),  # quirk: not in the CBV table (issue #75)
    ("parentID", _scalar()),  # quirk: before epcList
    ("epcList", _epc_list),
    ("inputEPCList", _epc_list),
    ("childEPCs", _epc_list),
    ("quantityList", _QUANTITIES),
    ("childQuantityList", _QUANTITIES),
    ("inputQuantityList", _QUANTITIES),
    ("outputEPCList", _epc_list),
    ("outputQuantityList", _QUANTITIES),
    ("action", _scalar()),
    ("transformationID", _scalar()),
    ("bizStep", _scalar(_vocab("bizStep"))),
    ("disposition", _DISPOSITION),
    ("persistentDisposition", _object((("set", _DISPOSITION), ("unset", _DISPOSITION)))),
    ("readPoint", _place),
    ("bizLocation", _place),
    ("sensorElementList", _list_of(_SENSOR_ELEMENT, "sensorElement")),
)
_SLOTS = {key: (position, render) for position, (key, render) in enumerate(_EVENT_ORDER)}

# Quirk: the reference's order entries for these lists never match, so they fall into the
# trailing block that is sorted alphabetically together with ilmd and the user extensions.
_TRAILING: dict[str, Renderer] = {
    "bizTransactionList": _typed_list("bizTransaction", "bizTransactionType"),
    "sourceList": _typed_list("source", "sourceDestType"),
    "destinationList": _typed_list("destination", "sourceDestType"),
}


# --- events ------------------------------------------------------------------------------------


def _other(key: str, value: Any, ctx: _Context, trailing: list[str]) -> None:
    """A top-level member outside the canonical order: into the trailing block, or dropped."""
    if key in _TRAILING:
        trailing.append(_TRAILING[key](key, value, ctx))
    elif key not in _EXCLUDED and not key.startswith("@"):
        name = _expand_name(key, ctx.namespaces)
        if name not in ctx.ignore and name != _RDFS_COMMENT:
            trailing.extend(_generic(name, value, ctx))


def prehash_string(
    data: JSONDict,
    namespaces: Mapping[str, str],
    ignore: Iterable[str] = (),
    keys: Mapping[str, str] | None = None,
) -> str:
    """The canonical pre-hash string of one event.

    `ignore`: top-level extension fields left out of the hash, as CURIEs or `{ns}local` names
    (a document's `ignoreFields` header, see `ignored_fields`). `keys`: the matching keys
    of identifiers already validated (`ParsedEvent.keys`), to avoid converting them again.
    """
    ignored = frozenset(_expand_name(name, namespaces) for name in ignore) if ignore else _NONE
    ctx = _Context(namespaces, ignored, keys or {})
    # One pass over the event's members; ordered ones land in their slot of the canonical order.
    ordered = [""] * len(_EVENT_ORDER)
    trailing: list[str] = []
    for key, value in data.items():
        slot = _SLOTS.get(key)
        if slot is None:
            _other(key, value, ctx, trailing)
        elif value is not None:
            position, render = slot
            ordered[position] = render(key, value, ctx)
    trailing += ctx.leftovers  # sorted together below, so the order they were found in is moot
    return "eventType=" + str(data.get("type", "")) + "".join(ordered) + "".join(sorted(trailing))


def event_hash_id(
    data: JSONDict,
    namespaces: Mapping[str, str],
    ignore: Iterable[str] = (),
    *,
    keys: Mapping[str, str] | None = None,
) -> str:
    """`ni:///sha-256;<lowercase hex>?ver=CBV2.0` of the event's pre-hash string."""
    prehash = prehash_string(data, namespaces, ignore, keys)
    digest = hashlib.sha256(prehash.encode("utf-8")).hexdigest()
    return "ni:///sha-256;" + digest + "?ver=CBV2.0"


def ignored_fields(extensions: Mapping[str, Any], namespaces: Mapping[str, str]) -> frozenset[str]:
    """Field names listed in a document header's `<prefix>:ignoreFields`, as `{ns}local` names.

    The reference honours this header (vectors *HavingEventWithIgnoreFields): JSON gives a
    list of CURIEs, XML empty elements named after the fields.
    """
    names: set[str] = set()
    for key, value in extensions.items():
        if key.rpartition(":")[2] != "ignoreFields":
            continue
        for item in value if isinstance(value, list) else [value]:
            names.update(item if isinstance(item, dict) else [str(item)])
    return frozenset(_expand_name(name, namespaces) for name in names)
