"""GET /epcs/{epc}/state, /epcs/{epc}/hierarchy?at=, /epcs/{epc}/timeline (DESIGN §5).

Thin views over `trace.selectors`: read the path and the query string, ask a selector,
render the keys in their display form. Staff only (the lineage spans every partner's
events, DESIGN §10): a partner key gets 403. Errors are EPCISErrors, answered as problems
by the API's one handler.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from epcis.api.authentication import IsStaff
from epcis.query.pagination import (
    PagePosition,
    bad_per_page,
    page_position,
    page_token,
    per_page,
    token_expiry,
)
from epcis.query.params import QueryParameterError, time_value
from epcis.rendering.times import rfc3339
from trace.keys import UnknownIdentifier, identifier_key
from trace.selectors import (
    TimelineEntry,
    children_at,
    display_forms,
    is_known,
    parents_at,
    state_of,
    timeline_after,
    timeline_of,
)


class LineageApi(APIView):
    """An identifier's lineage resource: staff only, no query parameters but `parameters`."""

    permission_classes = [IsAuthenticated, IsStaff]
    parameters: frozenset[str] = frozenset()

    def identifier(self, request: Request, epc: str) -> str:
        unknown = sorted(set(request.query_params) - self.parameters)
        if unknown:
            takes = " and ".join(sorted(self.parameters)) or "no query parameters"
            raise QueryParameterError(
                f"Unknown query parameter(s): {', '.join(unknown)}; this resource takes {takes}."
            )
        key = identifier_key(epc)
        if not is_known(key):
            raise UnknownIdentifier(epc)
        return key


class EpcStateApi(LineageApi):
    def get(self, request: Request, epc: str) -> Response:
        key = self.identifier(request, epc)
        state = state_of(key, datetime.now(UTC))
        forms = display_forms([key, state.lot, state.parent, state.top_parent])
        return Response(
            {
                "epc": forms[key],
                "lot": forms.get(state.lot),
                "location": state.location or None,
                "disposition": state.disposition or None,
                "parent": forms.get(state.parent),
                "topParent": forms.get(state.top_parent),
                "lastEventTime": _time(state.last_event_time),
                "decommissioned": state.decommissioned,
            }
        )


class EpcHierarchyApi(LineageApi):
    parameters = frozenset({"at"})

    def get(self, request: Request, epc: str) -> Response:
        key = self.identifier(request, epc)
        at = _at(request.query_params.get("at"))
        parents, children = parents_at(key, at), children_at(key, at)
        forms = display_forms([key, *parents, *children])
        return Response(
            {
                "epc": forms[key],
                "at": rfc3339(at),
                "parents": [forms[p] for p in parents],
                "children": [forms[c] for c in children],
            }
        )


class EpcTimelineApi(LineageApi):
    parameters = frozenset({"perPage", "nextPageToken"})

    def get(self, request: Request, epc: str) -> Response:
        key = self.identifier(request, epc)
        size, position, bound = _page_request(request)
        entries = timeline_after(timeline_of(key), position.pk if position else None)
        page, more = entries[:size], len(entries) > size
        forms = display_forms(e.via for e in page if e.via)
        headers = {}
        if more:
            served = (position.served if position else 0) + len(page)
            token = page_token(PagePosition(page[-1].pk, served), bound)
            query = urlencode({"perPage": size, "nextPageToken": token})
            headers["Link"] = f'<{request.build_absolute_uri(request.path)}?{query}>; rel="next"'
            headers["GS1-Next-Page-Token-Expires"] = token_expiry()
        return Response([_entry(e, forms) for e in page], headers=headers)


def _page_request(request: Request) -> tuple[int, PagePosition | None, str]:
    raw = request.query_params.get("perPage")
    if raw is not None and not (raw.isascii() and raw.isdigit()):
        raise bad_per_page(raw)
    bound = f"{request.user.pk}|{request.path}"  # a token is not replayed elsewhere
    return (
        per_page(None if raw is None else int(raw)),
        page_position(request.query_params.get("nextPageToken"), bound),
        bound,
    )


def _entry(entry: TimelineEntry, forms: dict[str, str]) -> dict[str, Any]:
    return {
        "eventID": entry.event_id,
        "eventTime": rfc3339(entry.event_time),
        "type": entry.type,
        "action": entry.action or None,
        "bizStep": entry.biz_step or None,
        "disposition": entry.disposition or None,
        "bizLocation": entry.biz_location or None,
        "via": forms[entry.via] if entry.via else None,
    }


def _at(raw: str | None) -> datetime:
    if raw is None:
        return datetime.now(UTC)
    try:
        return time_value(raw)
    except ValueError:
        raise QueryParameterError(
            f"at={raw!r}: give an RFC 3339 time with an offset, e.g. 2024-03-01T10:00:00Z."
        ) from None


def _time(moment: datetime | None) -> str | None:
    return rfc3339(moment) if moment is not None else None
