"""Conditions on `Event` for each query parameter: indexed columns, or EXISTS subqueries on
the fact tables (each fact table is indexed by value first, so the database can start from
the matching facts instead of scanning events).

Every builder has the shape `build(match, value, context) -> Q`: `match` is the parameter
name matched against its family's pattern (flexible names carry their field, type or unit
in it), `value` is the parsed value.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from typing import Any

from django.db.models import Exists, Model, OuterRef, Q, QuerySet

from epcis import cbv
from epcis.models import (
    LISTED_COLUMNS,
    BizTransaction,
    EventIdentifier,
    EventVocabularyValue,
    ExtensionField,
    ListedValue,
    Role,
    SensorReport,
    SourceDestination,
    VocabularyElement,
)
from epcis.normalise import DECLARATION_KEY
from epcis.query.units import equivalents

Builder = Callable[[re.Match[str], Any, "QueryContext"], Q]
LOOKUPS = {"EQ": "exact", "GT": "gt", "GE": "gte", "LT": "lt", "LE": "lte"}
EPC_ROLES = {
    "epc": (Role.EPC, Role.CHILD),
    "parentID": (Role.PARENT,),
    "inputEPC": (Role.INPUT,),
    "outputEPC": (Role.OUTPUT,),
    "anyEPC": (Role.EPC, Role.CHILD, Role.PARENT, Role.INPUT, Role.OUTPUT),
    "epcClass": (Role.QUANTITY, Role.CHILD_QUANTITY),
    "inputEPCClass": (Role.INPUT_QUANTITY,),
    "outputEPCClass": (Role.OUTPUT_QUANTITY,),
    "anyEPCClass": (
        Role.QUANTITY,
        Role.CHILD_QUANTITY,
        Role.INPUT_QUANTITY,
        Role.OUTPUT_QUANTITY,
    ),
}
QUANTITY_ROLES = EPC_ROLES["anyEPCClass"]
# How deep WD_ follows master-data `children`: location hierarchies are shallow, and the
# bound keeps a cyclic hierarchy from looping.
MAX_HIERARCHY_DEPTH = 10


@dataclass(frozen=True)
class QueryContext:
    """What some filters need beyond the parameter: whose master data, which prefixes."""

    user: Any
    prefixes: dict[str, str] = field(default_factory=dict)


def fact_exists(model: type[Model], condition: Q) -> Q:
    """EXISTS (a fact row of this event meeting `condition`)."""
    return Q(Exists(model._default_manager.filter(condition, event=OuterRef("pk"))))


def any_of(conditions: Iterable[Q]) -> Q:
    """The conditions ORed (the `|`-separated values of one parameter)."""
    listed = list(conditions)
    return reduce(operator.or_, listed) if listed else Q(pk__in=[])


# -- event columns ----------------------------------------------------------------------


def column_in(column: str) -> Builder:
    return lambda match, values, context: Q(**{f"{column}__in": values})


def listed_column_in(resource: str) -> Builder:
    """eventType, EQ_bizStep, EQ_disposition, EQ_readPoint, EQ_bizLocation: the column's
    value is one of these, and (an uncorrelated EXISTS, which PostgreSQL checks once before
    reading any event) one of them is listed for the caller: a value no readable event has
    is answered at once, not by walking events whose value a partial index leaves out."""
    column = LISTED_COLUMNS[resource]

    def build(match: re.Match[str], values: list[str], context: QueryContext) -> Q:
        listed = ListedValue.objects.filter(resource=resource, value__in=values)
        if not context.user.is_staff:
            listed = listed.filter(owner=context.user)
        return Q(**{f"{column}__in": values}) & Q(Exists(listed))

    return build


def column_compared(column: str) -> Builder:
    """`GE_eventTime` and friends: the operator is the name's first word."""
    return lambda match, value, context: Q(**{f"{column}__{LOOKUPS[match['op']]}": value})


def event_id_in(match: re.Match[str], values: list[str], context: QueryContext) -> Q:
    return event_id_is(values)


def event_id_is(values: list[str]) -> Q:
    """Events with one of these eventIDs, found through the unique dedupe_key index: an
    event's key is its eventID, an error declaration's that eventID followed by
    DECLARATION_KEY and its time, so the event table needs no second index on eventID."""
    keys = any_of(Q(dedupe_key=v) | starts_with("dedupe_key", v + DECLARATION_KEY) for v in values)
    return keys & Q(event_id__in=values)


def has_error_declaration(match: re.Match[str], value: Any, context: QueryContext) -> Q:
    return Q(declaration_time__isnull=False)


def error_reason_in(match: re.Match[str], values: list[str], context: QueryContext) -> Q:
    # Only error declarations have a reason; saying so lets their partial index serve.
    return Q(declaration_time__isnull=False, error_reason__in=values)


# -- identifiers and quantities ---------------------------------------------------------


def identifier_matches(match: re.Match[str], keys: list[tuple[str, str]], context: Any) -> Q:
    """MATCH_*: some identifier in the roles named by the parameter matches a value/pattern."""
    roles = EPC_ROLES[match["what"]]
    to_condition = _class_pattern_condition if "Class" in match["what"] else _pattern_condition
    return fact_exists(EventIdentifier, Q(role__in=roles) & any_of(map(to_condition, keys)))


def _class_pattern_condition(key: tuple[str, str]) -> Q:
    """MATCH_*EPCClass with `urn:epc:idpat:sgtin:CP.IR.*`: the pattern names a GTIN, so it
    matches that GTIN as a class and each of its lots (LGTIN, `/10/`), not serials."""
    kind, value = key
    if kind == "prefix" and value.endswith("/21/"):
        gtin = value.removesuffix("/21/")
        return Q(canonical=gtin) | starts_with("canonical", f"{gtin}/10/")
    if kind == "regex" and value.endswith("/21/[^/]+$"):
        return Q(canonical__regex=value.removesuffix("/21/[^/]+$") + "(/10/[^/]+)?$")
    return _pattern_condition(key)


def _pattern_condition(key: tuple[str, str]) -> Q:
    kind, value = key
    if kind == "exact":
        return Q(canonical=value)
    if kind == "prefix":
        return starts_with("canonical", value)
    return Q(canonical__regex=value)


# The last code point, and the surrogates, which no text column can hold.
MAX_CODE_POINT, SURROGATES = 0x10FFFF, range(0xD800, 0xE000)


def starts_with(column: str, prefix: str) -> Q:
    """`column` starts with `prefix`, as the range [prefix, prefix with its last character
    incremented), which the column's btree serves: identifier columns sort by code point
    (see `CodePointCharField`), so the range is exactly the prefix. PostgreSQL would serve
    LIKE 'p%' from an index only with text_pattern_ops."""
    upper = successor(prefix)
    if upper is None:  # nothing sorts after every string beginning with the prefix
        return Q(**{f"{column}__gte": prefix})
    return Q(**{f"{column}__gte": prefix, f"{column}__lt": upper})


def successor(prefix: str) -> str | None:
    """The least string above every string beginning with `prefix` (None: there is none)."""
    for end in range(len(prefix), 0, -1):
        code = ord(prefix[end - 1]) + 1
        code = SURROGATES.stop if code in SURROGATES else code
        if code <= MAX_CODE_POINT:
            return prefix[: end - 1] + chr(code)
    return None


def quantity_compared(match: re.Match[str], value: float, context: QueryContext) -> Q:
    """EQ/GT/GE/LT/LE_quantity[_uom]: with a unit, quantities in convertible units count too."""
    lookup = LOOKUPS[match["op"]]
    if not match["uom"]:
        return fact_exists(
            EventIdentifier, Q(role__in=QUANTITY_ROLES, **{f"quantity__{lookup}": value})
        )
    in_units = [_number_in_unit("quantity", lookup, v, uom) for uom, v in _units(match, value)]
    return fact_exists(EventIdentifier, Q(role__in=QUANTITY_ROLES) & any_of(in_units))


def _units(match: re.Match[str], value: float) -> list[tuple[str, float]]:
    return equivalents(value, match["uom"])


def _number_in_unit(column: str, lookup: str, value: float, uom: str) -> Q:
    if lookup == "exact":
        # A converted value is rarely bit-identical (25 CEL = 298.15 KEL): compare closely.
        margin = 1e-9 * max(1.0, abs(value))
        return Q(uom=uom, **{f"{column}__range": (value - margin, value + margin)})
    return Q(uom=uom, **{f"{column}__{lookup}": value})


# -- multi-valued facts -----------------------------------------------------------------


def vocabulary_value_in(kind: str) -> Builder:
    """Persistent disposition set/unset, corrective event ids."""
    return lambda match, values, context: fact_exists(
        EventVocabularyValue, Q(kind=kind, value__in=values)
    )


def biz_transaction_in(match: re.Match[str], values: list[str], context: QueryContext) -> Q:
    kind = cbv.normalise("bizTransactionType", match["type"])
    return fact_exists(BizTransaction, Q(type=kind, value__in=values))


def source_destination_in(match: re.Match[str], values: list[str], context: QueryContext) -> Q:
    kind = "s" if match["which"] == "source" else "d"
    sd_type = cbv.normalise("sourceDestType", match["type"])
    return fact_exists(SourceDestination, Q(kind=kind, type=sd_type, value__in=values))


# -- sensor data ------------------------------------------------------------------------


def sensor_in(column: str) -> Builder:
    return lambda match, values, context: fact_exists(SensorReport, Q(**{f"{column}__in": values}))


def sensor_equal(column: str) -> Builder:
    return lambda match, value, context: fact_exists(SensorReport, Q(**{column: value}))


def sensor_compared(column: str) -> Builder:
    return lambda match, value, context: fact_exists(
        SensorReport, Q(**{f"{column}__{LOOKUPS[match['op']]}": value})
    )


def has_sensor_data(match: re.Match[str], value: Any, context: QueryContext) -> Q:
    return fact_exists(SensorReport, Q())


SENSOR_MEMBERS = {
    "value": "value",
    "minValue": "min_value",
    "maxValue": "max_value",
    "meanValue": "mean_value",
    "sDev": "s_dev",
    "percValue": "perc_value",
}


def sensor_value_in_unit(match: re.Match[str], value: float, context: QueryContext) -> Q:
    """`GE_value_KEL` etc.: a reading in any unit convertible to the one named."""
    column, lookup = SENSOR_MEMBERS[match["member"]], LOOKUPS[match["op"]]
    in_units = [_number_in_unit(column, lookup, v, uom) for uom, v in _units(match, value)]
    return fact_exists(SensorReport, any_of(in_units))


# -- extension fields -------------------------------------------------------------------

SCOPES = {
    None: "event",
    "ILMD_": "ilmd",
    "ERROR_DECLARATION_": "errorDeclaration",
    "readPoint_": "readPoint",
    "bizLocation_": "bizLocation",
    "SENSORELEMENT_": "sensorElement",
    "SENSORMETADATA_": "sensorMetadata",
    "SENSORREPORT_": "sensorReport",
}


def extension_field_compared(match: re.Match[str], value: Any, context: QueryContext) -> Q:
    """EQ_/GT_/.../LE_[INNER_][ILMD_|...]<field>: the field's value meets the condition."""
    if match["op"] == "EQ":
        condition = any_of(_field_equals(item) for item in value)
    else:
        column = "time" if isinstance(value, datetime) else "number"
        condition = Q(**{f"{column}__{LOOKUPS[match['op']]}": value})
    return fact_exists(ExtensionField, _field_condition(match, context) & condition)


def _field_equals(value: str | float | datetime) -> Q:
    if isinstance(value, datetime):
        return Q(time=value)
    if isinstance(value, float):
        return Q(number=value)
    return Q(text=value)


def extension_field_exists(match: re.Match[str], value: Any, context: QueryContext) -> Q:
    return fact_exists(ExtensionField, _field_condition(match, context))


def _field_condition(match: re.Match[str], context: QueryContext) -> Q:
    return field_condition(
        match["field"], context, scope=SCOPES[match["scope"]], inner=bool(match["inner"])
    )


def field_condition(text: str, context: QueryContext, *, scope: str, inner: bool) -> Q:
    """The ExtensionField rows of the field named `text` (prefix:local or namespace#local)."""
    namespaces, name = field_name(text, context.prefixes)
    return Q(name=name, namespace__in=namespaces, scope=scope, inner=inner)


# Prefixes a client may use without declaring them (GS1's JSON-LD context binds them).
KNOWN_PREFIXES = {
    "cbvmda": "urn:epcglobal:cbv:mda:",
    "gs1": "https://gs1.org/voc/",
    "cbv": "https://ref.gs1.org/cbv/",
}


class UnknownPrefix(ValueError):
    pass


def field_name(text: str, prefixes: dict[str, str]) -> tuple[list[str], str]:
    """The namespaces a field name may stand for, and its local name.

    `prefix:local` needs the prefix declared in `GS1-Extensions` (or a GS1 one);
    `namespace#local` is the EPCIS 1.2 fully qualified form, whose namespace is written
    without the separator the JSON-LD context usually ends it with."""
    if "#" in text:
        namespace, _, local = text.rpartition("#")
        return [namespace, f"{namespace}#", f"{namespace}/", f"{namespace}:"], local
    prefix, _, local = text.partition(":")
    namespace = prefixes.get(prefix, KNOWN_PREFIXES.get(prefix, ""))
    if not namespace:
        raise UnknownPrefix(
            f"The prefix {prefix!r} of {text!r} is not declared: send it in the "
            f"GS1-Extensions header ({prefix}=https://...), or write namespace#{local}."
        )
    return [namespace], local


# -- master data ------------------------------------------------------------------------

LOCATION_COLUMNS = {"bizLocation": "biz_location", "readPoint": "read_point"}


def location_with_descendants(column: str) -> Builder:
    """WD_bizLocation / WD_readPoint: the locations named and everything below them."""
    return lambda match, values, context: Q(
        **{f"{column}__in": descendants(values, master_data_of(context.user))}
    )


def master_data_of(user: Any) -> QuerySet[VocabularyElement]:
    """A partner's master data is its own; staff use everyone's."""
    elements = VocabularyElement.objects.all()
    return elements if user.is_staff else elements.filter(owner=user)


def descendants(roots: list[str], elements: QuerySet[VocabularyElement]) -> list[str]:
    from epcis.identifiers import matching_key

    found, frontier = set(roots), set(roots)
    for _ in range(MAX_HIERARCHY_DEPTH):
        children: set[str] = set()
        for kids in elements.filter(canonical__in=frontier).values_list("children", flat=True):
            children.update(matching_key(kid) for kid in kids or ())
        frontier = children - found
        if not frontier:
            break
        found |= frontier
    return sorted(found)


def has_attribute(match: re.Match[str], values: list[str], context: QueryContext) -> Q:
    """HASATTR_<field> (values: attribute names) and EQATTR_<field>_<attr> (values: attribute
    values): the master data of the event's location (or of one of its EPCs or EPC classes)
    has one of the attributes, or the attribute with one of the values.

    Master data is small beside events, so its attributes (a JSON list) are read here."""
    if match["kind"] == "HASATTR":
        names, wanted = values, None
    else:
        names, wanted = [match["attr"]], set(values)
    elements = master_data_of(context.user).values_list("canonical", "attributes")
    ids = sorted(
        element_id
        for element_id, attributes in elements.iterator()
        if any(_has_attribute(attributes or [], name, wanted) for name in names)
    )
    what = match["field"]
    if what in LOCATION_COLUMNS:
        return Q(**{f"{LOCATION_COLUMNS[what]}__in": ids})
    return fact_exists(EventIdentifier, Q(role__in=EPC_ROLES[what], canonical__in=ids))


def _has_attribute(attributes: list[dict[str, Any]], attr: str, wanted: set[str] | None) -> bool:
    for attribute in attributes:
        name = str(attribute.get("id", ""))
        named = name == attr or name.endswith(("#" + attr, ":" + attr, "/" + attr))
        if named and (wanted is None or str(attribute.get("attribute", "")) in wanted):
            return True
    return False
