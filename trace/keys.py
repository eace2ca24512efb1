"""Identifiers as typed or scanned by a person (a URL path, a search box) -> matching keys."""

from __future__ import annotations

import re

from epcis.identifiers import IdentifierError, from_element_string, identifier_problem, matching_key
from epcis.problems import EPCISError

ACCEPTED_FORMS = (
    "an EPC URN (urn:epc:id:sgtin:0614141.107346.2017), a GS1 Digital Link on any domain "
    "(https://id.gs1.org/01/10614141073464/21/2017) or GS1 barcode data: an element string "
    "((01)10614141073464(21)2017) or the raw scan with GS separators"
)
# Control characters are refused (PostgreSQL refuses NUL in text); GS (\x1d) separates the
# fields of a raw scan.
_CONTROL = re.compile(r"[\x00-\x1c\x1e\x1f\x7f]")


class UnusableIdentifier(EPCISError):
    status = 400
    exception = "ValidationException"

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"{text!r} is not a usable identifier ({reason}). Send {ACCEPTED_FORMS}.")


class UnknownIdentifier(EPCISError):
    status = 404
    exception = "NoSuchResourceException"

    def __init__(self, text: str) -> None:
        super().__init__(f"No stored event names {text!r} (directly or as the lot of a unit).")


def identifier_key(text: str) -> str:
    """The matching key of an identifier given as a URN, a Digital Link or an element
    string; UnusableIdentifier (400) otherwise."""
    value = text.strip()
    if not value:
        raise UnusableIdentifier(text, "it is empty")
    if _CONTROL.search(value):
        raise UnusableIdentifier(text, "it holds a control character")
    if value[:4].lower() in ("urn:", "http"):
        problem = identifier_problem(value)
        if problem is not None:
            raise UnusableIdentifier(text, problem)
        return matching_key(value)
    try:
        return from_element_string(value)[0]
    except IdentifierError as exc:
        raise UnusableIdentifier(text, str(exc)) from None
