"""The stateless `nextPageToken`: a signed keyset position.

The token holds the id of the last event served (the next page starts strictly after it
in (sort key, id) order, so events captured while a client pages never shift a page: no
duplicates, no gaps), how many events were served so far (for `eventCountLimit`), and a
fingerprint of the other parameters, so it cannot be replayed with different filters.
It is signed with SECRET_KEY (django.core.signing): a client cannot forge a position.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core import signing

from epcis.query.params import QueryParameterError

SALT = "epcis.query.next-page"
TOKEN_LIFETIME = timedelta(hours=24)
PER_PAGE_DEFAULT, PER_PAGE_MAX = 30, 1000


@dataclass(frozen=True)
class PagePosition:
    pk: int  # the last event served
    served: int  # events served on earlier pages


def page_token(position: PagePosition, fingerprint: str) -> str:
    payload = [position.pk, position.served, fingerprint]
    return signing.dumps(payload, salt=SALT, compress=True)


def page_position(token: str | None, fingerprint: str) -> PagePosition | None:
    """The position a token carries; QueryParameterError if forged, expired or replayed."""
    if token is None:
        return None
    try:
        pk, served, bound_to = signing.loads(token, salt=SALT, max_age=TOKEN_LIFETIME)
        position = PagePosition(int(pk), int(served))
    except signing.SignatureExpired:
        raise QueryParameterError("nextPageToken has expired: run the query again.") from None
    except (signing.BadSignature, ValueError, TypeError):
        raise QueryParameterError(
            "nextPageToken is not valid: take it from a Link header."
        ) from None
    if bound_to != fingerprint:
        raise QueryParameterError(
            "nextPageToken belongs to a query with other parameters: repeat them unchanged."
        )
    return position


def token_expiry() -> str:
    """For `GS1-Next-Page-Token-Expires`."""
    moment = datetime.now(UTC) + TOKEN_LIFETIME
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def per_page(value: int | None) -> int:
    if value is None:
        return PER_PAGE_DEFAULT
    if not 1 <= value <= PER_PAGE_MAX:
        raise bad_per_page(value)
    return value


def bad_per_page(given: object) -> QueryParameterError:
    return QueryParameterError(
        f"perPage must be an integer from 1 to {PER_PAGE_MAX}, not {given!r}."
    )


def refuse_unknown(params: Iterable[str], allowed: Iterable[str]) -> None:
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise QueryParameterError(
            f"Unknown query parameter(s): {', '.join(unknown)}; this resource takes "
            f"{' and '.join(sorted(allowed))}."
        )


def value_token(last: Any, fingerprint: str) -> str:
    """For the listings (/epcs, /bizSteps, /queries, /capture ...): the last value served
    (any JSON value: a text, or a keyset such as [createdAt, id])."""
    return signing.dumps([last, fingerprint], salt=SALT + ".values", compress=True)


def value_position(token: str | None, fingerprint: str) -> Any:
    if token is None:
        return None
    try:
        last, bound_to = signing.loads(token, salt=SALT + ".values", max_age=TOKEN_LIFETIME)
    except signing.SignatureExpired:
        raise QueryParameterError("nextPageToken has expired: start again from page one.") from None
    except (signing.BadSignature, ValueError, TypeError):
        raise QueryParameterError(
            "nextPageToken is not valid: take it from a Link header."
        ) from None
    if bound_to != fingerprint:
        raise QueryParameterError("nextPageToken belongs to another listing.")
    return last


LISTING_PARAMETERS = frozenset({"perPage", "nextPageToken"})


def listing_position(params: Mapping[str, str], fingerprint: str) -> tuple[int, Any]:
    """perPage and the position after which a listing page starts, from its query string:
    one reading (and one set of messages) for /capture, the resources and /queries."""
    refuse_unknown(params, LISTING_PARAMETERS)
    raw = params.get("perPage")
    if raw is not None and not (raw.isascii() and raw.isdigit()):
        raise bad_per_page(raw)
    size = per_page(None if raw is None else int(raw))
    return size, value_position(params.get("nextPageToken"), fingerprint)
