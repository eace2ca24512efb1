"""The top-level query resources (/eventTypes, /epcs, /bizSteps, /bizLocations, /readPoints,
/dispositions): how a path value is read, which events it selects, and where its values
are stored (for the listings)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q

from epcis import cbv
from epcis.identifiers import canonical
from epcis.models import EventIdentifier, Role
from epcis.query.filters import fact_exists

INSTANCE_ROLES = (Role.EPC, Role.PARENT, Role.CHILD, Role.INPUT, Role.OUTPUT)


@dataclass(frozen=True)
class Resource:
    name: str
    parse: Callable[[str], str]  # path value -> stored form (ValueError when malformed)
    column: str | None  # the Event column holding it; None for EPCs (a fact table)
    identifier: bool = False  # rendered per GS1-EPC-Format

    def condition(self, value: str) -> Q:
        if self.column is None:
            return fact_exists(EventIdentifier, Q(canonical=value))
        return Q(**{self.column: value})


RESOURCES: dict[str, Resource] = {
    resource.name: resource
    for resource in (
        Resource("eventTypes", str.strip, "type"),
        Resource("epcs", canonical, None, identifier=True),
        Resource("bizSteps", lambda value: cbv.normalise("bizStep", value), "biz_step"),
        Resource("bizLocations", canonical, "biz_location", identifier=True),
        Resource("readPoints", canonical, "read_point", identifier=True),
        Resource("dispositions", lambda value: cbv.normalise("disposition", value), "disposition"),
    )
}
