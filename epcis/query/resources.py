"""The top-level query resources (/eventTypes, /epcs, /bizSteps, /bizLocations, /readPoints,
/dispositions): how a path value is read, which events it selects, and where its values
are stored (for the listings)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q

from epcis import cbv
from epcis.identifiers import canonical
from epcis.models import EventIdentifier, Role
from epcis.query.filters import fact_exists

INSTANCE_ROLES = (Role.EPC, Role.PARENT, Role.CHILD, Role.INPUT, Role.OUTPUT)
# A value in the path may hold '/' only as a URI with an authority: a Digital Link, a
# custom CBV Web URI. URNs never do (an EPC URN escapes '/' as %2F), nor do CBV words.
_WEB_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/]")


@dataclass(frozen=True)
class Resource:
    name: str
    parse: Callable[[str], str]  # path value -> stored form (ValueError when malformed)
    column: str | None  # the Event column holding it; None for EPCs (a fact table)
    identifier: bool = False  # rendered per GS1-EPC-Format
    vocabulary: str | None = None  # the CBV kind of its values (bizStep, disposition)

    def path_problem(self, value: str) -> str | None:
        """Why `value`, read from the URL path, is not one value of this resource; None
        when it is. So in /bizSteps/shipping/foo the value is `shipping` and `foo` a
        sub-resource, while /epcs/https://id.gs1.org/01/.../21/... is one value."""
        try:
            self.parse(value)
        except ValueError as exc:
            return str(exc)
        if "/" not in value:
            return None
        if not _WEB_URI.match(value):
            return "only a URI such as https://... may hold '/'"
        return cbv.problem(self.vocabulary, value) if self.vocabulary else None

    def condition(self, value: str) -> Q:
        if self.column is None:
            return fact_exists(EventIdentifier, Q(canonical=value))
        return Q(**{self.column: value})


RESOURCES: dict[str, Resource] = {
    resource.name: resource
    for resource in (
        Resource("eventTypes", str.strip, "type"),
        Resource("epcs", canonical, None, identifier=True),
        Resource(
            "bizSteps",
            lambda value: cbv.normalise("bizStep", value),
            "biz_step",
            vocabulary="bizStep",
        ),
        Resource("bizLocations", canonical, "biz_location", identifier=True),
        Resource("readPoints", canonical, "read_point", identifier=True),
        Resource(
            "dispositions",
            lambda value: cbv.normalise("disposition", value),
            "disposition",
            vocabulary="disposition",
        ),
    )
}
