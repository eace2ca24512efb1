"""From a parsed event to the values stored for it: the normalisation step of ingest.

Pure (no ORM): identifiers get their canonical matching form, the event gets its eventID
(the CBV 2.0 hash when none was given), and every queryable fact becomes a tuple ready
for a bulk write. Times are aware UTC datetimes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from epcis.hashing import event_hash_id
from epcis.identifiers import MatchingKeys
from epcis.models import Role
from epcis.parsing.types import ParsedEvent
from epcis.parsing.validation import parse_time, time_or_none

EPC_LISTS = (
    ("epcList", Role.EPC),
    ("childEPCs", Role.CHILD),
    ("inputEPCList", Role.INPUT),
    ("outputEPCList", Role.OUTPUT),
)
QUANTITY_LISTS = (
    ("quantityList", Role.QUANTITY),
    ("childQuantityList", Role.CHILD_QUANTITY),
    ("inputQuantityList", Role.INPUT_QUANTITY),
    ("outputQuantityList", Role.OUTPUT_QUANTITY),
)
# Where user extensions may sit, and the standard members of each place.
EXTENSION_SCOPES: dict[str, frozenset[str]] = {
    "readPoint": frozenset({"id"}),
    "bizLocation": frozenset({"id"}),
    "errorDeclaration": frozenset({"declarationTime", "reason", "correctiveEventIDs"}),
}
# A text that reads as a decimal number (also indexed as one, for GT_/LT_ queries).
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
# XML writes the CBV master-data namespace without the trailing colon that the JSON-LD
# context gives it; both spellings name the same attributes (lotNumber, ...).
NAMESPACE_ALIASES = {"urn:epcglobal:cbv:mda": "urn:epcglobal:cbv:mda:"}
SENSOR_METADATA_TIMES = {"time": "time", "startTime": "start_time", "endTime": "end_time"}
SENSOR_TEXT = {
    "type": "type",
    "deviceID": "device_id",
    "dataProcessingMethod": "data_processing_method",
    "bizRules": "biz_rules",
    "microorganism": "microorganism",
    "chemicalSubstance": "chemical_substance",
    "exception": "exception",
    "component": "component",
    "uom": "uom",
    "stringValue": "string_value",
    "hexBinaryValue": "hex_binary_value",
    "uriValue": "uri_value",
}
SENSOR_NUMBERS = {
    "value": "value",
    "minValue": "min_value",
    "maxValue": "max_value",
    "meanValue": "mean_value",
    "sDev": "s_dev",
    "percRank": "perc_rank",
    "percValue": "perc_value",
}
SENSOR_COLUMNS = (
    "element",
    *SENSOR_TEXT.values(),
    *SENSOR_METADATA_TIMES.values(),
    *SENSOR_NUMBERS.values(),
    "boolean_value",
)


@dataclass(slots=True)
class EventRecord:
    """Everything stored for one event, ready for bulk writes."""

    index: int
    event_id: str
    dedupe_key: str
    content_hash: str
    type: str
    action: str
    event_time: datetime
    event_time_zone_offset: str
    biz_step: str
    disposition: str
    read_point: str
    biz_location: str
    transformation_id: str
    declaration_time: datetime | None
    error_reason: str
    doc: dict[str, Any]
    namespaces: dict[str, str]
    # (role, canonical, quantity, uom)
    identifiers: list[tuple[int, str, float | None, str]] = field(default_factory=list)
    biz_transactions: list[tuple[str, str]] = field(default_factory=list)  # (type, value)
    sources_destinations: list[tuple[str, str, str]] = field(default_factory=list)
    # (scope, inner, namespace, name, text, number, time)
    extension_fields: list[tuple[str, bool, str, str, str, float | None, datetime | None]] = field(
        default_factory=list
    )
    sensor_reports: list[dict[str, Any]] = field(default_factory=list)
    vocabulary_values: list[tuple[str, str]] = field(default_factory=list)  # (kind, value)


def event_record(parsed: ParsedEvent) -> EventRecord:
    """Normalise one valid parsed event into the values stored for it.

    Two hashes of the event, the second only when it can differ (DESIGN §10):
    - its eventID, when it has none: the CBV 2.0 hash as GS1's reference implementation
      computes it from the document, namespaces as written (EPCIS 1.2's cbvmda without its
      trailing colon, a JSON-LD cbvmda: prefix left undefined by the document);
    - its content key (`content_hash`), for duplicate detection: the same hash over
      normalised namespaces, so the JSON-LD, 2.0 XML and 1.2 XML copies of an event agree.
    """
    data, namespaces, keys = parsed.data, normalised_namespaces(parsed.namespaces), parsed.keys
    content_hash = event_hash_id(data, namespaces, keys=keys)
    event_id = data.get("eventID") or _reference_hash(parsed, namespaces, content_hash)
    declaration = data.get("errorDeclaration") or {}
    declaration_time = _time_or_none(declaration.get("declarationTime"))
    record = EventRecord(
        index=parsed.index,
        event_id=event_id,
        dedupe_key=dedupe_key(event_id, declaration_time),
        # The hash leaves errorDeclaration out: a declaration's key adds its time, as above.
        content_hash=dedupe_key(content_hash, declaration_time),
        type=data["type"],
        action=data.get("action", ""),
        event_time=parsed.event_time or parse_time(data["eventTime"]),
        event_time_zone_offset=data.get("eventTimeZoneOffset", ""),
        biz_step=data.get("bizStep", ""),
        disposition=data.get("disposition", ""),
        read_point=_location(data, "readPoint", keys),
        biz_location=_location(data, "bizLocation", keys),
        transformation_id=data.get("transformationID", ""),
        declaration_time=declaration_time,
        error_reason=declaration.get("reason", ""),
        doc=data,
        namespaces=parsed.namespaces,
    )
    _add_facts(record, data, namespaces, keys)
    return record


def _reference_hash(parsed: ParsedEvent, normalised: dict[str, str], content_hash: str) -> str:
    """The event hash ID over the namespaces as written; the content hash when they agree."""
    written = parsed.namespaces if parsed.written_namespaces is None else parsed.written_namespaces
    if written is normalised:
        return content_hash
    return event_hash_id(parsed.data, written, keys=parsed.keys)


def normalised_namespaces(namespaces: dict[str, str]) -> dict[str, str]:
    if not any(uri in NAMESPACE_ALIASES for uri in namespaces.values()):
        return namespaces
    return {prefix: NAMESPACE_ALIASES.get(uri, uri) for prefix, uri in namespaces.items()}


# An error declaration's dedupe key: the eventID, this, then the declaration time.
DECLARATION_KEY = "#errorDeclaration@"


def dedupe_key(event_id: str, declaration_time: datetime | None) -> str:
    """An error declaration repeats the eventID it corrects, so its time joins the key."""
    if declaration_time is None:
        return event_id
    return f"{event_id}{DECLARATION_KEY}{declaration_time.isoformat()}"


def _add_facts(
    record: EventRecord, data: dict[str, Any], namespaces: dict[str, str], keys: MatchingKeys
) -> None:
    record.identifiers = _identifiers(data, keys)
    record.biz_transactions = [
        (item.get("type", ""), item["bizTransaction"])
        for item in data.get("bizTransactionList", [])
    ]
    record.sources_destinations = [
        ("s", item["type"], keys[item["source"]]) for item in data.get("sourceList", [])
    ] + [("d", item["type"], keys[item["destination"]]) for item in data.get("destinationList", [])]
    record.extension_fields = _extension_fields(data, namespaces)
    record.sensor_reports = _sensor_reports(data)
    record.vocabulary_values = _vocabulary_values(data)


def _identifiers(
    data: dict[str, Any], keys: MatchingKeys
) -> list[tuple[int, str, float | None, str]]:
    rows: list[tuple[int, str, float | None, str]] = []
    if "parentID" in data:
        rows.append((Role.PARENT, keys[data["parentID"]], None, ""))
    for key, role in EPC_LISTS:
        if key in data:
            rows += [(role, keys[epc], None, "") for epc in data[key]]
    for key, role in QUANTITY_LISTS:
        if key in data:
            rows += [
                (role, keys[item["epcClass"]], item.get("quantity"), item.get("uom", ""))
                for item in data[key]
            ]
    return rows


def _extension_fields(data: dict[str, Any], namespaces: dict[str, str]) -> list:
    rows: list = []
    _flatten("event", data, namespaces, rows, inner=False, standard=None)
    if isinstance(data.get("ilmd"), dict):
        _flatten("ilmd", data["ilmd"], namespaces, rows, inner=False, standard=frozenset())
    for scope, standard in EXTENSION_SCOPES.items():
        if isinstance(data.get(scope), dict):
            _flatten(scope, data[scope], namespaces, rows, inner=False, standard=standard)
    for element in data.get("sensorElementList", ()):
        _flatten("sensorElement", element, namespaces, rows, inner=False, standard=None)
        metadata = element.get("sensorMetadata") or {}
        _flatten("sensorMetadata", metadata, namespaces, rows, inner=False, standard=None)
        for report in element.get("sensorReport", ()):
            _flatten("sensorReport", report, namespaces, rows, inner=False, standard=None)
    return rows


def _flatten(
    scope: str,
    obj: dict[str, Any],
    namespaces: dict[str, str],
    rows: list,
    *,
    inner: bool,
    standard: frozenset[str] | None,
) -> None:
    """Add one row per extension field of `obj`, then recurse into nested ones as INNER.

    `standard=None` means "extension keys are the prefixed ones" (event level, sensor
    objects); otherwise every key outside `standard` is an extension (ilmd, locations).
    """
    for key, value in obj.items():
        if standard is None and ":" not in key or standard is not None and key in standard:
            continue
        namespace, name = _expand(key, namespaces)
        for item in value if isinstance(value, list) else [value]:
            rows.append((scope, inner, namespace, name, *_typed(item)))
            if isinstance(item, dict):
                _flatten(scope, item, namespaces, rows, inner=True, standard=frozenset())


def _expand(key: str, namespaces: dict[str, str]) -> tuple[str, str]:
    prefix, _, local = key.partition(":")
    if local and prefix in namespaces:
        return namespaces[prefix], local
    return "", key


def _typed(value: Any) -> tuple[str, float | None, datetime | None]:
    """The value as text, and as a number or a time when it reads as one (for GT_/LT_ queries)."""
    if isinstance(value, dict):
        return "", None, None
    if isinstance(value, bool):
        return str(value).lower(), None, None
    if isinstance(value, int | float):
        return _number_text(value), float(value), None
    text = str(value)
    return text, _number_or_none(text), _time_or_none(text)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _number_or_none(text: str) -> float | None:
    # Matched first: most texts (lot numbers, dates) are not numbers, and raising is slow.
    return float(text) if _DECIMAL.fullmatch(text) else None


def _time_or_none(text: str | None) -> datetime | None:
    return time_or_none(text) if text else None


def _sensor_reports(data: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for position, element in enumerate(data.get("sensorElementList", ())):
        metadata = element.get("sensorMetadata") or {}
        for report in element.get("sensorReport", ()):
            # Metadata-level members may sit on the report too (TCR-53): the report's win.
            merged = {**metadata, **report}
            row: dict[str, Any] = {"element": position, "boolean_value": merged.get("booleanValue")}
            row.update({col: str(merged.get(key, "")) for key, col in SENSOR_TEXT.items()})
            row.update(
                {col: _time_or_none(merged.get(k)) for k, col in SENSOR_METADATA_TIMES.items()}
            )
            row.update({col: merged.get(key) for key, col in SENSOR_NUMBERS.items()})
            rows.append(row)
    return rows


def _vocabulary_values(data: dict[str, Any]) -> list[tuple[str, str]]:
    persistent = data.get("persistentDisposition") or {}
    declaration = data.get("errorDeclaration") or {}
    certification = data.get("certificationInfo", [])
    return (
        [("pds", value) for value in persistent.get("set", ())]
        + [("pdu", value) for value in persistent.get("unset", ())]
        + [("cor", value) for value in declaration.get("correctiveEventIDs", ())]
        + [("cert", value) for value in _as_list(certification)]
    )


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _location(data: dict[str, Any], key: str, keys: MatchingKeys) -> str:
    location = data.get(key)
    return keys[location["id"]] if isinstance(location, dict) and "id" in location else ""
