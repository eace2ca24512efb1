"""The verbs of traces: `request_trace` validates a request and stores a queued job.

The caller enqueues it once committed (`trace.tasks.enqueue_trace`), as capture and
recalls do. Identifiers are accepted as an EPC URN, a GS1 Digital Link or an element
string (`trace.keys.identifier_key`) and kept as canonical matching keys, with the text
each was given as.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.models import User

from epcis.problems import EPCISError
from trace.keys import UnusableIdentifier, identifier_key
from trace.models import TraceJob

FIELDS = ("epc", "epcClass", "direction", "reason", "reference")
DIRECTIONS = ("backward", "forward")
EPC_FORMS = (
    "an SGTIN or an SSCC: urn:epc:id:sgtin:4012345.011111.1001, "
    "https://id.gs1.org/01/04012345111118/21/1001 or (01)04012345111118(21)1001"
)
LGTIN_FORMS = (
    "an LGTIN: urn:epc:class:lgtin:4012345.011111.A, https://id.gs1.org/01/04012345111118/10/A "
    "or (01)04012345111118(10)A"
)


class TraceRequestError(EPCISError):
    status = 400
    exception = "ValidationException"

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}", field=field)


def key_kind(key: str) -> str:
    """lgtin, sgtin, sscc, gtin or other, from a canonical key's GS1 application ids."""
    ais = tuple(urlsplit(key).path.strip("/").split("/")[0::2])
    return {("01", "10"): "lgtin", ("01", "21"): "sgtin", ("00",): "sscc", ("01",): "gtin"}.get(
        ais, "other"
    )


def _key(field: str, text: Any, kinds: tuple[str, ...], forms: str) -> str:
    if not isinstance(text, str):
        raise TraceRequestError(field, f"give a string, {forms}.")
    try:
        key = identifier_key(text)
    except UnusableIdentifier as exc:
        raise TraceRequestError(field, exc.detail) from None
    if key_kind(key) not in kinds:
        raise TraceRequestError(field, f"{text!r} is not {forms}.")
    return key


def _text(params: dict[str, Any], field: str, limit: int) -> str:
    value = params.get(field, "")
    if not isinstance(value, str) or len(value) > limit:
        raise TraceRequestError(field, f"give a string of at most {limit} characters.")
    return value


def validate(params: Any) -> dict[str, Any]:
    """The job's `parameters`: {"key", "given", "kind", "direction", "reason", "reference"}."""
    if not isinstance(params, dict):
        raise TraceRequestError("body", "send a JSON object with epc or epcClass and direction.")
    unknown = sorted(set(params) - set(FIELDS))
    if unknown:
        raise TraceRequestError(unknown[0], f"unknown field; a trace takes {', '.join(FIELDS)}.")
    if ("epc" in params) == ("epcClass" in params):
        raise TraceRequestError(
            "epc", "give exactly one of epc (a unit or container) and epcClass (a lot)."
        )
    direction = params.get("direction")
    if direction not in DIRECTIONS:
        raise TraceRequestError("direction", "give backward or forward.")
    if "epc" in params:
        field, kind = "epc", "epc"
        key = _key("epc", params["epc"], ("sgtin", "sscc"), EPC_FORMS)
    else:
        field, kind = "epcClass", "lot"
        key = _key("epcClass", params["epcClass"], ("lgtin",), LGTIN_FORMS)
    return {
        "key": key,
        "given": params[field].strip(),
        "kind": kind,
        "direction": direction,
        "reason": _text(params, "reason", 10_000),
        "reference": _text(params, "reference", 200),
    }


def request_trace(owner: User, params: Any) -> TraceJob:
    """A queued trace job for the validated request (TraceRequestError: 400)."""
    parameters = validate(params)
    reason, reference = parameters.pop("reason"), parameters.pop("reference")
    return TraceJob.objects.create(
        owner=owner, parameters=parameters, reason=reason, reference=reference
    )
