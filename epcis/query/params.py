"""The EPCIS 2.0 query language as ONE declarative table: every parameter, fixed-name or
flexible-name family, is a regex on the parameter name, a parser for its value and a
builder for its condition (reference §3.1 and §3.2).

GS1's query-schema.json is not used as a validator (its flexible-name patterns are
double-escaped and can never match, reference §0.5); django-filter's FilterSet is not
used either: it declares fixed field names, while half of the language is families whose
name carries the field, type or unit, and every condition here is an EXISTS subquery.
Rows are tried in order and the first whose pattern matches the whole name wins, so the
specific families sit before the catch-all extension-field ones.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q

from epcis import cbv
from epcis.identifiers import (
    DL_BASE,
    IdentifierError,
    canonical,
    element_string_key,
    gs1_check_digit,
    pattern_match_key,
    to_epc_urn,
)
from epcis.models import Event, EventCapture
from epcis.parsing.validation import FIELDS_BY_TYPE, parse_time
from epcis.problems import EPCISError
from epcis.query import filters as f

Parser = Callable[[str], Any]


class QueryParameterError(EPCISError, ValueError):
    """A parameter the client must fix: answered 400 QueryParameterException."""

    exception = "QueryParameterException"


class Doubtful(ValueError):
    """Values no valid event holds, though an event stored as sent may (a "store and warn"
    partner's: a bizStep `shiping`, a GTIN with a wrong check digit). `value` is the
    parameter's value with them taken as given, `doubtful` the part they make up; parse_query
    keeps them when an event the caller may read has one, and refuses them otherwise."""

    def __init__(self, message: str, value: list[Any], doubtful: list[Any]) -> None:
        super().__init__(message)
        self.value, self.doubtful = value, doubtful


# -- value parsers ----------------------------------------------------------------------


def text_list(raw: str) -> list[str]:
    values = [value.strip() for value in raw.split("|") if value.strip()]
    if not values:
        raise ValueError("needs at least one value")
    return values


def time_value(raw: str) -> datetime:
    # An unescaped `+01:00` in a query string arrives as ` 01:00`: put the plus back.
    return parse_time(raw.strip().replace(" ", "+"))


def number_value(raw: str) -> float:
    number = float(raw)
    if not math.isfinite(number):
        raise ValueError("must be a finite number")
    return number


def count_value(raw: str) -> int:
    if not raw.strip().isdigit():
        raise ValueError("must be a non-negative integer")
    return int(raw)


def boolean_value(raw: str) -> bool:
    if raw.strip().lower() not in ("true", "false"):
        raise ValueError("must be true or false")
    return raw.strip().lower() == "true"


def ignored(raw: str) -> None:
    """EXISTS_ parameters: their presence is the condition, any value is accepted."""


def actions(raw: str) -> list[str]:
    values = text_list(raw)
    wrong = [value for value in values if value not in ("ADD", "OBSERVE", "DELETE")]
    if wrong:
        raise ValueError(f"{wrong[0]!r} is not ADD, OBSERVE or DELETE")
    return values


EVENT_TYPES = tuple(FIELDS_BY_TYPE)


def event_types(raw: str) -> list[str]:
    values = text_list(raw)
    for value in values:
        if value not in EVENT_TYPES:
            near = cbv.closest_word(value, EVENT_TYPES)
            guess = f" Did you mean {near}?" if near else ""
            raise ValueError(
                f"{value!r} is not an event type.{guess} Event types: {', '.join(EVENT_TYPES)}."
            )
    return values


def cbv_list(kind: str) -> Parser:
    """Any form of a standard value (word, Web URI, URN, CURIE) finds the stored bare word. A
    value that is neither standard nor a custom URI can never have been captured: refused."""

    def parse(raw: str) -> list[str]:
        values = text_list(raw)
        parsed = [cbv.normalise(kind, value) for value in values]
        doubtful = [value for value in values if cbv.problem(kind, value) is not None]
        if doubtful:
            problem = cbv.problem(kind, doubtful[0]) or ""
            raise Doubtful(_cbv_advice(kind, doubtful[0], problem), parsed, doubtful)
        return parsed

    return parse


def _cbv_advice(kind: str, value: str, problem: str) -> str:
    listed = _comma_list(value, lambda part: cbv.problem(kind, part) is None)
    if listed:
        return listed
    near = cbv.closest(kind, value)
    guess = f" Did you mean {near}?" if near else ""
    example = near or min(cbv.VOCABULARIES[kind].words)
    forms = list(dict.fromkeys([example, cbv.urn(kind, example), cbv.web_uri(kind, example)]))
    return (
        f"{problem}.{guess} A standard value may be written as {' or '.join(forms)};"
        " a value of your own as an absolute URI (https://example.com/..., urn:example:...)."
    )


def _comma_list(value: str, valid: Callable[[str], bool]) -> str:
    """What to say of `a,b` when `a` and `b` are each a valid value (lists take `|`), or ""."""
    parts = [part.strip() for part in value.split(",")]
    if len(parts) < 2 or not all(part and valid(part) for part in parts):
        return ""
    return (
        f"{value!r} reads as {len(parts)} values: separate the values of a list with '|',"
        f" not ',' ({'|'.join(parts)})."
    )


def _name_vocabulary_problem(match: re.Match[str], kinds: tuple[tuple[str, str], ...]) -> str:
    """EQ_bizTransaction_<type>, EQ_source_<type>: the type in the name is a CBV value too.
    What is wrong with it, or "" (a doubtful value: see `Doubtful`)."""
    for group, kind in kinds:
        value = match[group]
        problem = cbv.problem(kind, value)
        if problem is None:
            continue
        near = cbv.closest(kind, value)
        start, end = match.span(group)
        name = match.string
        guess = f" Did you mean {name[:start]}{near}{name[end:]}?" if near else ""
        words = ", ".join(sorted(cbv.VOCABULARIES[kind].words))
        return f"{name}: {problem}.{guess} The standard ones: {words}; or a URI of your own."
    return ""


# -- identifiers ------------------------------------------------------------------------
#
# Identifier values are taken as captured (an EPC URN, a GS1 Digital Link, or any other
# absolute URI) or as barcode data, the GS1 element string as printed or scanned
# (architecture §4). What a parameter wants decides which key of the data it takes:
# `(01)G(21)S(10)L` is the unit for MATCH_epc and the lot for MATCH_epcClass.

_ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")
# A GTIN-8/12/13/14 or an SSCC alone: which key it is, and that it is the whole identifier,
# only the writer knows. Other digit strings are read as a raw element string (01...21...).
_KEY_LENGTHS = frozenset({8, 12, 13, 14, 18})
# The fields of an EPC URN without its `urn:epc:id:<scheme>:` (4012345.011111.1001).
_URN_FIELDS = re.compile(r"[0-9]{6,12}\.[0-9]*(\.\S*)?")
_EXAMPLES = {
    "instance": (
        "an EPC URN (urn:epc:id:sgtin:4012345.011111.1001), an EPC pattern"
        " (urn:epc:idpat:sgtin:4012345.011111.*), a GS1 Digital Link"
        " (https://id.gs1.org/01/04012345111118/21/1001), a GS1 element string as printed or"
        " scanned ((01)04012345111118(21)1001) or another absolute URI"
    ),
    "class": (
        "an EPC class URN (urn:epc:class:lgtin:4012345.011111.LOT1), an EPC pattern"
        " (urn:epc:idpat:sgtin:4012345.011111.*: the GTIN and its lots), a GS1 Digital Link"
        " (https://id.gs1.org/01/04012345111118/10/LOT1), a GS1 element string as printed or"
        " scanned ((01)04012345111118(10)LOT1) or another absolute URI"
    ),
    "location": (
        "an EPC URN (urn:epc:id:sgln:4012345.00001.0), a GS1 Digital Link"
        " (https://id.gs1.org/414/4012345000016), a GS1 element string as printed or scanned"
        " ((414)4012345000016(254)1) or another absolute URI"
    ),
    "any": (
        "an EPC URN (urn:epc:id:pgln:4012345.00000), a GS1 Digital Link"
        " (https://id.gs1.org/417/4012345000009), a GS1 element string as printed or scanned"
        " ((417)4012345000009) or another absolute URI"
    ),
}


@dataclass(frozen=True)
class Identifiers:
    """The parser of a parameter taking identifiers: `want` is "instance", "class",
    "location" or "any" (see `element_string_key`); `patterns`: EPC patterns too (MATCH_*),
    each value then parsed to a `pattern_match_key`."""

    want: str
    patterns: bool = False

    def __call__(self, raw: str) -> list[Any]:
        out, doubtful, message = [], [], ""
        for value in text_list(raw):
            try:
                out.append(self.one(value))
            except IdentifierError as exc:  # a URI, malformed as a GS1 key: doubtful
                as_given = ("exact", value) if self.patterns else value
                out.append(as_given)
                doubtful.append(as_given)
                message = message or _comma_list(value, self.parses) or str(exc).strip()
            except ValueError as exc:  # not a URI: no event holds it
                raise ValueError(_comma_list(value, self.parses) or str(exc).strip()) from None
        if doubtful:
            raise Doubtful(message, out, doubtful)
        return out

    def one(self, value: str) -> Any:
        if _ABSOLUTE_URI.fullmatch(value):
            return pattern_match_key(value) if self.patterns else canonical(value)
        key = _scanned(value, self.want)
        return ("exact", key) if self.patterns else key

    def parses(self, value: str) -> bool:
        try:
            self.one(value)
        except (ValueError, IdentifierError):
            return False
        return True


def identifier_list(want: str) -> Identifiers:
    """URN, Digital Link or element string: each finds the same canonical form."""
    return Identifiers(want)


def pattern_list(want: str) -> Identifiers:
    """MATCH_* values: identifiers, element strings or EPC patterns (`urn:epc:idpat:...`)."""
    return Identifiers(want, patterns=True)


def _scanned(value: str, want: str) -> str:
    """The canonical key of barcode data; ValueError (never IdentifierError: capture stores
    no value that is not a URI) saying which forms are accepted."""
    forms = f"Give {_EXAMPLES[want]}."
    if value.isdigit() and len(value) in _KEY_LENGTHS:
        raise ValueError(f"a bare number is not an identifier. {_number_hint(value, want)}{forms}")
    if _URN_FIELDS.fullmatch(value):
        raise ValueError(
            f"{value!r} looks like the fields of an EPC URN without its prefix"
            f" (urn:epc:id:sgtin:{value} for a unit). {forms}"
        )
    if value[:1].isalpha():
        raise ValueError(f"{value!r} is not an identifier. {forms}")
    try:
        return element_string_key(value, want)
    except IdentifierError as exc:
        hint = f" {forms}" if value.isdigit() else _wrong_kind_hint(value, want)
        raise ValueError(f"{exc}.{hint}") from None


def _number_hint(digits: str, want: str) -> str:
    """What a bare GTIN, GLN or SSCC is written as, when it is one (its check digit holds)."""
    if len(digits) < 8 or gs1_check_digit(digits[:-1]) != digits[-1]:
        return ""
    if len(digits) == 18:
        return f"As an SSCC: (00){digits} or {DL_BASE}00/{digits}. "
    if len(digits) == 13 and want == "location":
        return f"As a GLN: (414){digits} or {DL_BASE}414/{digits}. "
    if len(digits) == 13 and want == "any":
        return f"As a GLN: (417){digits} for a party, (414){digits} for a location. "
    if len(digits) in (8, 12, 13, 14) and want in ("instance", "class"):
        gtin = digits.zfill(14)
        lead = ", which names a product, not an item." if want == "instance" else ""
        return f"{gtin} is a GTIN{lead}{_gtin_hint(gtin, want)} "
    return ""


def _gtin_hint(gtin: str, want: str) -> str:
    """How to find the events of a GTIN's items ("instance") or lots ("class")."""
    dl = f"{DL_BASE}01/{gtin}"
    pattern = to_epc_urn(dl)  # urn:epc:idpat:sgtin:CP.IR.* when the company prefix is known
    if want == "class":
        return (
            f": the GTIN and each of its lots are {pattern or dl}; one lot is"
            f" (01){gtin}(10)<lot> or {dl}/10/<lot>; the GTIN class alone is {dl}."
        )
    every = f"; every item of it is {pattern}" if pattern else ""
    return (
        f" One item of it is (01){gtin}(21)<serial> or {dl}/21/<serial>{every}; its lots"
        " and quantities are found by MATCH_epcClass or MATCH_anyEPCClass with"
        f" {f'{pattern} or ' if pattern else ''}(01){gtin}(10)<lot>."
    )


def _wrong_kind_hint(value: str, want: str) -> str:
    """After `element_string_key(value, want)` refused data: what to do with what it names
    instead. Malformed data needs no more than its error."""
    try:
        key = element_string_key(value)
    except IdentifierError:
        return ""
    gtin = key[len(DL_BASE) + 3 :][:14] if key.startswith(f"{DL_BASE}01/") else None
    if want == "instance" and gtin and "/10/" in key:
        return (
            f" Its events are found by MATCH_epcClass or MATCH_anyEPCClass={value}; one item"
            f" of it is (01){gtin}(21)<serial>."
        )
    if want == "instance" and gtin:
        return _gtin_hint(gtin, want)
    if want == "class":
        return " A class is a GTIN or a lot: (01)<GTIN> or (01)<GTIN>(10)<lot>."
    return f" Give {_EXAMPLES[want]}."


def comparable_value(raw: str) -> float | datetime:
    """GT_/LT_ on an extension field: a number, or else a time."""
    try:
        return number_value(raw)
    except ValueError:
        return time_value(raw)


def typed_list(raw: str) -> list[str | float | datetime]:
    """EQ_ on an extension field: each value as a number or time when it reads as one."""
    return [_typed(value) for value in text_list(raw)]


def _typed(value: str) -> str | float | datetime:
    for parse in (number_value, time_value):
        try:
            return parse(value)
        except ValueError:
            continue
    return value


# -- the table --------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    pattern: re.Pattern[str]
    parse: Parser
    build: f.Builder | None = None  # None: a control (ordering, limits, paging)
    # Groups of the name holding a CBV value, and its kind: (("type", "sourceDestType"),)
    name_kinds: tuple[tuple[str, str], ...] = ()
    scanned: bool = False  # takes barcode data, whose raw form holds GS separators


def param(
    pattern: str,
    parse: Parser,
    build: f.Builder | None = None,
    *,
    name_kinds: tuple[tuple[str, str], ...] = (),
) -> Param:
    scanned = isinstance(parse, Identifiers)
    return Param(re.compile(pattern), parse, build, name_kinds, scanned)


_CMP = r"(?P<op>EQ|GT|GE|LT|LE)"
_GE_LT = r"(?P<op>GE|LT)"
_UOM = r"(?P<uom>[A-Z0-9]{2,4})"
# An extension field: a CURIE (prefix:local) or a 1.2-style namespace#local.
_FIELD = r"(?P<field>[A-Za-z_][\w.\-]*:[\w.\-]+|\S+#[\w.\-]+)"
_SCOPE = (
    r"(?P<inner>INNER_)?(?P<scope>ILMD_|ERROR_DECLARATION_|SENSORELEMENT_|SENSORMETADATA_"
    r"|SENSORREPORT_|readPoint_|bizLocation_)?"
)

PARAMETERS: tuple[Param, ...] = (
    # Controls
    param(r"orderBy", str.strip),
    param(r"orderDirection", str.strip),
    param(r"eventCountLimit", count_value),
    param(r"maxEventCount", count_value),
    param(r"perPage", count_value),
    param(r"nextPageToken", str),
    # Event columns
    param(r"eventType", event_types, f.listed_column_in("eventTypes")),
    param(rf"{_GE_LT}_eventTime", time_value, f.column_compared("event_time")),
    param(rf"{_GE_LT}_recordTime", time_value, f.column_compared("record_time")),
    param(r"EQ_action", actions, f.column_in("action")),
    param(r"EQ_bizStep", cbv_list("bizStep"), f.listed_column_in("bizSteps")),
    param(r"EQ_disposition", cbv_list("disposition"), f.listed_column_in("dispositions")),
    param(r"EQ_readPoint", identifier_list("location"), f.listed_column_in("readPoints")),
    param(r"WD_readPoint", identifier_list("location"), f.location_with_descendants("read_point")),
    param(r"EQ_bizLocation", identifier_list("location"), f.listed_column_in("bizLocations")),
    param(
        r"WD_bizLocation", identifier_list("location"), f.location_with_descendants("biz_location")
    ),
    param(r"EQ_transformationID", text_list, f.column_in("transformation_id")),
    param(r"EQ_eventID", text_list, f.event_id_in),
    # Error declarations (the query schema spells the times with an underscore)
    param(r"EXISTS_errorDeclaration", ignored, f.has_error_declaration),
    param(rf"{_GE_LT}_errorDeclaration_?Time", time_value, f.column_compared("declaration_time")),
    param(r"EQ_errorReason", cbv_list("errorReason"), f.error_reason_in),
    param(r"EQ_correctiveEventID", text_list, f.vocabulary_value_in("cor")),
    # Persistent disposition
    param(r"EQ_persistentDisposition_set", cbv_list("disposition"), f.vocabulary_value_in("pds")),
    param(r"EQ_persistentDisposition_unset", cbv_list("disposition"), f.vocabulary_value_in("pdu")),
    # Identifiers and quantities
    param(
        r"MATCH_(?P<what>epc|parentID|inputEPC|outputEPC|anyEPC)",
        pattern_list("instance"),
        f.identifier_matches,
    ),
    param(
        r"MATCH_(?P<what>epcClass|inputEPCClass|outputEPCClass|anyEPCClass)",
        pattern_list("class"),
        f.identifier_matches,
    ),
    param(rf"{_CMP}_quantity(?:_{_UOM})?", number_value, f.quantity_compared),
    # Sensor data
    param(r"EXISTS_sensorElement(?:List)?", ignored, f.has_sensor_data),
    param(rf"{_GE_LT}_time", time_value, f.sensor_compared("time")),
    param(rf"{_GE_LT}_startTime", time_value, f.sensor_compared("start_time")),
    param(rf"{_GE_LT}_endTime", time_value, f.sensor_compared("end_time")),
    param(r"EQ_type", cbv_list("measurementType"), f.sensor_in("type")),
    param(r"EQ_deviceID", text_list, f.sensor_in("device_id")),
    param(r"EQ_dataProcessingMethod", text_list, f.sensor_in("data_processing_method")),
    param(r"EQ_microorganism", text_list, f.sensor_in("microorganism")),
    param(r"EQ_chemicalSubstance", text_list, f.sensor_in("chemical_substance")),
    param(r"EQ_bizRules", text_list, f.sensor_in("biz_rules")),
    param(r"EQ_stringValue", text_list, f.sensor_in("string_value")),
    param(r"EQ_booleanValue", boolean_value, f.sensor_equal("boolean_value")),
    param(r"EQ_hexBinaryValue", text_list, f.sensor_in("hex_binary_value")),
    param(r"EQ_uriValue", text_list, f.sensor_in("uri_value")),
    param(r"(?P<op>GT|GE|LT|LE)_percRank", number_value, f.sensor_compared("perc_rank")),
    param(
        rf"{_CMP}_(?P<member>value|minValue|maxValue|meanValue|sDev|percValue)_{_UOM}",
        number_value,
        f.sensor_value_in_unit,
    ),
    # Typed lists
    param(
        r"EQ_bizTransaction_(?P<type>.+)",
        text_list,
        f.biz_transaction_in,
        name_kinds=(("type", "bizTransactionType"),),
    ),
    param(
        r"EQ_(?P<which>source|destination)_(?P<type>.+)",
        identifier_list("any"),
        f.source_destination_in,
        name_kinds=(("type", "sourceDestType"),),
    ),
    # Master-data attributes
    param(
        r"(?P<kind>HASATTR)_(?P<field>bizLocation|readPoint|epc|epcClass)",
        text_list,
        f.has_attribute,
    ),
    param(
        r"(?P<kind>EQATTR)_(?P<field>bizLocation|readPoint|epc|epcClass)_(?P<attr>.+)",
        text_list,
        f.has_attribute,
    ),
    # Extension fields, last: their names are the most general
    param(rf"EXISTS_{_SCOPE}{_FIELD}", ignored, f.extension_field_exists),
    param(rf"(?P<op>EQ)_{_SCOPE}{_FIELD}", typed_list, f.extension_field_compared),
    param(rf"(?P<op>GT|GE|LT|LE)_{_SCOPE}{_FIELD}", comparable_value, f.extension_field_compared),
)

ORDER_KEYS = {"eventTime": "event_time", "recordTime": "record_time"}
# orderBy may also name a top-level extension field, written as for EQ_<field>.
ORDER_FIELD = re.compile(_FIELD)


@dataclass(frozen=True)
class EventQuery:
    """A parsed query: the conditions (ANDed) and how results are ordered and bounded."""

    conditions: list[Q]
    order_key: str = "event_time"
    # orderBy on an extension field: the condition selecting its ExtensionField rows.
    order_field: Q | None = None
    descending: bool = True
    event_count_limit: int | None = None
    max_event_count: int | None = None
    per_page: int | None = None
    next_page_token: str | None = None
    fingerprint: str = ""
    controls: dict[str, Any] = field(default_factory=dict)


def parse_query(params: Mapping[str, list[str]], context: f.QueryContext) -> EventQuery:
    """The query the parameters spell; QueryParameterError names the first one at fault."""
    conditions, controls = [], {}
    for name, raws in params.items():
        if len(raws) != 1:
            raise QueryParameterError(f"{name} is given {len(raws)} times; give it once.")
        row, match = _row_for(name)
        try:
            value = _parsed(row, name, raws[0])
        except Doubtful as doubt:
            value = doubt.value
            doubtful = _condition(row, match, doubt.doubtful, context, name)
            _refuse_unless_stored(doubtful, context, f"{name}={raws[0]!r}: {doubt}")
        if row.build is None:
            controls[name] = value
            continue
        condition = _condition(row, match, value, context, name)
        if problem := _name_vocabulary_problem(match, row.name_kinds):
            _refuse_unless_stored(condition, context, problem)
        conditions.append(condition)
    return _with_controls(conditions, controls, context, _fingerprint(params))


def _refuse_unless_stored(condition: Q, context: f.QueryContext, message: str) -> None:
    """Refuse a doubtful value (see `Doubtful`) unless an event the caller may read meets its
    condition. Only such values are looked up: a valid query never pays for this."""
    events = Event.objects.filter(condition)
    if not context.user.is_staff:  # as selectors.events_visible_to (which imports this module)
        captured = EventCapture.objects.filter(event=OuterRef("pk"), owner=context.user)
        events = events.filter(Exists(captured))
    if not events.exists():
        raise QueryParameterError(message)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _row_for(name: str) -> tuple[Param, re.Match[str]]:
    if _CONTROL.search(name):
        raise QueryParameterError("A parameter name holds a control character.")
    for row in PARAMETERS:
        match = row.pattern.fullmatch(name)
        if match:
            return row, match
    raise QueryParameterError(f"{name} is not a query parameter of EPCIS 2.0.")


def _parsed(row: Param, name: str, raw: str) -> Any:
    # The raw form of a scanned GS1 code separates its fields with GS (FNC1, 0x1D).
    if _CONTROL.search(raw.replace("\x1d", "") if row.scanned else raw):
        # PostgreSQL refuses NUL in text; no query value needs a control character.
        raise QueryParameterError(f"{name}: the value holds a control character.")
    try:
        return row.parse(raw)
    except Doubtful:
        raise
    except (ValueError, OverflowError, IdentifierError) as exc:
        raise QueryParameterError(f"{name}={raw!r}: {exc}") from None


def _condition(row: Param, match: re.Match[str], value: Any, context: Any, name: str) -> Q:
    assert row.build is not None
    try:
        return row.build(match, value, context)
    except f.UnknownPrefix as exc:
        raise QueryParameterError(f"{name}: {exc}") from None


def _with_controls(
    conditions: list[Q], controls: dict[str, Any], context: f.QueryContext, fingerprint: str
) -> EventQuery:
    order_by = controls.get("orderBy")
    direction = controls.get("orderDirection", "DESC")
    if direction not in ("ASC", "DESC"):
        raise QueryParameterError(f"orderDirection={direction!r}: use ASC or DESC.")
    limit, maximum = controls.get("eventCountLimit"), controls.get("maxEventCount")
    if limit is not None and order_by is None:
        raise QueryParameterError("eventCountLimit needs orderBy.")
    if limit is not None and maximum is not None:
        raise QueryParameterError("eventCountLimit and maxEventCount exclude each other.")
    return EventQuery(
        conditions=conditions,
        # Without orderBy the standard leaves the order open. eventTime (newest first) is what
        # people expect, and every selective filter's index (bizStep, bizLocation) ends with
        # (event_time, id), so such a page is one index range, already in order.
        order_key=ORDER_KEYS.get(order_by or "eventTime", ""),
        order_field=_order_field(order_by, context),
        descending=direction == "DESC",
        event_count_limit=limit,
        max_event_count=maximum,
        per_page=controls.get("perPage"),
        next_page_token=controls.get("nextPageToken"),
        fingerprint=fingerprint,
        controls=controls,
    )


def _order_field(order_by: str | None, context: f.QueryContext) -> Q | None:
    if order_by is None or order_by in ORDER_KEYS:
        return None
    if not ORDER_FIELD.fullmatch(order_by):
        raise QueryParameterError(
            f"orderBy={order_by!r}: use eventTime, recordTime or an extension field"
            " (prefix:name with the prefix in GS1-Extensions, or namespace#name)."
        )
    try:
        return f.field_condition(order_by, context, scope=f.SCOPES[None], inner=False)
    except f.UnknownPrefix as exc:
        raise QueryParameterError(f"orderBy: {exc}") from None


def _fingerprint(params: Mapping[str, list[str]]) -> str:
    """What a page token is bound to: every parameter but the paging ones."""
    kept = sorted((k, v) for k, values in params.items() if k not in PAGING for v in values)
    return hashlib.sha256(repr(kept).encode()).hexdigest()[:32]


PAGING = frozenset({"perPage", "nextPageToken"})
