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

from django.db.models import Q

from epcis import cbv
from epcis.identifiers import IdentifierError, canonical, pattern_match_key
from epcis.parsing.validation import parse_time
from epcis.problems import EPCISError
from epcis.query import filters as f

Parser = Callable[[str], Any]


class QueryParameterError(EPCISError, ValueError):
    """A parameter the client must fix: answered 400 QueryParameterException."""

    exception = "QueryParameterException"


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


def cbv_list(kind: str) -> Parser:
    """Any form of a standard value (word, Web URI, URN, CURIE) finds the stored bare word."""
    return lambda raw: [cbv.normalise(kind, value) for value in text_list(raw)]


def identifier_list(raw: str) -> list[str]:
    """URN or Digital Link: both find the same canonical form."""
    return [canonical(value) for value in text_list(raw)]


def pattern_list(raw: str) -> list[tuple[str, str]]:
    return [pattern_match_key(value) for value in text_list(raw)]


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


def param(pattern: str, parse: Parser, build: f.Builder | None = None) -> Param:
    return Param(re.compile(pattern), parse, build)


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
    param(r"eventType", text_list, f.listed_column_in("eventTypes")),
    param(rf"{_GE_LT}_eventTime", time_value, f.column_compared("event_time")),
    param(rf"{_GE_LT}_recordTime", time_value, f.column_compared("record_time")),
    param(r"EQ_action", actions, f.column_in("action")),
    param(r"EQ_bizStep", cbv_list("bizStep"), f.listed_column_in("bizSteps")),
    param(r"EQ_disposition", cbv_list("disposition"), f.listed_column_in("dispositions")),
    param(r"EQ_readPoint", identifier_list, f.listed_column_in("readPoints")),
    param(r"WD_readPoint", identifier_list, f.location_with_descendants("read_point")),
    param(r"EQ_bizLocation", identifier_list, f.listed_column_in("bizLocations")),
    param(r"WD_bizLocation", identifier_list, f.location_with_descendants("biz_location")),
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
        r"MATCH_(?P<what>epc|parentID|inputEPC|outputEPC|anyEPC"
        r"|epcClass|inputEPCClass|outputEPCClass|anyEPCClass)",
        pattern_list,
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
    param(r"EQ_bizTransaction_(?P<type>.+)", text_list, f.biz_transaction_in),
    param(
        r"EQ_(?P<which>source|destination)_(?P<type>.+)", identifier_list, f.source_destination_in
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
        value = _parsed(row, name, raws[0])
        if row.build is None:
            controls[name] = value
        else:
            conditions.append(_condition(row, match, value, context, name))
    return _with_controls(conditions, controls, context, _fingerprint(params))


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
    if _CONTROL.search(raw):
        # PostgreSQL refuses NUL in text; no query value needs a control character.
        raise QueryParameterError(f"{name}: the value holds a control character.")
    try:
        return row.parse(raw)
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
