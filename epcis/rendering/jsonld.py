"""Render stored events as EPCIS 2.0 JSON-LD: documents, query documents, single events.

Each event comes back as captured plus `eventID` and `recordTime`; identifiers follow the
`GS1-EPC-Format` asked for. Extension prefixes of all events are declared in one inline
@context beside the standard one; a prefix that two events bind to different namespaces
is renamed in the later event, so every CURIE still expands to its own namespace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from epcis.gs1 import DEFAULT_EPC_FORMAT
from epcis.gs1 import EPCIS_CONTEXT as STANDARD_CONTEXT
from epcis.identifiers import IdentifierError, to_digital_link, to_epc_urn

EPC_LIST_MEMBERS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
QUANTITY_MEMBERS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")
StoredEvent = tuple[dict[str, Any], dict[str, str]]  # (event with eventID/recordTime, namespaces)


def identifier_translator(epc_format: str) -> Callable[[str], str]:
    """The function applied to every identifier for a `GS1-EPC-Format` value."""
    if epc_format == "Always_GS1_Digital_Link":
        return _safe(to_digital_link)
    if epc_format == "Always_EPC_URN":
        return _safe(lambda uri: to_epc_urn(uri) or uri)
    return lambda uri: uri


def _safe(convert: Callable[[str], str]) -> Callable[[str], str]:
    def translate(uri: str) -> str:
        try:
            return convert(uri)
        except IdentifierError:
            return uri

    return translate


def translate_identifiers(event: dict[str, Any], translate: Callable[[str], str]) -> dict[str, Any]:
    """A copy of `event` with every identifier-valued member passed through `translate`."""
    out = dict(event)
    for key in EPC_LIST_MEMBERS:
        if key in out:
            out[key] = [translate(epc) for epc in out[key]]
    if "parentID" in out:
        out["parentID"] = translate(out["parentID"])
    for key in QUANTITY_MEMBERS:
        if key in out:
            out[key] = [{**q, "epcClass": translate(q["epcClass"])} for q in out[key]]
    for key in ("readPoint", "bizLocation"):
        if isinstance(out.get(key), dict) and "id" in out[key]:
            out[key] = {**out[key], "id": translate(out[key]["id"])}
    for key, member in (("sourceList", "source"), ("destinationList", "destination")):
        if key in out:
            out[key] = [{**item, member: translate(item[member])} for item in out[key]]
    return out


def render_events(
    events: Iterable[StoredEvent], *, epc_format: str = DEFAULT_EPC_FORMAT
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Events ready for an eventList, and the prefix map their CURIEs need."""
    translate = identifier_translator(epc_format)
    context: dict[str, str] = {}
    rendered = []
    for event, namespaces in events:
        renames = _merge_prefixes(context, namespaces)
        event = _rename_prefixes(event, renames) if renames else event
        rendered.append(translate_identifiers(event, translate))
    return rendered, context


def json_context(prefixes: dict[str, str]) -> str | list[Any]:
    return [STANDARD_CONTEXT, dict(sorted(prefixes.items()))] if prefixes else STANDARD_CONTEXT


def render_query_document(
    events: Iterable[StoredEvent],
    *,
    query_name: str = "SimpleEventQuery",
    epc_format: str = DEFAULT_EPC_FORMAT,
    creation_date: str,
) -> dict[str, Any]:
    """An EPCISQueryDocument holding `events` (a page of query results)."""
    event_list, prefixes = render_events(events, epc_format=epc_format)
    return {
        "@context": json_context(prefixes),
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": creation_date,
        "epcisBody": {
            "queryResults": {"queryName": query_name, "resultsBody": {"eventList": event_list}}
        },
    }


def render_epcis_document(
    events: Iterable[StoredEvent], *, epc_format: str = DEFAULT_EPC_FORMAT, creation_date: str
) -> dict[str, Any]:
    """An EPCISDocument holding `events` (e.g. an export that can be captured elsewhere)."""
    event_list, prefixes = render_events(events, epc_format=epc_format)
    return {
        "@context": json_context(prefixes),
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": creation_date,
        "epcisBody": {"eventList": event_list},
    }


def _merge_prefixes(context: dict[str, str], namespaces: dict[str, str]) -> dict[str, str]:
    """Add `namespaces` to `context`; return the prefixes that had to be renamed."""
    renames = {}
    by_namespace = {uri: prefix for prefix, uri in context.items()}
    for prefix, uri in namespaces.items():
        if context.get(prefix, uri) == uri:
            context[prefix] = uri
            by_namespace.setdefault(uri, prefix)
            continue
        new = by_namespace.get(uri) or _free_prefix(prefix, context)
        context[new] = uri
        by_namespace[uri] = new
        renames[prefix] = new
    return renames


def _free_prefix(prefix: str, context: dict[str, str]) -> str:
    n = 2
    while f"{prefix}{n}" in context:
        n += 1
    return f"{prefix}{n}"


def _rename_prefixes(value: Any, renames: dict[str, str]) -> Any:
    if isinstance(value, list):
        return [_rename_prefixes(item, renames) for item in value]
    if not isinstance(value, dict):
        return value
    return {
        _rename_key(key, renames): _rename_prefixes(item, renames) for key, item in value.items()
    }


def _rename_key(key: str, renames: dict[str, str]) -> str:
    prefix, sep, local = key.partition(":")
    if sep and prefix in renames:
        return f"{renames[prefix]}:{local}"
    if key.startswith("@") and ":" in key:
        return "@" + _rename_key(key[1:], renames)
    return key
