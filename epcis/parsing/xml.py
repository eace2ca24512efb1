"""Parse EPCIS 2.0 XML and EPCIS 1.2 XML (with or without an SBDH header), streaming.

`parse_xml(stream)` returns a `ParsedDocument` whose header (SBDH, master data, other
header elements) is read eagerly and whose events are converted one at a time, as
`lxml.etree.iterparse` reaches the end of each, into the canonical EPCIS 2.0 JSON form
of `epcis.parsing.types`.

Security (DESIGN §8, §10). Before lxml sees the document, the prolog is scanned: a
DOCTYPE may only name the root (`<!DOCTYPE project>`, as in several GS1 examples); any
internal subset with declarations, SYSTEM/PUBLIC identifier or parameter entity is
refused as "forbidden", so nothing is ever fetched or expanded. Every chunk read is also
scanned for entity references other than the five predefined ones; when lxml then fails
(an undeclared entity), the failure is reported as "forbidden", not "malformed". lxml
itself runs with `resolve_entities=False`, `no_network=True`, `load_dtd=False` and
without `huge_tree`.

Streaming. Each direct child of the body's EventList is converted at its end event, then
cleared and its previous siblings deleted, so memory stays flat whatever the number of
events. Errors of the XML syntax found mid-stream are raised from the events iterator as
`DocumentError("malformed")`.

EPCIS 1.2. Wrappers are flattened: `baseExtension` (eventID, errorDeclaration), the
event's `extension` (quantityList, sourceList, destinationList, ilmd,
childQuantityList), `EventList/extension/TransformationEvent` and
`EventList/extension/extension/AssociationEvent`. Unqualified elements in the "future
extension" slots (`##local` in the XSD, e.g. `extension/extension/myField`) have no
meaning in any EPCIS version and no JSON form: they are dropped, except EPCIS 2.0 field
names, which are read as those fields.

XML <-> JSON convention for extensions (checked against GS1's paired examples,
WithFullCombinationOfFields, WithSensorData, ...):

* an element in a non-EPCIS namespace becomes the key `prefix:local`, the prefix being
  the document's own (a default namespace gets an invented `ns1`, `ns2`, ...); every
  prefix used is recorded in `ParsedEvent.namespaces`;
* a child element without namespace (`<example:x><part1>1</part1></example:x>`) becomes
  the bare key `part1`;
* a leaf element is its text, unchanged (no trimming, no typing); `xsi:type` and other
  `xsi:` attributes are type hints only and are dropped, as in GS1's JSON twins
  (`<ext1:int xsi:type="xsd:integer">10</ext1:int>` is `"ext1:int": "10"`);
* an element with children is an object; repeated sibling keys become a list in document
  order (`<ext1:array>` x 3 is `"ext1:array": [...]`);
* other attributes of an extension element become `"@name"` / `"@prefix:name"` members,
  and then non-blank text beside them becomes `"#text"` (text between child elements,
  i.e. mixed content, is not kept);
* an empty element is `""`;
* on `sensorMetadata`/`sensorReport` (attributes in XML) extension attributes are plain
  `prefix:name` members, numbers become JSON numbers and `booleanValue` a bool.

Besides `validation.validated_event`, each event gets the structural errors only XML can
have and the XSD would report: an unknown element in no namespace, a wrong child element,
elements out of XSD order or repeated. A child of EventList that is not an event (an
unknown name, or a vendor element, which belongs in EventList/extension) is an invalid
event of its own. Around the events, the document element, EPCISBody, QueryResults and
resultsBody may hold only what the XSD allows there (`structure`): anything else refuses
the whole document (DocumentError "invalid"), as soon as it is read, at the latest once
the document is (what follows the EventList).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from lxml import etree

import epcis.parsing.structure as structure
from epcis import cbv
from epcis.parsing.structure import EPCIS_NS, MASTERDATA_NS, QUERY_NS
from epcis.parsing.types import DocumentError, EventError, JSONDict, ParsedDocument, ParsedEvent
from epcis.parsing.validation import validated_event
from epcis.xsd_order import BODY as XSD_BODY
from epcis.xsd_order import COMMON as XSD_COMMON

__all__ = ["EPCIS_NS", "MASTERDATA_NS", "QUERY_NS", "guard_xml", "parse_xml"]
SBDH_NS = "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_XSI = "{" + XSI_NS + "}"
_XSI_NIL = _XSI + "nil"
_SBDH_TAG = "{" + SBDH_NS + "}StandardBusinessDocumentHeader"

# ---------------------------------------------------------------------------------------
# Guarding the input: DOCTYPE and entity references are refused before lxml parses.
# ---------------------------------------------------------------------------------------

_MAX_PROLOG = 1 << 20
_CHUNK = 1 << 16
# A DOCTYPE that only names the root element, optionally with an empty internal subset.
_HARMLESS_DOCTYPE = re.compile(r"<!DOCTYPE\s+[^\s\[\]<>'\"%]+\s*(?:\[\s*\]\s*)?>")
_ENTITY_REF = re.compile(rb"&(?!(?:lt|gt|amp|apos|quot);)[A-Za-z_:][-A-Za-z0-9._:]*;")


class _GuardedSource:
    """A file-like wrapper for lxml: checks the prolog, then watches for entity references."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._head = b""
        self._tail = b""
        self.entity_ref: bytes | None = None

    def check_prolog(self) -> None:
        while not _prolog_complete(self._head):
            if not self._read_more():
                return

    def peek_root(self) -> Any:
        """The root element (tag and attributes only), read from the buffered head."""
        peek = etree.XMLPullParser(
            events=("start",), resolve_entities=False, no_network=True, load_dtd=False
        )
        fed = 0
        while True:
            try:
                peek.feed(self._head[fed:])
                fed = len(self._head)
                for _, el in peek.read_events():
                    return el
            except etree.XMLSyntaxError:
                # A later error (the real parse reports it, with its position) may follow
                # the root start tag in the same chunk.
                return next((el for _, el in peek.read_events()), None)
            if not self._read_more():
                return None

    def _read_more(self) -> bool:
        chunk = self._stream.read(_CHUNK)
        if not chunk:
            return False
        self._head += chunk
        if len(self._head) > _MAX_PROLOG:
            raise DocumentError("forbidden", "the XML prolog or root start tag is too long")
        return True

    def read(self, size: int = _CHUNK) -> bytes:
        if self._head:
            data, self._head = self._head[:size], self._head[size:]
        else:
            data = self._stream.read(size)
        if data and self.entity_ref is None:
            # Overlap with the previous chunk so a reference split across reads is seen.
            match = _ENTITY_REF.search(self._tail + data)
            if match:
                self.entity_ref = match.group()
            self._tail = data[-64:]
        return data


def _decode_prolog(buf: bytes) -> str:
    if buf[:3] == b"\xef\xbb\xbf":  # a UTF-8 byte-order mark: the prolog starts after it
        return buf[3:].decode("latin-1")
    if buf[:2] in (b"\xff\xfe", b"\xfe\xff") or buf[:2] in (b"<\x00", b"\x00<"):
        even = buf[: len(buf) & ~1]
        return even.decode("utf-16" if buf[:2] in (b"\xff\xfe", b"\xfe\xff") else _utf16(buf))
    return buf.decode("latin-1")


def _utf16(buf: bytes) -> str:
    return "utf-16-le" if buf[:1] == b"<" else "utf-16-be"


def _prolog_complete(buf: bytes) -> bool:
    """True once the root element starts; raise "forbidden" for a dangerous DOCTYPE."""
    text = _decode_prolog(buf).lstrip("\ufeff")
    pos = 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos >= len(text):
            return False
        if text.startswith("<?", pos) or text.startswith("<!--", pos):
            end = text.find("?>" if text[pos + 1] == "?" else "-->", pos + 2)
            if end < 0:
                return False
            pos = end + 2
        elif text.startswith("<!DOCTYPE", pos):
            pos = _skip_doctype(text, pos)
            if pos < 0:
                return False
        else:
            return len(text) - pos >= 2 or text[pos] != "<"


def _skip_doctype(text: str, pos: int) -> int:
    match = _HARMLESS_DOCTYPE.match(text, pos)
    if match:
        return match.end()
    if ">" not in text[pos:]:
        return -1  # not complete yet: read more
    raise DocumentError(
        "forbidden",
        "DOCTYPE declarations are not accepted: entity declarations, external (SYSTEM/PUBLIC) "
        "identifiers and internal subsets are refused; only <!DOCTYPE name> is allowed",
    )


def entity_error(source: _GuardedSource) -> DocumentError | None:
    """The "forbidden" error for an entity reference `source` has seen, if any."""
    if source.entity_ref is None:
        return None
    ref = source.entity_ref.decode("ascii", "replace")
    return DocumentError(
        "forbidden", f"entity reference {ref} is not allowed (only &lt; &gt; &amp; ...)"
    )


def _syntax_error(error: etree.XMLSyntaxError, source: _GuardedSource) -> DocumentError:
    forbidden = entity_error(source)
    if forbidden is not None:
        return forbidden
    line, column = error.position if error.position else (None, None)
    return DocumentError(
        "malformed", f"malformed XML: {error.msg}", line=line or None, column=column or None
    )


# ---------------------------------------------------------------------------------------
# Per-document conversion context: prefixes and the errors of the event being converted.
# ---------------------------------------------------------------------------------------


class _Context:
    __slots__ = ("version", "_keys", "_uri_prefix", "_prefix_uri", "used", "errors")

    def __init__(self, version: str) -> None:
        self.version = version
        self._keys: dict[str, tuple[str, str, str]] = {}  # "{uri}local" -> (key, prefix, uri)
        self._uri_prefix: dict[str, str] = {}
        self._prefix_uri: dict[str, str] = {}
        self.used: dict[str, str] = {}
        self.errors: list[tuple[str, str]] = []

    def begin(self) -> None:
        self.used = {}
        self.errors = []

    def error(self, path: str, message: str) -> None:
        self.errors.append((path, message))

    def key(self, tag: str, prefix: str | None, nsmap: dict[str | None, str] | None) -> str:
        """The CURIE `prefix:local` for a qualified name `{uri}local`."""
        hit = self._keys.get(tag)
        if hit is None:
            uri, _, local = tag[1:].partition("}")
            if prefix is None and nsmap is not None:
                prefix = next((p for p, u in nsmap.items() if u == uri and p), None)
            chosen = self._prefix_for(uri, prefix)
            hit = self._keys[tag] = (f"{chosen}:{local}", chosen, uri)
        self.used[hit[1]] = hit[2]
        return hit[0]

    def _prefix_for(self, uri: str, prefix: str | None) -> str:
        known = self._uri_prefix.get(uri)
        if known is not None:
            return known
        if prefix is None or prefix in self._prefix_uri:
            number = len(self._prefix_uri) + 1
            while f"ns{number}" in self._prefix_uri:
                number += 1
            prefix = f"ns{number}"
        self._uri_prefix[uri] = prefix
        self._prefix_uri[prefix] = uri
        return prefix

    def element_key(self, el: Any) -> str:
        tag = el.tag
        if tag[0] != "{":
            return tag
        hit = self._keys.get(tag)
        if hit is not None:
            self.used[hit[1]] = hit[2]
            return hit[0]
        return self.key(tag, el.prefix, None)

    def attribute_key(self, name: str, el: Any) -> str:
        if name[0] != "{":
            return name
        hit = self._keys.get(name)
        if hit is not None:
            self.used[hit[1]] = hit[2]
            return hit[0]
        return self.key(name, None, el.nsmap)


# ---------------------------------------------------------------------------------------
# Generic extension content.
# ---------------------------------------------------------------------------------------


def _add(obj: JSONDict, key: str, value: Any) -> None:
    """Set `key`; a repeated key becomes a list (extension values are never lists)."""
    if key in obj:
        existing = obj[key]
        if isinstance(existing, list):
            existing.append(value)
        else:
            obj[key] = [existing, value]
    else:
        obj[key] = value


def _ext_value(el: Any, ctx: _Context) -> Any:
    names = [n for n in el.keys() if not n.startswith(_XSI)]  # noqa: SIM118 (lxml: attributes)
    if not names and not len(el):
        return el.text or ""
    obj: JSONDict = {}
    for name in names:
        obj["@" + ctx.attribute_key(name, el)] = el.get(name)
    text = el.text
    if text and text.strip():
        obj["#text"] = text
    for child in el:
        _add(obj, ctx.element_key(child), _ext_value(child, ctx))
    return obj


def _text(el: Any) -> str:
    text = el.text
    return text.strip() if text else ""


# ---------------------------------------------------------------------------------------
# Standard members. Each handler converts one element to its JSON value.
# ---------------------------------------------------------------------------------------

Handler = Callable[[Any, _Context], Any]
_INTEGER = re.compile(r"[+-]?\d+")
_REPORT_NUMBERS = frozenset(
    {"value", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue"}
)
_REPORT_VOCABULARIES = {"type": "measurementType", "exception": "alertType"}


def _number(text: str, ctx: _Context, path: str) -> Any:
    text = text.strip()
    if _INTEGER.fullmatch(text):
        return int(text)
    try:
        number = float(text)
    except ValueError:
        number = float("nan")
    if number != number or number in (float("inf"), float("-inf")):
        ctx.error(path, f"{text!r} is not a number")
        return text
    return number


def _cbv_handler(kind: str) -> Handler:
    def handle(el: Any, ctx: _Context) -> str:
        return cbv.normalise(kind, _text(el))

    return handle


def _unexpected(ctx: _Context, path: str, child: Any, parent: str) -> None:
    ctx.error(path, f"unexpected element <{child.tag}> in <{parent}>")


def _epc_list(el: Any, ctx: _Context) -> list[str]:
    out = []
    for child in el:
        if child.tag == "epc":
            out.append(_text(child))
        else:
            _unexpected(ctx, el.tag, child, el.tag)
    return out


_QUANTITY_ORDER = {"epcClass": 0, "quantity": 1, "uom": 2}


def _quantity_element(el: Any, ctx: _Context, path: str) -> JSONDict:
    out: JSONDict = {}
    last = -1
    for child in el:
        tag = child.tag
        position = _QUANTITY_ORDER.get(tag, -1)
        if position <= last:
            _unexpected(ctx, path, child, "quantityElement")
            continue
        last = position
        if position != 1:
            out[tag] = _text(child)
        elif child.get(_XSI_NIL) not in ("true", "1"):  # nil: quantity not given (GS1 example)
            out[tag] = _number(child.text or "", ctx, f"{path}.quantity")
    return out


def _quantity_list(el: Any, ctx: _Context) -> list[JSONDict]:
    out: list[JSONDict] = []
    for child in el:
        if child.tag == "quantityElement":
            out.append(_quantity_element(child, ctx, f"{el.tag}[{len(out)}]"))
        else:
            _unexpected(ctx, el.tag, child, el.tag)
    return out


def _location(el: Any, ctx: _Context) -> JSONDict:
    out: JSONDict = {}
    for child in el:
        tag = child.tag
        if tag[0] == "{":
            _add(out, ctx.element_key(child), _ext_value(child, ctx))
        elif tag == "id" and "id" not in out:
            out["id"] = _text(child)
        elif tag == "extension":
            _future_slot(child, ctx, out)
        else:
            _unexpected(ctx, el.tag, child, el.tag)
    return out


def _typed_list(item: str, kind: str) -> Handler:
    """bizTransactionList, sourceList, destinationList: [{"type", item}] (type optional)."""

    def handle(el: Any, ctx: _Context) -> list[JSONDict]:
        out = []
        for child in el:
            if child.tag != item:
                _unexpected(ctx, el.tag, child, el.tag)
                continue
            entry: JSONDict = {}
            kind_value = child.get("type")
            if kind_value is not None:
                entry["type"] = cbv.normalise(kind, kind_value.strip())
            entry[item] = _text(child)
            out.append(entry)
        return out

    return handle


def _persistent_disposition(el: Any, ctx: _Context) -> JSONDict:
    out: JSONDict = {}
    seen_set = False
    for child in el:
        tag = child.tag
        if tag not in ("set", "unset") or (tag == "unset" and seen_set):
            _unexpected(ctx, "persistentDisposition", child, "persistentDisposition")
            continue
        seen_set = seen_set or tag == "set"
        out.setdefault(tag, []).append(cbv.normalise("disposition", _text(child)))
    return out


def _error_declaration(el: Any, ctx: _Context) -> JSONDict:
    # 2.0 XSD: an unbounded choice, so any order (GS1's example puts a vendor element first).
    out: JSONDict = {}
    for child in el:
        tag = child.tag
        if tag[0] == "{":
            _add(out, ctx.element_key(child), _ext_value(child, ctx))
        elif tag == "extension":
            _future_slot(child, ctx, out)
        elif tag == "correctiveEventIDs" and tag not in out:
            out[tag] = _corrective_ids(child, ctx)
        elif tag in ("declarationTime", "reason") and tag not in out:
            value = _text(child)
            out[tag] = cbv.normalise("errorReason", value) if tag == "reason" else value
        else:
            _unexpected(ctx, "errorDeclaration", child, "errorDeclaration")
    return out


def _corrective_ids(el: Any, ctx: _Context) -> list[str]:
    out = []
    for child in el:
        if child.tag == "correctiveEventID":
            out.append(_text(child))
        else:
            _unexpected(ctx, "errorDeclaration.correctiveEventIDs", child, el.tag)
    return out


def _ilmd(el: Any, ctx: _Context) -> JSONDict:
    out: JSONDict = {}
    for child in el:
        if child.tag[0] == "{":
            _add(out, ctx.element_key(child), _ext_value(child, ctx))
        elif child.tag == "extension":
            for inner in child:  # 1.2 ILMDExtensionType (##local): vendors put fields here
                if inner.tag[0] == "{":
                    _add(out, ctx.element_key(inner), _ext_value(inner, ctx))
        else:
            _unexpected(ctx, "ilmd", child, "ilmd")
    return out


def _sensor_attributes(el: Any, ctx: _Context, path: str) -> JSONDict:
    out: JSONDict = {}
    for name, value in el.items():
        if name[0] == "{":
            if not name.startswith(_XSI):
                out[ctx.attribute_key(name, el)] = value
        elif name in _REPORT_NUMBERS:
            out[name] = _number(value, ctx, f"{path}.{name}")
        elif name == "booleanValue":
            out[name] = _boolean(value, ctx, f"{path}.{name}")
        elif name in _REPORT_VOCABULARIES:
            out[name] = cbv.normalise(_REPORT_VOCABULARIES[name], value.strip())
        elif name == "component":
            out[name] = cbv.normalise("component", value.strip())
        else:
            out[name] = value
    return out


def _boolean(text: str, ctx: _Context, path: str) -> Any:
    value = text.strip()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    ctx.error(path, f"{text!r} is not a boolean (true or false)")
    return text


# GS1's 1.2 AssociationEvent sample spells it sensorMetaData, as early 2.0 drafts did.
_METADATA_TAGS = frozenset({"sensorMetadata", "sensorMetaData"})


def _sensor_element(el: Any, ctx: _Context, path: str) -> JSONDict:
    out: JSONDict = {}
    reports: list[JSONDict] = []
    for child in el:
        tag = child.tag
        if tag[0] == "{":
            _add(out, ctx.element_key(child), _ext_value(child, ctx))
        elif tag in _METADATA_TAGS and "sensorMetadata" not in out and not reports:
            out["sensorMetadata"] = _sensor_attributes(child, ctx, f"{path}.sensorMetadata")
        elif tag == "sensorReport":
            report_path = f"{path}.sensorReport[{len(reports)}]"
            reports.append(_sensor_attributes(child, ctx, report_path))
        elif tag == "extension":
            _future_slot(child, ctx, out)
        else:
            _unexpected(ctx, path, child, "sensorElement")
    out["sensorReport"] = reports
    return out


def _sensor_element_list(el: Any, ctx: _Context) -> list[JSONDict]:
    out: list[JSONDict] = []
    for child in el:
        if child.tag == "sensorElement":
            out.append(_sensor_element(child, ctx, f"sensorElementList[{len(out)}]"))
        elif child.tag != "extension":
            _unexpected(ctx, "sensorElementList", child, "sensorElementList")
    return out


def _certification_info(el: Any, ctx: _Context) -> str:
    return _text(el)


HANDLERS: dict[str, Handler] = {
    **dict.fromkeys(
        ("eventTime", "eventTimeZoneOffset", "eventID", "parentID", "transformationID"),
        lambda el, ctx: _text(el),
    ),
    "action": lambda el, ctx: _text(el),
    "certificationInfo": _certification_info,
    "bizStep": _cbv_handler("bizStep"),
    "disposition": _cbv_handler("disposition"),
    **dict.fromkeys(("epcList", "childEPCs", "inputEPCList", "outputEPCList"), _epc_list),
    **dict.fromkeys(
        ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"),
        _quantity_list,
    ),
    "readPoint": _location,
    "bizLocation": _location,
    "bizTransactionList": _typed_list("bizTransaction", "bizTransactionType"),
    "sourceList": _typed_list("source", "sourceDestType"),
    "destinationList": _typed_list("destination", "sourceDestType"),
    "persistentDisposition": _persistent_disposition,
    "errorDeclaration": _error_declaration,
    "sensorElementList": _sensor_element_list,
    "ilmd": _ilmd,
}

# ---------------------------------------------------------------------------------------
# Event structure: the XSD sequences, per syntax version.
# ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Rules:
    """Allowed unqualified children in XSD order; wrappers are flattened into the event."""

    order: dict[str, int]
    wrappers: dict[str, _Rules] = field(default_factory=dict)
    other_last: bool = True  # qualified (vendor) elements must come after the standard ones
    ordered: bool = True


_FUTURE = _Rules({})  # a `##local` slot: unknown unqualified content is dropped


def _rules(names: str, **wrappers: _Rules) -> _Rules:
    return _Rules({name: i for i, name in enumerate(names.split())}, wrappers)


_COMMON_20 = XSD_COMMON
_BODY_20 = XSD_BODY
_ANY_OTHER = _Rules({}, other_last=False)
RULES_20 = {
    name: _rules(
        f"{_COMMON_20} baseExtension {body} extension",
        baseExtension=_ANY_OTHER,
        extension=_ANY_OTHER,
    )
    for name, body in _BODY_20.items()
}
_BASE_12 = _rules("eventID errorDeclaration extension", extension=_FUTURE)
_COMMON_12 = "eventTime recordTime eventTimeZoneOffset baseExtension"
_WHERE_12 = "bizStep disposition readPoint bizLocation bizTransactionList"
RULES_12 = {
    "ObjectEvent": _rules(
        f"{_COMMON_12} epcList action {_WHERE_12} extension",
        baseExtension=_BASE_12,
        extension=_rules(
            "quantityList sourceList destinationList ilmd extension", extension=_FUTURE
        ),
    ),
    "AggregationEvent": _rules(
        f"{_COMMON_12} parentID childEPCs action {_WHERE_12} extension",
        baseExtension=_BASE_12,
        extension=_rules(
            "childQuantityList sourceList destinationList extension", extension=_FUTURE
        ),
    ),
    "TransactionEvent": _rules(
        f"{_COMMON_12} bizTransactionList parentID epcList action bizStep disposition readPoint"
        " bizLocation extension",
        baseExtension=_BASE_12,
        extension=_rules("quantityList sourceList destinationList extension", extension=_FUTURE),
    ),
    "TransformationEvent": _rules(
        f"{_COMMON_12} inputEPCList inputQuantityList outputEPCList outputQuantityList"
        f" transformationID {_WHERE_12} sourceList destinationList ilmd extension",
        baseExtension=_BASE_12,
        extension=_FUTURE,
    ),
    # 1.2 has no AssociationEvent; GS1 carries the 2.0 one in EventList/extension/extension,
    # a lax `##local` slot with no XSD order: read its members in any order, 1.2 wrappers too.
    "AssociationEvent": _Rules(
        dict.fromkeys(RULES_20["AssociationEvent"].order, 0),
        {"baseExtension": _BASE_12, "extension": _FUTURE},
        other_last=False,
        ordered=False,
    ),
}
# 2.0 moved the members of the 1.2 event `extension` (quantityList, sourceList, destinationList,
# ilmd / childQuantityList) into the event and left `extension` to vendor elements. Documents
# written by 1.2-era tools still put those members there; the hash reference reads them, and so
# do we, as if they were written in the event (given both ways is an error, see _members).
for _name in ("ObjectEvent", "AggregationEvent", "TransactionEvent"):
    _legacy = RULES_12[_name].wrappers["extension"].order
    RULES_20[_name].wrappers["extension"] = _Rules(
        {tag: i for i, tag in enumerate(t for t in _legacy if t != "extension")}, other_last=False
    )

# Vendor event types: standard names are read in any order, with no XSD to say otherwise.
_NO_ORDER = _Rules(dict.fromkeys(HANDLERS, 0), other_last=False, ordered=False)


def _future_slot(el: Any, ctx: _Context, data: JSONDict, read_fields: bool = False) -> None:
    """A `##local` extension slot: vendor elements are kept, other unqualified ones dropped.

    In a 1.2 event, EPCIS 2.0 field names found here (sensorElementList, ...) are read as
    those fields: that is where a 1.2 writer can only put them.
    """
    for child in el:
        tag = child.tag
        if tag[0] == "{":
            _add(data, ctx.element_key(child), _ext_value(child, ctx))
        elif read_fields and tag in HANDLERS and tag not in data:
            data[tag] = HANDLERS[tag](child, ctx)


def _members(el: Any, ctx: _Context, data: JSONDict, rules: _Rules) -> None:
    last = -1
    end = len(rules.order)
    for child in el:
        tag = child.tag
        if tag[0] == "{":
            _add(data, ctx.element_key(child), _ext_value(child, ctx))
            if rules.other_last:
                last = end
            continue
        position = rules.order.get(tag)
        if position is None:
            _unexpected(ctx, tag, child, el.tag)
            continue
        if position <= last and rules.ordered:
            ctx.error(tag, f"<{tag}> is out of place or repeated in <{el.tag}> (XSD order)")
        elif tag in data:  # e.g. in the event and again in its 1.2-style <extension>
            ctx.error(tag, f"<{tag}> is given twice")
        last = position
        wrapped = rules.wrappers.get(tag)
        if wrapped is _FUTURE:
            _future_slot(child, ctx, data, read_fields=True)
        elif wrapped is not None:
            _members(child, ctx, data, wrapped)
        elif tag != "recordTime":  # set by the repository at capture, never taken as given
            data[tag] = HANDLERS[tag](child, ctx)


# ---------------------------------------------------------------------------------------
# Header: SBDH, master data, other header elements.
# ---------------------------------------------------------------------------------------

_SBDH_LISTS = frozenset({"Sender", "Receiver", "ContactInformation", "Scope"})


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _sbdh(el: Any, ctx: _Context) -> JSONDict:
    out: JSONDict = {_camel(k): v for k, v in el.items() if k[0] != "{"}
    for child in el:
        uri, _, local = child.tag[1:].partition("}")
        if uri != SBDH_NS:
            _add(out, ctx.element_key(child), _ext_value(child, ctx))
        elif local in _SBDH_LISTS:
            out.setdefault(_camel(local), []).append(_sbdh(child, ctx))
        elif len(child):
            out[_camel(local)] = _sbdh(child, ctx)
        else:
            # A leaf's attributes (Identifier/@Authority) sit beside it: identifier, authority.
            out[_camel(local)] = _text(child)
            out.update((_camel(k), v) for k, v in child.items() if k[0] != "{")
    return out


def _vocabulary_list(el: Any, ctx: _Context) -> list[JSONDict]:
    out = []
    for vocabulary in el:
        if vocabulary.tag != "Vocabulary":
            continue
        entry: JSONDict = {"type": vocabulary.get("type", "")}
        elements: list[JSONDict] = []
        for child in vocabulary:
            if child.tag == "VocabularyElementList":
                elements.extend(_vocabulary_element(v, ctx) for v in child)
            elif child.tag[0] == "{":
                _add(entry, ctx.element_key(child), _ext_value(child, ctx))
        entry["vocabularyElementList"] = elements
        out.append(entry)
    return out


def _vocabulary_element(el: Any, ctx: _Context) -> JSONDict:
    out: JSONDict = {"id": el.get("id", "")}
    attributes: list[JSONDict] = []
    for child in el:
        tag = child.tag
        if tag == "attribute":
            value = _ext_value(child, ctx) if len(child) else (child.text or "").strip()
            if isinstance(value, dict):
                value.pop("@id", None)
            attributes.append({"id": child.get("id", ""), "attribute": value})
        elif tag == "children":
            out["children"] = [_text(c) for c in child if c.tag == "id"]
        elif tag[0] == "{":
            _add(out, ctx.element_key(child), _ext_value(child, ctx))
    if attributes:
        out["attributes"] = attributes
    return out


@dataclass(slots=True)
class _Header:
    sbdh: JSONDict | None = None
    vocabularies: list[JSONDict] = field(default_factory=list)
    extensions: JSONDict = field(default_factory=dict)


def _master_data(el: Any, ctx: _Context, header: _Header) -> None:
    for child in el:
        if child.tag == "VocabularyList":
            header.vocabularies.extend(_vocabulary_list(child, ctx))


def _read_header(el: Any, ctx: _Context, header: _Header) -> None:
    for child in el:
        tag = child.tag
        if tag == _SBDH_TAG:
            header.sbdh = _sbdh(child, ctx)
        elif tag in ("EPCISMasterData", "epcisMasterData"):
            _master_data(child, ctx, header)
        elif tag == "extension":
            for inner in child:
                if inner.tag == "EPCISMasterData":
                    _master_data(inner, ctx, header)
                elif inner.tag[0] == "{":
                    _add(header.extensions, ctx.element_key(inner), _ext_value(inner, ctx))
        elif tag[0] == "{":
            _add(header.extensions, ctx.element_key(child), _ext_value(child, ctx))


# ---------------------------------------------------------------------------------------
# The document: root, header, then the streamed event list.
# ---------------------------------------------------------------------------------------

_DOCUMENT_TYPES = {
    **{(ns, "EPCISDocument"): v for ns, v in EPCIS_NS.items()},
    **{(ns, "EPCISQueryDocument"): v for ns, v in QUERY_NS.items()},
    **{(ns, "EPCISMasterDataDocument"): v for ns, v in MASTERDATA_NS.items()},
}
_LIST_PARENTS = frozenset({"EPCISBody", "resultsBody"})
_EPCIS_NAMESPACES = structure.EPCIS_NAMESPACES


# Only these elements are reported by iterparse: the rest of an event is read from its tree.
_STREAM_TAGS = (
    "EPCISHeader",
    "EPCISBody",
    "resultsBody",
    "EventList",
    "VocabularyList",
    "extension",
    *_BODY_20,
    "QuantityEvent",
)


_EVENT_TAGS = frozenset({*_BODY_20, "QuantityEvent"})


def _split(tag: str) -> tuple[str, str]:
    """(namespace or "", local name) of an lxml tag."""
    if tag[0] != "{":
        return "", tag
    uri, _, local = tag[1:].partition("}")
    return uri, local


def _check_root(root: Any) -> tuple[str, str]:
    """(document type, syntax version) of an EPCIS root; "not_epcis" otherwise."""
    uri, local = _split(root.tag if root is not None else "{}")
    version = _DOCUMENT_TYPES.get((uri, local))
    if version is None:
        raise DocumentError("not_epcis", structure.root_problem(uri, local))
    return local, version


def _structure_problem(
    document_type: str, container: str, el: Any, complete: bool
) -> tuple[str, int | None] | None:
    """The first child of `el` (and, below, of the containers in it) that the XSD does not
    allow there, as (message, line); with `complete`, also a required child that is missing."""
    seen: list[str] = []
    for child in el:
        if not isinstance(child.tag, str):  # a comment or processing instruction
            continue
        uri, local = _split(child.tag)
        problem = structure.child_problem(document_type, container, uri, local, seen)
        if problem is not None:
            return problem, child.sourceline
        if not uri or uri in _EPCIS_NAMESPACES:
            seen.append(local)
        inner = structure.inner_container(document_type, container, uri, local)
        if inner is not None:
            found = _structure_problem(document_type, inner, child, complete)
            if found is not None:
                return found
    problem = structure.missing_problem(document_type, container, seen) if complete else None
    return (problem, el.sourceline) if problem is not None else None


def _is_root(el: Any) -> bool:
    return el is not None and el.getparent() is None


class _Reader:
    def __init__(self, source: _GuardedSource, root: Any) -> None:
        self.source = source
        self.events_iter = etree.iterparse(
            source,
            events=("start", "end"),
            tag=_STREAM_TAGS,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            remove_blank_text=True,
        )
        self.document_type, version = _check_root(root)
        self.ctx = _Context(version)
        self.schema_version: str | None = root.get("schemaVersion")
        self.creation_date: str | None = root.get("creationDate")
        self.event_list: Any = None
        self.header = _Header()
        self.has_body = False
        self.index = 0

    def read(self) -> ParsedDocument:
        try:
            self._read_until_event_list()
        except etree.XMLSyntaxError as error:
            raise _syntax_error(error, self.source) from None
        if self.event_list is None:  # the whole document is read: all of it can be checked
            self._check_structure(complete=True)
        if not self.has_body:
            raise DocumentError("invalid", f"<{self.document_type}> has no EPCISBody")
        ctx = self.ctx
        return ParsedDocument(
            syntax=f"xml-{ctx.version}",
            document_type=self.document_type,
            schema_version=self.schema_version,
            creation_date=self.creation_date,
            events=self._events() if self.event_list is not None else iter(()),
            sbdh=self.header.sbdh,
            vocabularies=self.header.vocabularies,
            header_extensions=self.header.extensions,
            namespaces=dict(ctx.used),
        )

    def _read_until_event_list(self) -> None:
        for event, el in self.events_iter:
            tag = el.tag
            if event == "start":
                if self._is_body(el, tag):
                    self.has_body = True
                    self._read_root_extensions(el)
                elif tag == "EventList" and el.getparent().tag in _LIST_PARENTS:
                    self._check_structure(complete=False)
                    self.event_list = el
                    return
                elif tag in _EVENT_TAGS:  # an event outside the EventList (e.g. <Eventlist>)
                    self._check_structure(complete=False)
            elif tag == "EPCISHeader" and _is_root(el.getparent()):
                _read_header(el, self.ctx, self.header)
            elif tag == "VocabularyList" and el.getparent().tag in _LIST_PARENTS:
                self.header.vocabularies.extend(_vocabulary_list(el, self.ctx))

    def _check_structure(self, complete: bool) -> None:
        """Refuse the document if what is read of it so far holds an element the XSD does not
        allow around the events (see `structure`): such a document would lose what is in it."""
        root = self.events_iter.root
        found = (
            None if root is None else _structure_problem(self.document_type, "root", root, complete)
        )
        if found is not None:
            message, line = found
            raise DocumentError("invalid", message, line=line)

    def _is_body(self, el: Any, tag: str) -> bool:
        """EPCISBody under the root; or, in a query document, resultsBody right under the root
        (no EPCISBody and QueryResults around it), a shape the hash reference reads too."""
        if tag == "resultsBody" and self.document_type != "EPCISQueryDocument":
            return False
        return tag in ("EPCISBody", "resultsBody") and _is_root(el.getparent())

    def _read_root_extensions(self, body: Any) -> None:
        """Vendor elements of the root before the body join the header's: e.g. a repository's
        `ignoreFields`, which the event hash honours. (Ones after the body come too late.)"""
        ctx, extensions = self.ctx, self.header.extensions
        for child in body.getparent():
            if child is body:
                break
            tag = child.tag if isinstance(child.tag, str) else ""  # not a comment or PI
            uri = tag[1:].partition("}")[0] if tag[:1] == "{" else None
            if uri is not None and uri not in _EPCIS_NAMESPACES:
                _add(extensions, ctx.element_key(child), _ext_value(child, ctx))

    @staticmethod
    def fail_malformed(source: _GuardedSource) -> None:
        try:
            for _ in etree.iterparse(
                source, resolve_entities=False, no_network=True, load_dtd=False
            ):
                pass
        except etree.XMLSyntaxError as error:
            raise _syntax_error(error, source) from None
        raise DocumentError("malformed", "no XML element found")

    def _events(self) -> Iterator[ParsedEvent]:
        try:
            yield from self._stream_events()
        except etree.XMLSyntaxError as error:
            raise _syntax_error(error, self.source) from None

    def _stream_events(self) -> Iterator[ParsedEvent]:
        event_list = self.event_list
        for event, el in self.events_iter:
            if event == "start" or el.getparent() is not event_list:
                if el is event_list:
                    break
                continue
            # Children before `el` still here were not reported: unknown or vendor elements.
            # (iterparse reports in batches, so later siblings may already exist too.)
            while event_list[0] is not el:
                yield from self._list_child(event_list[0])
                del event_list[0]
            yield from self._list_child(el)
            el.clear()
            del event_list[0]
        for child in event_list:
            yield from self._list_child(child)
        for _ in self.events_iter:  # the rest must still be well-formed
            pass
        self._check_structure(complete=True)

    def _list_child(self, el: Any) -> Iterator[ParsedEvent]:
        tag = el.tag
        version = self.ctx.version
        rules = _rules_for(version, tag)
        if rules is not None and not (version == "1.2" and tag in _WRAPPED_12):
            yield self._event(el, tag, rules)
        elif tag == "extension":
            yield from self._wrapped(el)
        elif tag[0] == "{":
            yield self._bad_event(tag, _vendor_event_problem(el))
        elif rules is not None:
            yield self._bad_event(tag, f"in EPCIS 1.2 a {tag} must be inside EventList/extension")
        else:
            yield self._bad_event(tag, _list_child_problem(version, tag))

    def _wrapped(self, el: Any) -> Iterator[ParsedEvent]:
        """EventList/extension: 1.2 TransformationEvent, extension/AssociationEvent; vendors."""
        for child in el:
            tag = child.tag
            if tag[0] == "{":
                yield self._event(child, None, _NO_ORDER)
            elif tag == "TransformationEvent":
                yield self._event(child, tag, RULES[self.ctx.version][tag])
            elif tag == "extension":
                yield from self._wrapped_twice(child)
            else:
                yield self._bad_event(tag, f"<{tag}> is not an EPCIS event type")

    def _wrapped_twice(self, el: Any) -> Iterator[ParsedEvent]:
        for child in el:
            if child.tag == "AssociationEvent":
                yield self._event(child, "AssociationEvent", RULES_12["AssociationEvent"])
            elif child.tag[0] == "{":
                yield self._event(child, None, _NO_ORDER)
            else:
                yield self._bad_event(child.tag, f"<{child.tag}> is not an EPCIS event type")

    def _event(self, el: Any, type_name: str | None, rules: _Rules) -> ParsedEvent:
        ctx = self.ctx
        ctx.begin()
        index = self.index
        self.index += 1
        data: JSONDict = {"type": type_name or ctx.element_key(el)}
        _members(el, ctx, data, rules)
        event_id = data.get("eventID")
        event_id = event_id if isinstance(event_id, str) else None
        errors = [EventError(index, event_id, path, message) for path, message in ctx.errors]
        parsed = validated_event(data, ctx.used, index)
        parsed.errors[:0] = errors
        return parsed

    def _bad_event(self, tag: str, message: str) -> ParsedEvent:
        index = self.index
        self.index += 1
        if tag == "QuantityEvent":
            message = "QuantityEvent (deprecated in EPCIS 1.2, removed in 2.0) is not supported"
        return ParsedEvent(index, {"type": tag}, {}, [EventError(index, None, "type", message)])


# In 1.2 these event types may only appear inside EventList/extension (/extension).
_WRAPPED_12 = frozenset({"TransformationEvent", "AssociationEvent"})
# The children of EventList in the XSD of each version.
_LIST_CHILDREN = {
    "2.0": (*_BODY_20, "extension"),
    "1.2": ("ObjectEvent", "AggregationEvent", "QuantityEvent", "TransactionEvent", "extension"),
}


def _list_child_problem(version: str, tag: str) -> str:
    expected = _LIST_CHILDREN[version]
    hint = next(
        (f" (names are case-sensitive: <{n}>)" for n in expected if n.lower() == tag.lower()), ""
    )
    names = ", ".join(f"<{name}>" for name in expected)
    return f"<{tag}> is not an EPCIS event type: <EventList> holds {names}{hint}"


def _vendor_event_problem(el: Any) -> str:
    """EventList has no extension point (no xs:any): vendor events go in its <extension>."""
    uri, local = _split(el.tag)
    name = f"{el.prefix}:{local}" if el.prefix else local
    return (
        f"<{name}> (namespace {uri}) is not allowed directly in <EventList>: a vendor event "
        "type goes inside <EventList><extension>"
    )


RULES = {"2.0": RULES_20, "1.2": RULES_12}


def _rules_for(version: str, type_name: str) -> _Rules | None:
    return RULES[version].get(type_name)


def parse_xml(stream: BinaryIO) -> ParsedDocument:
    """Parse an EPCIS XML document; raise `DocumentError` if it cannot be read at all."""
    source = _GuardedSource(stream)
    source.check_prolog()
    root = source.peek_root()
    if root is None:  # not even a start tag: let the parser say where it breaks
        _Reader.fail_malformed(source)
    return _Reader(source, root).read()


def guard_xml(stream: BinaryIO) -> tuple[_GuardedSource, str]:
    """The checks `parse_xml` makes before parsing, for a cheap check at upload time.

    Refuses a dangerous DOCTYPE and a root that is not an EPCIS document (DocumentError);
    returns the document type and a reader of the whole document whose `entity_ref` notes
    the first entity reference it passes (see `entity_error`).
    """
    source = _GuardedSource(stream)
    source.check_prolog()
    root = source.peek_root()
    if root is None:
        _Reader.fail_malformed(source)
    return source, _check_root(root)[0]
