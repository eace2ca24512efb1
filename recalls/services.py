"""The verbs of recalls: `request_recall` validates a request and stores a queued job.

The caller enqueues it once committed (`recalls.tasks.enqueue_recall`), as capture does.
Identifiers are accepted as an EPC URN, a GS1 Digital Link or an element string
(`trace.keys.identifier_key`) and kept as canonical matching keys.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from django.contrib.auth.models import User

from epcis.identifiers import IdentifierError, lgtin, matching_key
from epcis.problems import EPCISError
from epcis.query.params import time_value
from epcis.rendering.times import rfc3339
from recalls.models import RecallJob
from trace.keys import ACCEPTED_FORMS, UnusableIdentifier, identifier_key

FIELDS = ("epcClasses", "epcs", "gtin", "lots", "from", "until", "reason", "reference")
LGTIN_FORMS = (
    "an LGTIN: urn:epc:class:lgtin:4012345.011111.A, https://id.gs1.org/01/04012345111118/10/A "
    "or (01)04012345111118(10)A"
)
EPC_FORMS = "an SGTIN or an SSCC"
GTIN_FORMS = "a GTIN: 04012345111118, (01)04012345111118 or https://id.gs1.org/01/04012345111118"
MAX_IDENTIFIERS = 1000


class RecallRequestError(EPCISError):
    status = 400
    exception = "ValidationException"

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}", field=field)


def key_kind(key: str) -> str:
    """lgtin, sgtin, sscc, gtin or other, from a canonical key's GS1 application ids."""
    parts = urlsplit(key).path.strip("/").split("/")
    ais = tuple(parts[0::2])
    return {
        ("01", "10"): "lgtin",
        ("01", "21"): "sgtin",
        ("00",): "sscc",
        ("01",): "gtin",
    }.get(ais, "other")


def lot_number(key: str) -> str:
    """The lot number of an LGTIN key ("" for anything else)."""
    return unquote(key.rsplit("/10/", 1)[1]) if "/10/" in key else ""


def _key(field: str, text: Any, kinds: tuple[str, ...], forms: str) -> str:
    if not isinstance(text, str):
        raise RecallRequestError(field, f"give a string, {forms}.")
    try:
        key = identifier_key(text)
    except UnusableIdentifier as exc:
        raise RecallRequestError(field, exc.detail) from None
    if key_kind(key) not in kinds:
        raise RecallRequestError(field, f"{text!r} is not {forms}.")
    return key


def _list(params: dict[str, Any], field: str) -> list[Any]:
    value = params.get(field, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise RecallRequestError(field, "give a list of strings.")
    if len(value) > MAX_IDENTIFIERS:
        raise RecallRequestError(field, f"at most {MAX_IDENTIFIERS} per recall.")
    return value


def _gtin_key(text: Any) -> str:
    if isinstance(text, str) and text.strip().isdigit() and len(text.strip()) in (8, 12, 13, 14):
        text = f"(01){text.strip().zfill(14)}"
    return _key("gtin", text, ("gtin",), GTIN_FORMS)


def _time(params: dict[str, Any], field: str) -> str | None:
    raw = params.get(field)
    if raw is None:
        return None
    try:
        return rfc3339(time_value(raw)) if isinstance(raw, str) else _bad_time(field, raw)
    except ValueError:
        return _bad_time(field, raw)


def _bad_time(field: str, raw: Any) -> str:
    raise RecallRequestError(
        field, f"{raw!r} is not an RFC 3339 time with an offset, e.g. 2024-03-01T10:00:00Z."
    )


def _text(params: dict[str, Any], field: str, limit: int) -> str:
    value = params.get(field, "")
    if not isinstance(value, str) or len(value) > limit:
        raise RecallRequestError(field, f"give a string of at most {limit} characters.")
    return value


def validate(params: Any) -> dict[str, Any]:
    """The job's `parameters`: canonical keys with the text each was given as."""
    if not isinstance(params, dict):
        raise RecallRequestError("body", "send a JSON object with epcClasses, epcs or gtin+lots.")
    unknown = sorted(set(params) - set(FIELDS))
    if unknown:
        raise RecallRequestError(unknown[0], f"unknown field; a recall takes {', '.join(FIELDS)}.")
    given: dict[str, str] = {}  # key -> the text it was given as
    for index, text in enumerate(_list(params, "epcClasses")):
        given.setdefault(_key(f"epcClasses[{index}]", text, ("lgtin",), LGTIN_FORMS), text)
    epcs: dict[str, str] = {}
    for index, text in enumerate(_list(params, "epcs")):
        epcs.setdefault(_key(f"epcs[{index}]", text, ("sgtin", "sscc"), EPC_FORMS), text)
    lots = _list(params, "lots")
    if ("gtin" in params) != bool(lots):
        field = "lots" if "gtin" in params else "gtin"
        raise RecallRequestError(field, "gtin and lots go together: a GTIN and its lot numbers.")
    if lots:
        gtin = _gtin_key(params["gtin"])
        for index, number in enumerate(lots):
            if not isinstance(number, str) or not number.strip():
                raise RecallRequestError(f"lots[{index}]", "give a lot number (a string).")
            try:
                key = matching_key(lgtin(gtin, number.strip()))
            except IdentifierError as exc:
                raise RecallRequestError(f"lots[{index}]", str(exc)) from None
            given.setdefault(key, key)
    if not given and not epcs:
        raise RecallRequestError(
            "epcClasses", f"name what to recall: epcClasses, epcs or gtin+lots ({ACCEPTED_FORMS})."
        )
    start, end = _time(params, "from"), _time(params, "until")
    if start and end and time_value(end) <= time_value(start):
        raise RecallRequestError("until", "must be later than from.")
    return {
        "lots": given,
        "epcs": epcs,
        "from": start,
        "until": end,
        "reason": _text(params, "reason", 10_000),
        "reference": _text(params, "reference", 200),
    }


def request_recall(owner: User, params: Any) -> RecallJob:
    """A queued recall job for the validated request (RecallRequestError: 400)."""
    parameters = validate(params)
    reason, reference = parameters.pop("reason"), parameters.pop("reference")
    return RecallJob.objects.create(
        owner=owner, parameters=parameters, reason=reason, reference=reference
    )
