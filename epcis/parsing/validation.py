"""Validate one event in the canonical shape (EPCIS 2.0 JSON form, see `types.py`).

Used by the JSON and the XML parser alike, per event on the ingest hot path: plain
`isinstance` checks and precompiled regexes, never jsonschema at run time.

It accepts what GS1's EPCIS 2.0 JSON Schema accepts and adds the rules schemas cannot
express (footnotes of the standard's event tables, sensor data rules, CBV values and
identifier syntax). Deliberate differences from the JSON Schema:

* `persistentDisposition` is accepted on every event type: the JSON Schema allows it
  only on ObjectEvent/TransformationEvent, but the 2.0 XSD allows it everywhere and
  GS1's `Example-PersistentDisposition.xml` uses it on AggregationEvents.
* CBV values may arrive in any of their forms (URN, Web URI, CURIE); parsers normalise
  them to the bare word before validation, so the URN form is accepted in JSON too.
* An AggregationEvent ADD/DELETE without parentID and an extension prefix that no
  @context defines are rejected, although the schema lets them through.
* epcList, childEPCs, inputEPCList and outputEPCList may not name one identifier twice,
  compared by matching key (`identifiers.matching_key`: a URN and a Digital Link of one
  SSCC are the same): the schema has `uniqueItems` on epcList (and the lists that reuse
  it), compares text only, and forgets childEPCs. Quantity lists may name one class
  twice: neither the XSD, nor the JSON Schema (no `uniqueItems` on quantityList, unlike
  epcList), nor the standard's text forbids it, and two elements of one class can carry
  different units (10 EA and 2.5 KGM); they are stored as given, never added up.
* A sensor `time`/`startTime`/`endTime` after `eventTime` (draft requirement M122) and the
  same inline attribute in both sensorMetadata and sensorReport (TCR-53) are reported as
  *warnings*: GS1's own maintained examples (WithFullCombinationOfFields) break both, and
  every maintained example must be accepted (DESIGN §10). They remain integrity signals.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from epcis import cbv
from epcis.identifiers import IdentifierError, MatchingKeys, canonical
from epcis.parsing.types import EventError, ParsedEvent

_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})", re.ASCII
)
_TZ_OFFSET = re.compile(r"[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00)", re.ASCII)
_ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")
_UOM = re.compile(r"[A-Z0-9]{2,3}", re.ASCII)
_HEX = re.compile(r"[A-Fa-f0-9]+", re.ASCII)

_COMMON = frozenset(
    [
        "@context",
        "type",
        "eventTime",
        "recordTime",
        "eventTimeZoneOffset",
        "eventID",
        "certificationInfo",
        "errorDeclaration",
        "bizStep",
        "disposition",
        "persistentDisposition",
        "readPoint",
        "bizLocation",
        "bizTransactionList",
        "sourceList",
        "destinationList",
        "sensorElementList",
    ]
)
FIELDS_BY_TYPE: dict[str, frozenset[str]] = {
    "ObjectEvent": _COMMON | {"action", "epcList", "quantityList", "ilmd"},
    "AggregationEvent": _COMMON | {"action", "parentID", "childEPCs", "childQuantityList"},
    "TransactionEvent": _COMMON | {"action", "parentID", "epcList", "quantityList"},
    "TransformationEvent": _COMMON
    | {
        "inputEPCList",
        "inputQuantityList",
        "outputEPCList",
        "outputQuantityList",
        "transformationID",
        "ilmd",
    },
    "AssociationEvent": _COMMON | {"action", "parentID", "childEPCs", "childQuantityList"},
}
_ACTIONS = frozenset({"ADD", "OBSERVE", "DELETE"})
_EPC_LISTS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
_QUANTITY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")

_SENSOR_TIMES = ("time", "startTime", "endTime")
_SENSOR_URIS = ("deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "bizRules")
# Attributes that may sit on sensorMetadata or on each sensorReport, but not both (TCR-53).
_SENSOR_INLINE = frozenset({"time", *_SENSOR_URIS})
_METADATA_FIELDS = frozenset({*_SENSOR_TIMES, *_SENSOR_URIS})
_REPORT_URIS = (
    *_SENSOR_URIS,
    "microorganism",
    "chemicalSubstance",
    "coordinateReferenceSystem",
    "uriValue",
)
_REPORT_NUMBERS = ("value", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue")
_REPORT_FIELDS = frozenset(
    {*_REPORT_URIS, *_REPORT_NUMBERS, "type", "exception", "component", "time", "uom"}
    | {"stringValue", "booleanValue", "hexBinaryValue"}
)
# EventError codes of the defects a "store and warn" partner's events are stored with.
IDENTIFIER, VOCABULARY = "identifier", "vocabulary"
STORABLE_DEFECTS = frozenset({IDENTIFIER, VOCABULARY})
_ILMD_RULE = "ilmd is only allowed on an ObjectEvent with action ADD or on a TransformationEvent"


def parse_time(text: str) -> datetime:
    """An RFC 3339 date-time with offset as an aware UTC datetime; ValueError otherwise."""
    moment = time_or_none(text)
    if moment is None:
        raise ValueError(f"{text!r} is not an RFC 3339 date-time with a time zone offset")
    return moment


def time_or_none(text: str) -> datetime | None:
    """`parse_time(text)`, or None when `text` is not one (without raising: a hot path)."""
    if not _RFC3339.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text.upper()).astimezone(UTC)
    except ValueError:  # well-formed but impossible, e.g. month 13
        return None


def validate_event(
    data: dict[str, Any], namespaces: dict[str, str], index: int
) -> list[EventError]:
    """Every reason the canonical event `data` is invalid; empty when it is valid."""
    return validated_event(data, namespaces, index).errors


# (prefixes so far, a member name with an undefined prefix) -> prefixes defining it, or None.
Widen = Callable[[dict[str, str], str], dict[str, str] | None]


def validated_event(
    data: dict[str, Any], namespaces: dict[str, str], index: int, widen: Widen | None = None
) -> ParsedEvent:
    """The event with its errors and what checking it computed anyway: the matching keys of
    its identifiers and its eventTime, which storing it needs again.

    `widen` may define a prefix the event uses but `namespaces` lacks (JSON-LD: GS1's
    context defines gs1:, cbvmda:, ...); the event's namespaces then include it.
    """
    checker = _EventChecker(data, namespaces, index, widen)
    checker.check()
    return ParsedEvent(
        index, data, checker.namespaces, checker.errors, checker.keys, checker.event_time
    )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _nonempty_list(data: dict[str, Any], key: str) -> bool:
    value = data.get(key)
    return isinstance(value, list) and len(value) > 0


class _EventChecker:
    __slots__ = (
        "data",
        "namespaces",
        "widen",
        "index",
        "event_id",
        "event_time",
        "errors",
        "keys",
    )

    def __init__(
        self, data: dict[str, Any], namespaces: dict[str, str], index: int, widen: Widen | None
    ) -> None:
        self.data = data
        self.namespaces = namespaces
        self.widen = widen
        self.index = index
        event_id = data.get("eventID")
        self.event_id = event_id if isinstance(event_id, str) else None
        self.event_time: datetime | None = None
        self.errors: list[EventError] = []
        self.keys = MatchingKeys()

    def error(self, path: str, message: str) -> None:
        self.errors.append(EventError(self.index, self.event_id, path, message))

    def warning(self, path: str, message: str) -> None:
        self.errors.append(EventError(self.index, self.event_id, path, message, "warning"))

    # -- the event as a whole ------------------------------------------------------------

    def check(self) -> None:
        event_type = self.data.get("type")
        if not isinstance(event_type, str):
            self.error("type", "type is required: ObjectEvent, AggregationEvent, ... or a URI")
            return
        allowed = FIELDS_BY_TYPE.get(event_type)
        if allowed is None and not _ABSOLUTE_URI.fullmatch(event_type):
            self.error("type", f"type {event_type!r} is not an EPCIS event type nor a URI")
            return
        self.check_common()
        self.check_members(allowed)
        if allowed is not None:
            _TYPE_RULES[event_type](self)

    def check_common(self) -> None:
        data = self.data
        if "eventTime" not in data:
            self.error("eventTime", "eventTime is required")
        else:
            self.event_time = self.time("eventTime", data["eventTime"])
        offset = data.get("eventTimeZoneOffset")
        if offset is None:
            self.error("eventTimeZoneOffset", "eventTimeZoneOffset is required, e.g. '+01:00'")
        elif not isinstance(offset, str) or not _TZ_OFFSET.fullmatch(offset):
            self.error(
                "eventTimeZoneOffset", f"eventTimeZoneOffset {offset!r} is not like '+01:00'"
            )

    def check_members(self, allowed: frozenset[str] | None) -> None:
        for key, value in self.data.items():
            check = _MEMBER_CHECKS.get(key)
            if check is not None and (allowed is None or key in allowed):
                check(self, key, value)
            elif ":" in key:
                self.extension(key, key, value)
            elif key == "ilmd" and allowed is not None:
                self.error("ilmd", _ILMD_RULE)
            elif allowed is not None and key not in allowed:
                self.error(key, f"{key} is not a field of {self.data['type']}")

    # -- value checks shared by many members ----------------------------------------------

    def time(self, path: str, value: object) -> datetime | None:
        moment = time_or_none(value) if isinstance(value, str) else None
        if moment is None:
            self.error(path, f"{value!r} is not a date-time with time zone offset (RFC 3339)")
        return moment

    def uri(self, path: str, value: object) -> bool:
        if isinstance(value, str) and _ABSOLUTE_URI.fullmatch(value):
            return True
        self.error(path, f"{value!r} is not a URI")
        return False

    def identifier(self, path: str, value: object) -> None:
        if self.uri(path, value):
            assert isinstance(value, str)
            self.key(path, value)

    def key(self, path: str, uri: str) -> None:
        """Check an identifier already known to be a URI, keeping its matching key."""
        try:
            self.keys[uri] = canonical(uri)
        except IdentifierError as exc:
            self.errors.append(
                EventError(self.index, self.event_id, path, str(exc), code=IDENTIFIER)
            )

    def vocabulary(self, kind: str, path: str, value: object) -> None:
        if not isinstance(value, str):
            self.error(path, f"{kind} must be text")
        elif (message := cbv.problem(kind, value)) is not None:
            self.errors.append(
                EventError(self.index, self.event_id, path, message, code=VOCABULARY)
            )

    def members_of(self, path: str, value: object, known: frozenset[str]) -> dict[str, Any]:
        """`value` as an object whose unknown members are extensions; {} if not an object."""
        if not isinstance(value, dict):
            self.error(path, f"{path} must be an object")
            return {}
        for key, member in value.items():
            if key not in known:
                self.extension(f"{path}.{key}", key, member)
        return value

    def extension(self, path: str, key: str, value: object) -> None:
        prefix, colon, _ = key.partition(":")
        if not colon:
            self.error(path, f"{key!r} is not a standard field; extensions are 'prefix:name'")
        elif not self.defined(prefix, key):
            self.error(path, f"prefix {prefix!r} of {key!r} is not defined in the @context")
        self.extension_content(path, value)

    def defined(self, prefix: str, key: str) -> bool:
        if prefix in self.namespaces:
            return True
        widened = self.widen(self.namespaces, key) if self.widen else None
        if widened is None:
            return False
        self.namespaces = widened
        return True

    def extension_content(self, path: str, value: object) -> None:
        if isinstance(value, dict):
            for key, member in value.items():
                self.nested_extension(f"{path}.{key}", key, member)
        elif isinstance(value, list):
            for position, item in enumerate(value):
                self.extension_content(f"{path}[{position}]", item)

    def nested_extension(self, path: str, key: str, value: object) -> None:
        """Inside an extension, XML allows unqualified child elements (bare keys), attributes
        (`@name`) and text beside attributes (`#text`); only a used prefix must be defined."""
        name = key[1:] if key.startswith("@") else key
        prefix, colon, _ = name.partition(":")
        if colon and key != "#text" and not self.defined(prefix, name):
            self.error(path, f"prefix {prefix!r} of {key!r} is not defined in the @context")
        self.extension_content(path, value)

    # -- members --------------------------------------------------------------------------

    def check_action(self, path: str, value: object) -> None:
        if value not in _ACTIONS:
            self.error(path, f"action {value!r} must be ADD, OBSERVE or DELETE")

    def check_epc_list(self, path: str, value: object) -> None:
        if not isinstance(value, list):
            self.error(path, f"{path} must be a list of identifiers")
            return
        is_uri, keys = _ABSOLUTE_URI.fullmatch, self.keys
        for position, epc in enumerate(value):  # the hot loop: inlined identifier()
            if not isinstance(epc, str) or not is_uri(epc):
                self.error(f"{path}[{position}]", f"{epc!r} is not a URI")
                continue
            try:
                keys[epc] = canonical(epc)
            except IdentifierError as exc:
                where = f"{path}[{position}]"
                self.errors.append(
                    EventError(self.index, self.event_id, where, str(exc), code=IDENTIFIER)
                )
        self.repeated_identifiers(path, value)

    def repeated_identifiers(self, path: str, value: list[Any]) -> None:
        """A list of EPCs may name an identifier once: compared by matching key, so one SSCC
        as a URN and again as a Digital Link is the same (and in XML, 1.2 and JSON-LD alike)."""
        keys = self.keys
        matching = [keys[epc] if isinstance(epc, str) else epc for epc in value]
        try:
            if len(set(matching)) == len(matching):
                return
        except TypeError:  # an object or list in the list (already an error): compare the rest
            pass
        first: dict[str, int] = {}
        for position, key in enumerate(matching):
            if not isinstance(key, str):
                continue
            earlier = first.setdefault(key, position)
            if earlier != position:
                self.error(
                    path,
                    f"{path} lists the same identifier more than once: {path}[{earlier}] "
                    f"{value[earlier]!r} and {path}[{position}] {value[position]!r}",
                )

    def check_quantity_list(self, path: str, value: object) -> None:
        if not isinstance(value, list):
            self.error(path, f"{path} must be a list of quantity elements")
            return
        for position, element in enumerate(value):
            self.check_quantity(f"{path}[{position}]", element)

    def check_quantity(self, path: str, element: object) -> None:
        if not isinstance(element, dict) or "epcClass" not in element:
            self.error(path, "a quantity element needs epcClass (and quantity, uom)")
            return
        for key, value in element.items():
            if key == "epcClass":
                self.identifier(f"{path}.epcClass", value)
            elif key == "quantity":
                if not _is_number(value) or value < 0:
                    self.error(f"{path}.quantity", f"quantity {value!r} must be a number >= 0")
            elif key == "uom":
                self.check_uom(f"{path}.uom", value)
            else:
                self.error(f"{path}.{key}", f"{key} is not a field of a quantity element")

    def check_uom(self, path: str, value: object) -> None:
        if not isinstance(value, str) or not _UOM.fullmatch(value):
            self.error(path, f"uom {value!r} must be a UN/ECE Rec 20 code such as KGM or EA")

    def check_identifier(self, path: str, value: object) -> None:
        self.identifier(path, value)

    def check_uri(self, path: str, value: object) -> None:
        self.uri(path, value)

    def check_event_id(self, path: str, value: object) -> None:
        self.uri(path, value)

    def check_certification_info(self, path: str, value: object) -> None:
        if isinstance(value, list):
            for position, item in enumerate(value):
                self.uri(f"{path}[{position}]", item)
        else:
            self.uri(path, value)

    def check_biz_step(self, path: str, value: object) -> None:
        self.vocabulary("bizStep", path, value)

    def check_disposition(self, path: str, value: object) -> None:
        self.vocabulary("disposition", path, value)

    def check_location(self, path: str, value: object) -> None:
        location = self.members_of(path, value, frozenset({"id"}))
        if isinstance(value, dict):
            if "id" in location:
                self.identifier(f"{path}.id", location["id"])
            else:
                self.error(f"{path}.id", f"{path} needs an id")

    def check_record_time(self, path: str, value: object) -> None:
        self.time(path, value)

    def check_error_declaration(self, path: str, value: object) -> None:
        known = frozenset({"declarationTime", "reason", "correctiveEventIDs"})
        declaration = self.members_of(path, value, known)
        if isinstance(value, dict) and "declarationTime" not in declaration:
            self.error(f"{path}.declarationTime", "errorDeclaration needs a declarationTime")
        for key, member in declaration.items():
            if key == "declarationTime":
                self.time(f"{path}.declarationTime", member)
            elif key == "reason":
                self.vocabulary("errorReason", f"{path}.reason", member)
            elif key == "correctiveEventIDs":
                self.check_certification_info(f"{path}.correctiveEventIDs", member)

    def check_persistent_disposition(self, path: str, value: object) -> None:
        if not isinstance(value, dict) or not ({"set", "unset"} & value.keys()):
            self.error(path, "persistentDisposition needs set and/or unset lists")
            return
        for key, dispositions in value.items():
            if key not in ("set", "unset"):
                self.error(f"{path}.{key}", f"{key} is not a field of persistentDisposition")
            elif not isinstance(dispositions, list) or not dispositions:
                self.error(f"{path}.{key}", f"{key} must be a non-empty list of dispositions")
            else:
                for position, disposition in enumerate(dispositions):
                    self.vocabulary("disposition", f"{path}.{key}[{position}]", disposition)

    def check_biz_transactions(self, path: str, value: object) -> None:
        if not isinstance(value, list):
            self.error(path, "bizTransactionList must be a list")
            return
        for position, item in enumerate(value):
            item_path = f"{path}[{position}]"
            if not isinstance(item, dict) or "bizTransaction" not in item:
                self.error(item_path, "a business transaction needs bizTransaction (a URI)")
                continue
            for key, member in item.items():
                if key == "bizTransaction":
                    self.identifier(f"{item_path}.bizTransaction", member)
                elif key == "type":
                    self.vocabulary("bizTransactionType", f"{item_path}.type", member)
                else:
                    self.error(f"{item_path}.{key}", f"{key} is not a field of bizTransaction")

    def check_source_list(self, path: str, value: object) -> None:
        self.check_parties(path, value, "source")

    def check_destination_list(self, path: str, value: object) -> None:
        self.check_parties(path, value, "destination")

    def check_parties(self, path: str, value: object, role: str) -> None:
        if not isinstance(value, list):
            self.error(path, f"{path} must be a list")
            return
        for position, item in enumerate(value):
            item_path = f"{path}[{position}]"
            if not isinstance(item, dict) or "type" not in item or role not in item:
                self.error(item_path, f"a {role} needs type and {role}")
                continue
            for key, member in item.items():
                if key == role:
                    self.identifier(f"{item_path}.{role}", member)
                elif key == "type":
                    self.vocabulary("sourceDestType", f"{item_path}.type", member)
                else:
                    self.error(f"{item_path}.{key}", f"{key} is not a field of a {role}")

    def check_ilmd(self, path: str, value: object) -> None:
        self.members_of(path, value, frozenset())

    # -- sensor data ----------------------------------------------------------------------

    def check_sensor_elements(self, path: str, value: object) -> None:
        if not isinstance(value, list):
            self.error(path, "sensorElementList must be a list")
            return
        for position, element in enumerate(value):
            self.check_sensor_element(f"{path}[{position}]", element)

    def check_sensor_element(self, path: str, element: object) -> None:
        # "type" is JSON-LD's @type; GS1's examples give "epcis:SensorElement" here.
        element = self.members_of(
            path, element, frozenset({"sensorMetadata", "sensorReport", "type"})
        )
        metadata = self.members_of(
            f"{path}.sensorMetadata", element.get("sensorMetadata", {}), _METADATA_FIELDS
        )
        for key in _SENSOR_TIMES:
            if key in metadata:
                self.sensor_time(f"{path}.sensorMetadata.{key}", metadata[key])
        for key in _SENSOR_URIS:
            if key in metadata:
                self.uri(f"{path}.sensorMetadata.{key}", metadata[key])
        reports = element.get("sensorReport")
        if not isinstance(reports, list) or not reports:
            if element:
                self.error(
                    f"{path}.sensorReport", "a sensorElement needs at least one sensorReport"
                )
            return
        inline = _SENSOR_INLINE & metadata.keys()
        for position, report in enumerate(reports):
            self.check_sensor_report(f"{path}.sensorReport[{position}]", report, inline)

    def check_sensor_report(self, path: str, value: object, inline: frozenset[str]) -> None:
        report = self.members_of(path, value, _REPORT_FIELDS)
        if not isinstance(value, dict):
            return
        if "type" not in report:
            # Required by the JSON Schema, optional in the XSD: GS1's XML examples omit it.
            self.warning(f"{path}.type", "a sensorReport should have a type, e.g. Temperature")
        for key in inline & report.keys():
            self.warning(f"{path}.{key}", f"{key} is given in both sensorMetadata and sensorReport")
        for key, member in report.items():
            check = _REPORT_CHECKS.get(key)
            if check is not None:
                check(self, f"{path}.{key}", member)

    def sensor_time(self, path: str, value: object) -> None:
        moment = self.time(path, value)
        if moment is not None and self.event_time is not None and moment > self.event_time:
            self.warning(path, f"{path.rpartition('.')[2]} {value} is after the eventTime")

    def check_report_number(self, path: str, value: object) -> None:
        if not _is_number(value):
            self.error(path, f"{value!r} must be a number")

    def check_report_type(self, path: str, value: object) -> None:
        self.vocabulary("measurementType", path, value)

    def check_report_exception(self, path: str, value: object) -> None:
        self.vocabulary("alertType", path, value)

    def check_report_component(self, path: str, value: object) -> None:
        self.vocabulary("component", path, value)

    def check_report_string(self, path: str, value: object) -> None:
        if not isinstance(value, str):
            self.error(path, f"{value!r} must be text")

    def check_report_boolean(self, path: str, value: object) -> None:
        if not isinstance(value, bool):
            self.error(path, f"{value!r} must be true or false")

    def check_report_hex(self, path: str, value: object) -> None:
        if not isinstance(value, str) or not _HEX.fullmatch(value):
            self.error(path, f"{value!r} must be hexadecimal digits")

    # -- rules per event type (footnotes 1-3 of the standard's event tables) --------------

    def require(self, key: str, message: str) -> None:
        if key not in self.data:
            self.error(key, message)

    def object_rules(self) -> None:
        data = self.data
        self.require("action", "action is required: ADD, OBSERVE or DELETE")
        has_sensor_reading = _nonempty_list(data, "sensorElementList") and "readPoint" in data
        if not ("epcList" in data or _nonempty_list(data, "quantityList") or has_sensor_reading):
            self.error(
                "epcList",
                "an ObjectEvent needs epcList, quantityList, or sensorElementList with readPoint",
            )
        if "ilmd" in data and data.get("action") != "ADD":
            self.error("ilmd", _ILMD_RULE)

    def aggregation_rules(self) -> None:
        self.require("action", "action is required: ADD, OBSERVE or DELETE")
        # The standard (not the schema) requires parentID unless the action is OBSERVE.
        if self.data.get("action") in ("ADD", "DELETE"):
            self.require("parentID", "parentID is required when action is ADD or DELETE")
        self.children_rule()

    def association_rules(self) -> None:
        self.require("action", "action is required: ADD, OBSERVE or DELETE")
        self.require("parentID", "parentID is required on an AssociationEvent")
        self.children_rule()

    def children_rule(self) -> None:
        data = self.data
        if data.get("action") == "DELETE":
            return
        if not (_nonempty_list(data, "childEPCs") or _nonempty_list(data, "childQuantityList")):
            self.error("childEPCs", f"{data['type']} needs childEPCs or childQuantityList")

    def transaction_rules(self) -> None:
        data = self.data
        self.require("action", "action is required: ADD, OBSERVE or DELETE")
        if not _nonempty_list(data, "bizTransactionList"):
            self.error("bizTransactionList", "a TransactionEvent needs a bizTransactionList")
        if data.get("action") == "DELETE":
            return
        if not ("epcList" in data or _nonempty_list(data, "quantityList")):
            self.error("epcList", "a TransactionEvent needs epcList or quantityList")

    def transformation_rules(self) -> None:
        data = self.data
        has_input = _nonempty_list(data, "inputEPCList") or _nonempty_list(
            data, "inputQuantityList"
        )
        has_output = _nonempty_list(data, "outputEPCList") or _nonempty_list(
            data, "outputQuantityList"
        )
        if has_input and has_output:
            return
        if not ("transformationID" in data and (has_input or has_output)):
            self.error(
                "inputEPCList",
                "a TransformationEvent needs inputs and outputs, "
                "or a transformationID with inputs or outputs",
            )


_TYPE_RULES = {
    "ObjectEvent": _EventChecker.object_rules,
    "AggregationEvent": _EventChecker.aggregation_rules,
    "TransactionEvent": _EventChecker.transaction_rules,
    "TransformationEvent": _EventChecker.transformation_rules,
    "AssociationEvent": _EventChecker.association_rules,
}
_MEMBER_CHECKS = {
    "eventID": _EventChecker.check_event_id,
    "recordTime": _EventChecker.check_record_time,
    "certificationInfo": _EventChecker.check_certification_info,
    "errorDeclaration": _EventChecker.check_error_declaration,
    "action": _EventChecker.check_action,
    **dict.fromkeys(_EPC_LISTS, _EventChecker.check_epc_list),
    **dict.fromkeys(_QUANTITY_LISTS, _EventChecker.check_quantity_list),
    "parentID": _EventChecker.check_identifier,
    "transformationID": _EventChecker.check_uri,
    "bizStep": _EventChecker.check_biz_step,
    "disposition": _EventChecker.check_disposition,
    "persistentDisposition": _EventChecker.check_persistent_disposition,
    "readPoint": _EventChecker.check_location,
    "bizLocation": _EventChecker.check_location,
    "bizTransactionList": _EventChecker.check_biz_transactions,
    "sourceList": _EventChecker.check_source_list,
    "destinationList": _EventChecker.check_destination_list,
    "sensorElementList": _EventChecker.check_sensor_elements,
    "ilmd": _EventChecker.check_ilmd,
}
_REPORT_CHECKS = {
    **dict.fromkeys(_REPORT_URIS, _EventChecker.check_uri),
    **dict.fromkeys(_REPORT_NUMBERS, _EventChecker.check_report_number),
    "time": _EventChecker.sensor_time,
    "type": _EventChecker.check_report_type,
    "exception": _EventChecker.check_report_exception,
    "component": _EventChecker.check_report_component,
    "stringValue": _EventChecker.check_report_string,
    "uom": _EventChecker.check_report_string,
    "booleanValue": _EventChecker.check_report_boolean,
    "hexBinaryValue": _EventChecker.check_report_hex,
}
