"""The `EPCIS_AFTER_STORE` contract: how apps built on the repository (the lineage graph)
learn of events as they are stored, without `epcis` importing them.

* The setting is a list of dotted paths to callables `hook(events: list[StoredEvent])`.
  They are resolved once, and checked at start-up by a Django system check
  (`epcis.E001`..`E003`): a typo fails `manage.py check`, `migrate`, `runserver` and the
  worker's start, not the first capture.
* A hook is called once per stored batch, inside the storing transaction, with the events
  that batch stored (never duplicates), in document order. What it writes commits or rolls
  back with the events: a `rollback` document with an invalid event undoes the hooks' work
  too, and a hook that raises rolls the whole document back and fails the job at once with
  an ImplementationException naming the hook (it is not retried: a bug does not go away).
* `StoredEvent` is built from what ingest already computed (no query, no re-parse).
  Identifiers are in their canonical matching form (`epcis.identifiers.matching_key`),
  so the same unit captured as a URN and as a Digital Link is one identifier.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from epcis.models import Role
from epcis.normalise import EventRecord
from epcis.problems import EPCISError

CBV_MASTER_DATA = "urn:epcglobal:cbv:mda:"
Hook = Callable[[list["StoredEvent"]], Any]


@dataclass(frozen=True, slots=True)
class Quantity:
    """One member of a quantity list: an EPC class, and its quantity and unit if given."""

    epc_class: str
    quantity: float | None
    uom: str


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One stored event, as after-store hooks see it."""

    pk: int
    event_id: str
    capture_id: int
    owner_id: int
    type: str  # ObjectEvent, AggregationEvent, ...
    action: str  # ADD | OBSERVE | DELETE, "" for TransformationEvent
    event_time: datetime
    record_time: datetime
    biz_step: str  # bare CBV word for standard values, else the URI
    disposition: str
    read_point: str
    biz_location: str
    parent: str  # parentID, "" if none
    epc_list: tuple[str, ...]
    children: tuple[str, ...]  # childEPCs
    inputs: tuple[str, ...]  # inputEPCList
    outputs: tuple[str, ...]  # outputEPCList
    quantity_list: tuple[Quantity, ...]
    child_quantities: tuple[Quantity, ...]
    input_quantities: tuple[Quantity, ...]
    output_quantities: tuple[Quantity, ...]
    transformation_id: str
    sources: tuple[tuple[str, str], ...]  # (type, id), e.g. ("owning_party", "urn:epc:id:pgln:...")
    destinations: tuple[tuple[str, str], ...]
    biz_transactions: tuple[tuple[str, str], ...]  # (type, id), e.g. ("po", "urn:epcglobal:...")
    lot: str  # ILMD cbvmda:lotNumber, "" if none
    expiry: str  # ILMD cbvmda:itemExpirationDate, "" if none
    # An error declaration: the eventID whose event it retracts, and the corrective events.
    retracts: str
    corrective_event_ids: tuple[str, ...]
    doc: dict[str, Any]  # the event as captured (EPCIS 2.0 JSON form); do not modify


class AfterStoreHookFailed(EPCISError):
    status = 500
    exception = "ImplementationException"

    def __init__(self, path: str, error: BaseException) -> None:
        super().__init__(
            f"The after-store hook {path} failed ({type(error).__name__}: {error}); nothing in "
            "the document was stored. This is a fault of the server, not of the document: "
            "send it again once it is fixed, or contact support.",
            hook=path,
        )
        self.path = path


def after_store_hooks() -> tuple[tuple[str, Hook], ...]:
    """The configured hooks, resolved once per value of the setting."""
    return _resolved(tuple(settings.EPCIS_AFTER_STORE))


@functools.cache
def _resolved(paths: tuple[str, ...]) -> tuple[tuple[str, Hook], ...]:
    return tuple((path, import_string(path)) for path in paths)


def run_after_store_hooks(
    stored: Sequence[tuple[int, EventRecord]], *, capture_id: int, owner_id: int, record_time: Any
) -> None:
    """Call every hook with the batch just stored; raise AfterStoreHookFailed if one raises."""
    hooks = after_store_hooks()
    if not hooks or not stored:
        return
    events = [stored_event(pk, r, capture_id, owner_id, record_time) for pk, r in stored]
    for path, hook in hooks:
        try:
            hook(events)
        except Exception as error:
            raise AfterStoreHookFailed(path, error) from error


def stored_event(
    pk: int, record: EventRecord, capture_id: int, owner_id: int, record_time: datetime
) -> StoredEvent:
    # Built for every event of every batch: the empty lists most events have cost nothing.
    pairs = record.sources_destinations
    return StoredEvent(
        pk=pk,
        event_id=record.event_id,
        capture_id=capture_id,
        owner_id=owner_id,
        type=record.type,
        action=record.action,
        event_time=record.event_time,
        record_time=record_time,
        biz_step=record.biz_step,
        disposition=record.disposition,
        read_point=record.read_point,
        biz_location=record.biz_location,
        transformation_id=record.transformation_id,
        **_identifier_lists(record.identifiers),
        sources=tuple((t, v) for kind, t, v in pairs if kind == "s") if pairs else (),
        destinations=tuple((t, v) for kind, t, v in pairs if kind == "d") if pairs else (),
        biz_transactions=tuple(record.biz_transactions),
        lot=_ilmd_text(record, "lotNumber") if record.extension_fields else "",
        expiry=_ilmd_text(record, "itemExpirationDate") if record.extension_fields else "",
        retracts=record.event_id if record.declaration_time is not None else "",
        corrective_event_ids=tuple(v for kind, v in record.vocabulary_values if kind == "cor"),
        doc=record.doc,
    )


# StoredEvent's field for each identifier role, and the fields of an event without any.
_EPC_FIELDS = {
    int(Role.PARENT): "parent",
    int(Role.EPC): "epc_list",
    int(Role.CHILD): "children",
    int(Role.INPUT): "inputs",
    int(Role.OUTPUT): "outputs",
}
_QUANTITY_FIELDS = {
    int(Role.QUANTITY): "quantity_list",
    int(Role.CHILD_QUANTITY): "child_quantities",
    int(Role.INPUT_QUANTITY): "input_quantities",
    int(Role.OUTPUT_QUANTITY): "output_quantities",
}
_NO_IDENTIFIERS = dict.fromkeys((*_EPC_FIELDS.values(), *_QUANTITY_FIELDS.values()), ())


def _identifier_lists(identifiers: list[tuple[int, str, float | None, str]]) -> dict:
    """The identifier fields of a StoredEvent, in one pass over the record's rows."""
    found: dict[str, list[Any]] = {}
    for role, canonical, quantity, uom in identifiers:
        name = _EPC_FIELDS.get(role)
        if name is not None:
            found.setdefault(name, []).append(canonical)
        else:
            found.setdefault(_QUANTITY_FIELDS[role], []).append(Quantity(canonical, quantity, uom))
    lists: dict[str, Any] = {**_NO_IDENTIFIERS, **{k: tuple(v) for k, v in found.items()}}
    parents = lists["parent"]
    lists["parent"] = parents[0] if parents else ""
    return lists


def _ilmd_text(record: EventRecord, name: str) -> str:
    for scope, inner, namespace, field_name, text, _, _ in record.extension_fields:
        if scope == "ilmd" and not inner and field_name == name and namespace == CBV_MASTER_DATA:
            return text
    return ""


# -- the start-up check ------------------------------------------------------------------


@checks.register()
def check_after_store_hooks(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """EPCIS_AFTER_STORE must be a list of importable callables taking the list of events."""
    paths = getattr(settings, "EPCIS_AFTER_STORE", None)
    if not isinstance(paths, list | tuple) or not all(isinstance(p, str) for p in paths):
        return [
            checks.Error(
                f"EPCIS_AFTER_STORE must be a list of dotted paths, not {paths!r}.",
                id="epcis.E001",
            )
        ]
    return [error for path in paths if (error := _hook_error(path)) is not None]


def _hook_error(path: str) -> checks.CheckMessage | None:
    try:
        hook = import_string(path)
    except ImportError as exc:
        return checks.Error(
            f"EPCIS_AFTER_STORE names {path!r}, which cannot be imported: {exc}", id="epcis.E002"
        )
    try:
        inspect.signature(hook).bind([])
    except (TypeError, ValueError):
        return checks.Error(
            f"EPCIS_AFTER_STORE hook {path!r} must be callable as hook(events), one argument: "
            "the list of StoredEvent of a batch.",
            id="epcis.E003",
        )
    return None
