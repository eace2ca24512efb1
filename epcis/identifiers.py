"""GS1 identifiers: EPC URN <-> GS1 Digital Link, canonical matching keys, element strings.

The canonical key is the constrained GS1 Digital Link on https://id.gs1.org used by the CBV 2.0
event-hash algorithm: 14-digit GTIN, no query string, only the most fine-grained allowed
key/qualifier combination. Values are held decoded internally and percent-encoded on output.

Percent-encoding. GS1 Digital Link (Table 7-1; grammar XSYMBOL) wants every CSET 82 symbol but
`-`, `.`, `_` percent-encoded, `'`, `;` and `=` included: `to_digital_link` writes that. The
canonical key instead keeps `'`, `;` and `=` literal, as the CBV 2.0 hash reference does (its
vector epclist_normalisation hashes `.../235/51qIgY%29%3C%26Jp3%2Aj7'SDB`), so that stored
matching keys and event hashes agree. Both forms decode first, so every input form of one
identifier (URN, DL with `'` or `%27`) gives one canonical key.

lgtin() rule: the lot class of a unit is the LGTIN of the unit's GTIN and the lot, returned in the
same family as the input (EPC URN in -> urn:epc:class:lgtin out, Digital Link in -> canonical DL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, unquote

from biip import ParseError, ParseResult, parse
from biip.gs1_application_identifiers import GS1ApplicationIdentifier
from biip.gs1_messages import GS1Message
from biip.gs1_prefixes import GS1CompanyPrefix

__all__ = [
    "IdentifierError",
    "canonical",
    "element_string_key",
    "from_element_string",
    "gs1_check_digit",
    "identifier_problem",
    "lgtin",
    "pattern_match_key",
    "to_digital_link",
    "to_epc_urn",
]

DL_BASE = "https://id.gs1.org/"


class IdentifierError(ValueError):
    """A value claims to be a GS1 identifier but is malformed."""


@dataclass(frozen=True)
class _Scheme:
    name: str
    ai: str
    digits: int | None  # company prefix + reference digits (no check digit); None: alphanumeric
    tail: str | None  # qualifier AI, "+" (serial appended to the key), or None
    move_first: bool = False  # indicator / extension digit goes in front of the company prefix
    prefix: str = ""  # GRAI: AI 8003 carries a leading "0"
    extra: int = 0  # ITIP: piece and total (2 digits each) follow the check digit
    tail_max: int = 20
    tail_numeric: bool = False
    max_len: int = 30  # alphanumeric keys: company prefix + reference
    namespace: str = "id"

    @property
    def fields(self) -> int:
        return 2 + self.extra + (self.tail is not None)


# TDS 2.x EPC schemes and the GS1 AI each one maps to (GS1 Digital Link / CBV 2.0 hash rules).
_SCHEMES: dict[str, _Scheme] = {
    s.name: s
    for s in (
        _Scheme("sgtin", "01", 13, "21", move_first=True),
        _Scheme("sscc", "00", 17, None, move_first=True),
        _Scheme("sgln", "414", 12, "254"),
        _Scheme("pgln", "417", 12, None),
        _Scheme("grai", "8003", 12, "+", prefix="0", tail_max=16),
        _Scheme("giai", "8004", None, None),
        _Scheme("gsrn", "8018", 17, None),
        _Scheme("gsrnp", "8017", 17, None),
        _Scheme("gdti", "253", 12, "+", tail_max=17),
        _Scheme("sgcn", "255", 12, "+", tail_max=12, tail_numeric=True),
        _Scheme("ginc", "401", None, None),
        _Scheme("gsin", "402", 16, None),
        _Scheme("cpi", "8010", None, "8011", tail_max=12, tail_numeric=True),
        _Scheme("itip", "8006", 13, "21", move_first=True, extra=2),
        _Scheme("upui", "01", 13, "235", move_first=True, tail_max=28),
        _Scheme("lgtin", "01", 13, "10", move_first=True, namespace="class"),
    )
}

_KEY_NAMES: dict[str, str] = {
    "00": "SSCC",
    "01": "GTIN",
    "253": "GDTI",
    "255": "GCN",
    "401": "GINC",
    "402": "GSIN",
    "414": "GLN",
    "417": "party GLN",
    "8003": "GRAI",
    "8004": "GIAI",
    "8006": "ITIP",
    "8010": "CPID",
    "8017": "GSRNP",
    "8018": "GSRN",
}

# Qualifiers a Digital Link may carry, most fine-grained first (only the first present is kept).
_QUALIFIERS: dict[str, tuple[str, ...]] = {"01": ("21", "235", "10"), "8006": ("21", "10")}
_QUALIFIERS.update({"414": ("254",), "8010": ("8011",)})
# Consumer product variant: allowed in a DL after a GTIN or ITIP, never part of the key.
_DROPPED_QUALIFIERS: dict[str, tuple[str, ...]] = {"01": ("22",), "8006": ("22",)}
_QUALIFIER_SPEC: dict[str, tuple[int, bool]] = {  # max length, numeric only
    "21": (20, False),
    "10": (20, False),
    "22": (20, False),
    "235": (28, False),
    "254": (20, False),
    "8011": (12, True),
}

# GS1 Digital Link 1.0 short names, still seen in the wild (and in the hash test vectors).
_ALIASES: dict[str, str] = {
    "gtin": "01",
    "sscc": "00",
    "gln": "414",
    "party": "417",
    "grai": "8003",
    "giai": "8004",
    "gsrn": "8018",
    "gsrnp": "8017",
    "gdti": "253",
    "gcn": "255",
    "ginc": "401",
    "gsin": "402",
    "cpid": "8010",
    "itip": "8006",
    "ser": "21",
    "lot": "10",
    "cpv": "22",
    "glnx": "254",
    "cpsn": "8011",
    "tpx": "235",
}

# (fixed digit count incl. check digit, or None; max length of what follows; numeric tail)
_KEY_FORMAT: dict[str, tuple[int | None, int, bool]] = {
    "00": (18, 0, True),
    "01": (14, 0, True),
    "414": (13, 0, True),
    "417": (13, 0, True),
    "8003": (14, 16, False),
    "8004": (None, 30, False),
    "8006": (14, 4, True),
    "8010": (None, 30, False),
    "8017": (18, 0, True),
    "8018": (18, 0, True),
    "253": (13, 17, False),
    "255": (13, 12, True),
    "401": (None, 30, False),
    "402": (17, 0, True),
}

# GS1 AI encodable character set 82, and set 39 for the CPI.
_CSET82 = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]*")
_CSET39 = re.compile(r"[#\-/0-9A-Z]*")
_DIGITS = re.compile(r"[0-9]+")
_URN = re.compile(r"urn:epc:(id|idpat|class):([a-z]+):(.*)", re.IGNORECASE)
_DL = re.compile(r"https?://[^/?#]+(/[^?#]*)?(?:[?#].*)?", re.IGNORECASE)
_LEADING_DIGITS = re.compile(r"[0-9]*")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")
# Left unencoded in Digital Link path values. GS1 Digital Link Table 7-1 percent-encodes all the
# other CSET 82 symbols (to_digital_link); the canonical key also keeps ' ; = literal (module doc).
_DL_SAFE = "-._"
_CANONICAL_SAFE = "-._';="
# TDS: characters that must be %-escaped in an EPC URN component.
_URN_SAFE = "!'()*+,-.:;=_"


@dataclass(frozen=True)
class _Key:
    """A GS1 key with at most one qualifier, values decoded."""

    ai: str
    value: str
    qualifier: tuple[str, str] | None = None
    cp_len: int | None = None  # known when parsed from an EPC URN


def gs1_check_digit(digits: str) -> str:
    """GS1 mod-10 check digit for `digits` (weights 3,1,3,... from the right)."""
    if not _DIGITS.fullmatch(digits):
        raise IdentifierError(f"check digit needs digits only, got {digits!r}")
    return _check_digit(digits)


def _check_digit(digits: str) -> str:
    """gs1_check_digit for text already known to be ASCII digits (hot path: no re-check)."""
    # Summing the bytes (code points, 48 + digit each) runs in C; int() per digit is 3x slower.
    raw = digits.encode()
    odd, even = raw[-1::-2], raw[-2::-2]
    total = 3 * (sum(odd) - 48 * len(odd)) + sum(even) - 48 * len(even)
    return "0987654321"[total % 10]  # (10 - total % 10) % 10 without str(int)


def _verify_check(name: str, digits: str) -> None:
    expected = gs1_check_digit(digits[:-1])
    if digits[-1] != expected:
        raise IdentifierError(f"{name} {digits} has a wrong check digit (expected {expected})")


def _decode(text: str, what: str) -> str:
    if "%" in text and _BAD_ESCAPE.search(text):
        raise IdentifierError(f"{what} {text!r} has a malformed %-escape")
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError as exc:
        raise IdentifierError(f"{what} {text!r} is not UTF-8 after %-decoding") from exc


def _check_chars(
    value: str,
    what: str,
    max_len: int,
    numeric: bool = False,
    pattern: re.Pattern[str] | None = None,
) -> None:
    if not value:
        raise IdentifierError(f"{what} is empty")
    if len(value) > max_len:
        raise IdentifierError(f"{what} {value!r} is longer than {max_len} characters")
    pattern = pattern or (_DIGITS if numeric else _CSET82)
    if not pattern.fullmatch(value):
        kind = "digits only" if numeric else "characters of GS1 character set 82"
        raise IdentifierError(f"{what} {value!r} must contain {kind}")


# ---------------------------------------------------------------- validation of a key


def _validate_key_value(ai: str, value: str) -> str:
    """Check a primary key value (decoded); returns it with a GTIN padded to 14 digits."""
    name = _KEY_NAMES[ai]
    fixed, rest_max, rest_numeric = _KEY_FORMAT[ai]
    if ai == "01" and len(value) in (8, 12, 13) and value.isdigit():
        value = value.zfill(14)  # GTIN-8/12/13 are written as GTIN-14 with leading zeros
    if fixed is None:
        if ai == "8010" and not _CSET39.fullmatch(value):
            raise IdentifierError(f"CPID {value!r} may contain only 0-9, A-Z, '-', '/' and '#'")
        _check_chars(value, name, rest_max, pattern=_CSET39 if ai == "8010" else None)
        if not value[:1].isdigit():
            raise IdentifierError(f"{name} {value!r} must start with a GS1 Company Prefix")
        return value
    head, rest = value[:fixed], value[fixed:]
    if not (head.isdigit() and head.isascii() and len(head) == fixed):
        raise IdentifierError(f"{name} {value!r} must start with {fixed} digits")
    if rest_max == 0 and rest:
        raise IdentifierError(f"{name} {value!r} must have exactly {fixed} digits")
    if ai == "8003" and head[0] != "0":
        raise IdentifierError(f"GRAI {value!r}: AI 8003 starts with a '0' before the GRAI")
    _verify_check(name, head)
    _validate_key_rest(ai, name, rest, rest_max, rest_numeric)
    return value


def _validate_key_rest(ai: str, name: str, rest: str, rest_max: int, numeric: bool) -> None:
    if ai == "8006" and not (len(rest) == 4 and rest.isdigit()):
        raise IdentifierError(f"{name} needs 18 digits: GTIN-14, piece and total (2 digits each)")
    if rest and ai != "8006":
        _check_chars(rest, f"{name} serial component", rest_max, numeric)


def _make_key(pairs: list[tuple[str, str]], cp_len: int | None = None) -> _Key:
    """Build the constrained key from decoded (AI, value) pairs, primary key first."""
    ai, raw = pairs[0]
    value = _validate_key_value(ai, raw)
    allowed = _QUALIFIERS.get(ai, ())
    found: dict[str, str] = {}
    for q_ai, q_value in pairs[1:]:
        if q_ai not in allowed and q_ai not in _DROPPED_QUALIFIERS.get(ai, ()):
            raise IdentifierError(f"AI {q_ai} is not a key qualifier of {_KEY_NAMES[ai]}")
        if q_ai in found:
            raise IdentifierError(f"AI {q_ai} appears twice")
        max_len, numeric = _QUALIFIER_SPEC[q_ai]
        _check_chars(q_value, f"AI {q_ai} value", max_len, numeric)
        found[q_ai] = q_value
    qualifier = next(((q, found[q]) for q in allowed if q in found), None)
    if qualifier == ("254", "0"):
        qualifier = None  # TDS: SGLN extension "0" means "no extension"
    return _Key(ai, value, qualifier, cp_len)


# ---------------------------------------------------------------- EPC URN -> key


def _urn_parts(uri: str) -> tuple[str, _Scheme, list[str]] | None:
    m = _URN.fullmatch(uri)
    if m is None:
        return None
    kind, name, body = m.group(1).lower(), m.group(2).lower(), m.group(3)
    scheme = _SCHEMES.get(name)
    if scheme is None:
        return None  # gid, usdod, adi, bic, imovn ...: EPCs, but not GS1 keys
    if (kind == "class") != (scheme.namespace == "class"):
        raise IdentifierError(f"urn:epc:{kind}:{name} is not defined by the EPC Tag Data Standard")
    parts = body.split(".", scheme.fields - 1)
    if len(parts) != scheme.fields:
        raise IdentifierError(
            f"{uri} needs {scheme.fields} '.'-separated fields after urn:epc:{kind}:{name}:"
        )
    return kind, scheme, parts


def _assemble(scheme: _Scheme, parts: list[str]) -> _Key:
    cp, ref = parts[0], parts[1]
    if not (6 <= len(cp) <= 12 and _DIGITS.fullmatch(cp)):
        raise IdentifierError(f"GS1 Company Prefix {cp!r} must be 6 to 12 digits")
    if scheme.digits is None:
        value = cp + _decode(ref, "reference")
    else:
        if len(cp) + len(ref) != scheme.digits or (ref and not _DIGITS.fullmatch(ref)):
            raise IdentifierError(
                f"{scheme.name}: company prefix {cp} needs a reference of "
                f"{scheme.digits - len(cp)} digits, got {ref!r}"
            )
        body = scheme.prefix + (ref[:1] + cp + ref[1:] if scheme.move_first else cp + ref)
        value = body + gs1_check_digit(body) + "".join(parts[2 : 2 + scheme.extra])
    pairs = [(scheme.ai, value)]
    if scheme.tail is not None and len(parts) > 2 + scheme.extra:
        tail = _decode(parts[-1], "serial")
        if scheme.tail == "+":
            pairs[0] = (scheme.ai, value + tail)
        else:
            pairs.append((scheme.tail, tail))
    return _make_key(pairs, len(cp))


def _urn_key(uri: str) -> _Key | None:
    """Key for an EPC URN; idpat URNs only when the tail alone is '*' (class-level key)."""
    parsed = _urn_parts(uri)
    if parsed is None:
        return None
    kind, scheme, parts = parsed
    stars = _star_start(scheme, parts) if kind == "idpat" else None
    if stars is None:
        return _assemble(scheme, parts)
    if scheme.tail is not None and stars == len(parts) - 1:
        return _assemble(scheme, parts[:-1])
    return None


def _star_start(scheme: _Scheme, parts: list[str]) -> int | None:
    """Index of the first '*' field of an idpat; every later field must be '*' too."""
    first = next((i for i, p in enumerate(parts) if p == "*"), None)
    if first is None:
        return None
    if any(p != "*" for p in parts[first:]):
        raise IdentifierError(f"urn:epc:idpat:{scheme.name}: '*' may only be followed by '*'")
    if first != 0 and first != 1 and first != len(parts) - 1:
        raise IdentifierError(f"urn:epc:idpat:{scheme.name}: TDS defines no such pattern")
    return first


# ---------------------------------------------------------------- Digital Link -> key


def _dl_key(uri: str) -> _Key | None:
    """Key for a GS1 Digital Link URI on any domain; None if the URI is not a Digital Link."""
    m = _DL.fullmatch(uri)
    if m is None or not m.group(1):
        return None
    segments = m.group(1).strip("/").split("/")
    start = _dl_start(segments)
    if start is None:
        return None
    rest = segments[start:]
    if len(rest) % 2:
        raise IdentifierError(f"Digital Link path {'/'.join(rest)!r} has an AI without a value")
    pairs = [
        (_ALIASES.get(rest[i], rest[i]), _decode(rest[i + 1], f"AI {rest[i]} value"))
        for i in range(0, len(rest), 2)
    ]
    return _make_key(pairs)


def _dl_start(segments: list[str]) -> int | None:
    # The DL path may have a prefix of its own: the key starts at the first primary-key AI
    # followed by a value that starts with a digit (every GS1 key does).
    for i in range(len(segments) - 1):
        ai = _ALIASES.get(segments[i], segments[i])
        if ai in _KEY_NAMES and segments[i + 1][:1].isdigit():
            return i
    return None


# ---------------------------------------------------------------- key -> output forms


def _render_dl(key: _Key, safe: str = _CANONICAL_SAFE) -> str:
    """The Digital Link of `key`: the canonical key, or with `safe=_DL_SAFE` strict GS1 DL."""
    out = f"{DL_BASE}{key.ai}/{quote(key.value, safe=safe)}"
    if key.qualifier is not None:
        out += f"/{key.qualifier[0]}/{quote(key.qualifier[1], safe=safe)}"
    return out


def _key_of(uri: str) -> _Key | None:
    return _urn_key(uri) if uri[:4].lower() == "urn:" else _dl_key(uri)


# ---------------------------------------------------------------- fast path for canonical()
#
# Ingest sees a few shapes nearly always: SGTIN/SSCC/SGLN/LGTIN URNs and canonical-looking
# Digital Links with plain serials. For those one regex plus a check digit gives the canonical
# string directly (the general path builds a _Key, %-decodes and re-encodes: ~10 us). The fast
# path only ever answers for input it knows to be valid; everything else, including every error,
# returns None and takes the general path, so results and messages stay exactly the same.

# CSET 82 characters that need neither %-decoding (URN) nor %-encoding (DL output), 1-20 long.
_PLAIN = r"[0-9A-Za-z._\-]{1,20}"
_FAST_URN = re.compile(
    r"urn:epc:(id:sgtin|id:sscc|id:sgln|class:lgtin|idpat:sgtin|idpat:sgln):"
    rf"([0-9]{{6,12}})\.([0-9]{{0,11}})(?:\.({_PLAIN}|\*))?"
)
# URN kind:scheme -> (AI, company prefix + reference digits, indicator digit moves to the front,
# qualifier AI: None = no third field, "*" = idpat key pattern)
_FAST_URN_SCHEMES: dict[str, tuple[str, int, bool, str | None]] = {
    "id:sgtin": ("01", 13, True, "21"),
    "id:sscc": ("00", 17, True, None),
    "id:sgln": ("414", 12, False, "254"),
    "class:lgtin": ("01", 13, True, "10"),
    "idpat:sgtin": ("01", 13, True, "*"),
    "idpat:sgln": ("414", 12, False, "*"),
}
# Path right after the host (no path prefix, no aliases, no trailing slash); query is ignored.
_FAST_DL = re.compile(
    rf"https?://[^/?#]+/(01|00|414)/([0-9]{{13,18}})(?:/(21|10|254)/({_PLAIN}))?(?:[?#].*)?"
)
# Key AI -> (digits incl. check digit, qualifier AIs the fast path handles)
_FAST_DL_KEYS: dict[str, tuple[int, tuple[str, ...]]] = {
    "01": (14, ("21", "10")),
    "00": (18, ()),
    "414": (13, ("254",)),
}


def _fast_canonical(uri: str) -> str | None:
    """canonical() of a common, valid identifier; None: take the general path."""
    if uri.startswith("urn:epc:"):
        return _fast_urn(uri)
    return _fast_dl(uri) if uri.startswith(("https://", "http://")) else None


def _fast_urn(uri: str) -> str | None:
    m = _FAST_URN.fullmatch(uri)
    if m is None:
        return None
    kind, cp, ref, tail = m.groups()
    ai, digits, move_first, q_ai = _FAST_URN_SCHEMES[kind]
    # The third field must be present exactly when the scheme has one, and be "*" exactly for
    # an idpat (idpat:sgtin:CP.REF.SERIAL is valid but rare: the general path handles it).
    if len(cp) + len(ref) != digits or (tail is None) != (q_ai is None):
        return None
    if (tail == "*") != (q_ai == "*"):
        return None
    body = ref[:1] + cp + ref[1:] if move_first else cp + ref
    key = f"{DL_BASE}{ai}/{body}{_check_digit(body)}"
    if q_ai is None or q_ai == "*" or (q_ai == "254" and tail == "0"):
        return key  # TDS: SGLN extension "0" means "no extension"
    return f"{key}/{q_ai}/{tail}"


def _fast_dl(uri: str) -> str | None:
    m = _FAST_DL.fullmatch(uri)
    if m is None:
        return None
    ai, value, q_ai, q_value = m.groups()
    length, qualifiers = _FAST_DL_KEYS[ai]
    if len(value) != length or value[-1] != _check_digit(value[:-1]):
        return None
    if q_ai is None:
        return f"{DL_BASE}{ai}/{value}"
    if q_ai not in qualifiers or (q_ai == "254" and q_value == "0"):
        return None
    return f"{DL_BASE}{ai}/{value}/{q_ai}/{q_value}"


@lru_cache(maxsize=65536)
def canonical(uri: str) -> str:
    """Canonical matching key: constrained GS1 Digital Link on id.gs1.org, or `uri` unchanged."""
    uri = uri.strip()
    fast = _fast_canonical(uri)
    if fast is not None:
        return fast
    key = _key_of(uri)
    return uri if key is None else _render_dl(key)


def matching_key(uri: str) -> str:
    """The canonical form of a GS1 identifier, or `uri` as given when it is not one (or is a
    malformed one that validation let through elsewhere): what events are stored and matched by."""
    try:
        return canonical(uri)
    except ValueError:  # IdentifierError, or any other parse failure: keep the text
        return uri


class MatchingKeys(dict[str, str]):
    """Identifier text -> `matching_key(text)` for one event.

    Validation fills it as it checks each identifier; hashing and storage read it, so
    an identifier met three times is converted once, and a hit costs a dict lookup.
    A text nobody checked is converted on first use.
    """

    __slots__ = ()

    def __missing__(self, text: str) -> str:
        key = self[text] = matching_key(text)
        return key


def to_digital_link(uri: str) -> str:
    """Canonical Digital Link for a GS1 key, encoded as GS1 Digital Link requires; any other
    value unchanged. It differs from `canonical` only in `'`, `;`, `=` (%27, %3B, %3D here)."""
    text = canonical(uri)
    if not text.startswith(DL_BASE) or not any(c in text for c in "';="):
        return text
    key = _key_of(text)
    return text if key is None else _render_dl(key, _DL_SAFE)


def identifier_problem(uri: str) -> str | None:
    """None if `uri` is usable as an EPCIS identifier, otherwise a short human message."""
    text = uri.strip() if isinstance(uri, str) else ""
    if not text:
        return "identifier is empty"
    if not _ABSOLUTE_URI.fullmatch(text):
        return f"{text!r} is not an absolute URI"
    try:
        canonical(text)
    except IdentifierError as exc:
        return str(exc)
    return None


# ---------------------------------------------------------------- key -> EPC URN


def _scheme_for(key: _Key) -> _Scheme | None:
    q_ai = key.qualifier[0] if key.qualifier else None
    candidates = [s for s in _SCHEMES.values() if s.ai == key.ai]
    exact = [s for s in candidates if s.tail == q_ai or (s.tail in ("+", "254") and not q_ai)]
    if exact:
        return exact[0]
    return candidates[0] if q_ai is None and candidates else None


def _cp_len(key: _Key, scheme: _Scheme) -> int | None:
    if key.cp_len is not None:
        return key.cp_len
    digits = key.value[len(scheme.prefix) + scheme.move_first :]
    match = _LEADING_DIGITS.match(digits)
    digits = match.group(0)[:13] if match else ""
    if not digits:
        return None
    try:
        found = GS1CompanyPrefix.extract(digits)
    except ParseError:
        return None
    return len(found.value) if found is not None else None


def _urn_fields(key: _Key, scheme: _Scheme, cp_len: int) -> list[str]:
    value = key.value[len(scheme.prefix) :]
    if scheme.digits is None:
        fields, rest = [value[:cp_len], quote(value[cp_len:], safe=_URN_SAFE)], ""
    else:
        core, rest = value[: scheme.digits + 1], value[scheme.digits + 1 :]
        head = core[1 : 1 + cp_len] if scheme.move_first else core[:cp_len]
        ref = core[: scheme.move_first] + core[scheme.move_first + cp_len : -1]
        fields = [head, ref] + [rest[2 * i : 2 * i + 2] for i in range(scheme.extra)]
    if scheme.tail is None:
        return fields
    serial = rest[2 * scheme.extra :] if scheme.tail == "+" else ""
    if key.qualifier is not None:
        serial = key.qualifier[1]
    elif scheme.name == "sgln":
        serial = "0"
    return [*fields, quote(serial, safe=_URN_SAFE) if serial else "*"]


def _render_urn(key: _Key) -> str | None:
    scheme = _scheme_for(key)
    if scheme is None:
        return None
    cp_len = _cp_len(key, scheme)
    if cp_len is None:
        return None
    fields = _urn_fields(key, scheme, cp_len)
    if not 6 <= len(fields[0]) <= 12:
        return None
    kind = "idpat" if fields[-1] == "*" else scheme.namespace
    return f"urn:epc:{kind}:{scheme.name}:{'.'.join(fields)}"


def to_epc_urn(uri: str) -> str | None:
    """EPC URN form of a GS1 key, or None (not a GS1 key, or company prefix length unknown)."""
    text = uri.strip()
    key = _key_of(text)
    if key is None:
        if _URN.fullmatch(text):
            return text  # a wildcard pattern (CP.*.*) has no key; it is already its URN form
        return None
    return _render_urn(key)


def lgtin(sgtin_uri: str, lot: str) -> str:
    """Lot class of a unit: LGTIN URN for an EPC URN input, canonical DL for a DL input."""
    text = sgtin_uri.strip()
    key = _key_of(text)
    if key is None or key.ai != "01":
        raise IdentifierError(f"{text!r} is not an SGTIN/GTIN identifier")
    lot_key = _make_key([("01", key.value), ("10", lot)], key.cp_len)
    if text[:4].lower() != "urn:":
        return _render_dl(lot_key)
    urn = _render_urn(lot_key)
    if urn is None:  # pragma: no cover - URN input always knows its company prefix length
        raise IdentifierError(f"cannot express {text!r} as an EPC URN")
    return urn


# ---------------------------------------------------------------- patterns


def pattern_match_key(pattern: str) -> tuple[str, str]:
    """("exact", key), ("prefix", key prefix) or ("regex", anchored regex) for MATCH_* values.

    "regex" is used only where no string prefix can work: the indicator digit of a GTIN and the
    extension digit of an SSCC precede the company prefix, so `sscc:CP.*` matches `/00/?CP...`.
    """
    text = pattern.strip()
    parsed = _urn_parts(text)
    if parsed is None or parsed[0] != "idpat":
        return "exact", canonical(text)
    _, scheme, parts = parsed
    first = _star_start(scheme, parts)
    if first is None:
        return "exact", _render_dl(_assemble(scheme, parts))
    if first == len(parts) - 1 and scheme.tail is not None:
        key_dl = _render_dl(_assemble(scheme, parts[:-1]))
        return "prefix", key_dl if scheme.tail in ("+", "254") else f"{key_dl}/{scheme.tail}/"
    cp = None if first == 0 else parts[0]
    if cp is not None and not (6 <= len(cp) <= 12 and _DIGITS.fullmatch(cp)):
        raise IdentifierError(f"GS1 Company Prefix {cp!r} must be 6 to 12 digits")
    if cp is not None and not scheme.move_first and scheme.tail in (None, "+", "254"):
        return "prefix", f"{DL_BASE}{scheme.ai}/{scheme.prefix}{cp}"
    return "regex", _pattern_regex(scheme, cp)


def _pattern_regex(scheme: _Scheme, cp: str | None) -> str:
    cp_re = cp if cp is not None else ""
    if scheme.digits is None:
        value = (cp_re or "[0-9]") + "[^/]*"
    else:
        free = scheme.digits + 1 - len(cp_re) - scheme.move_first
        value = ("[0-9]" if scheme.move_first else scheme.prefix) + cp_re + f"[0-9]{{{free}}}"
        value += f"[0-9]{{{2 * scheme.extra}}}" if scheme.extra else ""
    tails = {None: "$", "+": "[^/]*$", "254": "(/254/[^/]+)?$"}
    tail = tails.get(scheme.tail, f"/{scheme.tail}/[^/]+$")
    return "^" + re.escape(f"{DL_BASE}{scheme.ai}/") + value + tail


# ---------------------------------------------------------------- barcode element strings


# The printed form, spaces (and GS) removed: biip would skip what is not `(AI)value`.
_HRI = re.compile(r"(?:\([0-9]{2,4}\)[^(]+)+")


def _element_pairs(text: str) -> list[tuple[str, str]]:
    try:
        if text.startswith("("):
            if not _HRI.fullmatch("".join(text.split())):
                raise IdentifierError(
                    f"not a GS1 element string: {text!r} is not a sequence of (AI)value pairs"
                )
            message = GS1Message.parse_hri(text)
        elif text.startswith("]"):
            result = parse(text)
            if result.gs1_message is None:
                sscc, gtin = result.sscc, result.gtin
                if sscc is None and gtin is None:
                    _refuse_scan(result)
                return _bare_key(sscc.value if sscc else None, gtin.value if gtin else None)
            message = result.gs1_message
        else:
            message = GS1Message.parse(text.replace("\u241d", "\x1d"))
    except ParseError as exc:
        raise IdentifierError(f"not a GS1 element string: {_rephrased(str(exc))}") from exc
    return [(es.ai.ai, es.value) for es in message.element_strings]


def _refuse_scan(result: ParseResult) -> None:
    """A scan (symbology identifier first) biip read no key from: say why, if it knows."""
    reason = result.gs1_message_error or result.gtin_error or result.sscc_error
    if reason:
        raise IdentifierError(f"not a GS1 element string: {_rephrased(reason)}")


# biip's messages, reworded for a person who typed or scanned the data (and without regexes).
_BIIP_MISMATCH = re.compile(r"Failed to match '(.*)' with GS1 AI \((\d+)\) pattern .*", re.S)
_BIIP_BAD_DATE = re.compile(r"Failed to parse GS1 AI \((\d+)\) date/time from '(.*)'\.", re.S)
_BIIP_UNKNOWN_AI = re.compile(r"Unknown GS1 Application Identifier '(\d+)' in .*", re.S)
_BIIP_NO_AI = re.compile(r"Failed to get GS1 Application Identifier from '(.*)'\.", re.S)
_BIIP_NO_HRI = re.compile(r"Could not find any GS1 Application Identifiers in .*", re.S)
_BIIP_CHECK = re.compile(r"Invalid (GTIN|SSCC) check digit for '(\d+)': Expected (\d).*", re.S)
_AI_FORMAT_PART = re.compile(r"([NXYZ])(\d+)?(?:\.\.(\d+))?")


def _rephrased(message: str) -> str:
    if m := _BIIP_MISMATCH.fullmatch(message):
        data, ai = m.groups()
        return f"{_ai_words(ai)}: {data[len(ai) :]!r} does not fit its format ({_format_words(ai)})"
    if m := _BIIP_BAD_DATE.fullmatch(message):
        return f"{_ai_words(m[1])}: {m[2]!r} is not a valid date"
    if m := _BIIP_UNKNOWN_AI.fullmatch(message):
        return f"({m[1]}) is not a GS1 Application Identifier"
    if m := _BIIP_NO_AI.fullmatch(message):
        return f"{m[1]!r} does not start with a GS1 Application Identifier"
    if _BIIP_NO_HRI.fullmatch(message):
        return "no (AI)value pairs found: write it as (01)...(21)..."
    if m := _BIIP_CHECK.fullmatch(message):
        return f"{m[1]} {m[2]} has a wrong check digit (expected {m[3]})"
    return message


def _ai_words(ai: str) -> str:
    """`AI (17) Expiration date (YYMMDD)`: the number and what GS1 calls it."""
    try:
        return f"AI ({ai}) {GS1ApplicationIdentifier.extract(ai).description}"
    except ParseError:
        return f"AI ({ai})"


def _format_words(ai: str) -> str:
    """GS1's format of an AI's data in words: `N2+X..20` -> `up to 20 characters`."""
    try:
        fmt = GS1ApplicationIdentifier.extract(ai).format
    except ParseError:
        return "see the GS1 General Specifications"
    data = fmt.split("+", 1)[1] if "+" in fmt else fmt
    words = []
    for part in data.split("+"):
        m = _AI_FORMAT_PART.fullmatch(part)
        if m is None:
            return data  # optional parts ([+N..12]) and the like: GS1's own notation
        kind = "digits" if m[1] == "N" else "characters"
        fixed, most = m[2], m[3]
        words.append(f"up to {most} {kind}" if most else f"{fixed} {kind}")
    return " then ".join(words)


def _bare_key(sscc: str | None, gtin: str | None) -> list[tuple[str, str]]:
    if sscc:
        return [("00", sscc)]
    if gtin:
        return [("01", gtin)]
    raise IdentifierError("barcode data holds no GS1 key")


def _keys_from_pairs(pairs: list[tuple[str, str]]) -> list[str]:
    found: dict[str, str] = {}
    for ai, value in pairs:
        if found.setdefault(ai, value) != value:
            # GS1 General Specifications: an AI may repeat only with the same data.
            raise IdentifierError(f"AI ({ai}) appears twice with different values")
    out: list[str] = []
    for ai, value in pairs:
        if ai not in _KEY_NAMES:
            continue
        qualifiers = [q for q in _QUALIFIERS.get(ai, ()) if q in found]
        combos = [[(ai, value), (q, found[q])] for q in qualifiers] or [[(ai, value)]]
        out.extend(_render_dl(_make_key(c)) for c in combos)
    if not out:
        raise IdentifierError("barcode data holds no GS1 key (e.g. AI 00, 01, 414, 8003)")
    return list(dict.fromkeys(out))


def from_element_string(text: str) -> list[str]:
    """Canonical DL identifiers in scanned/typed barcode data, most specific first."""
    text = text.strip()
    if not text:
        raise IdentifierError("barcode data is empty")
    if text[:4].lower() == "urn:" or text[:4].lower() == "http":
        key = _key_of(text)
        if key is None:
            raise IdentifierError(f"{text!r} is not a GS1 identifier")
        return [_render_dl(key)]
    if text.isdigit() and len(text) in (8, 12, 13, 14, 18):
        return [_render_dl(_make_key([("00" if len(text) == 18 else "01", text)]))]
    return _keys_from_pairs(_element_pairs(text))


# What a key names, by its AI and qualifier, for element_string_key's `want`.
_CLASS_KEYS = {("01", None): "a GTIN", ("01", "10"): "a lot (GTIN and batch/lot number)"}
_WANTED = {
    "instance": "an instance (a unit, case, pallet, asset ...)",
    "class": "a class (a GTIN, or a lot: GTIN and batch/lot number)",
    "location": "a location (a GLN, AI 414, with its extension AI 254)",
}


def _names(key: str) -> tuple[str, str | None]:
    """(AI, qualifier AI or None) of a canonical Digital Link key."""
    parts = key[len(DL_BASE) :].split("/")
    return parts[0], parts[2] if len(parts) > 2 else None


def _fits(key: str, want: str) -> bool:
    if want == "class":
        return _names(key) in _CLASS_KEYS
    if want == "instance":
        return _names(key) not in _CLASS_KEYS
    return want != "location" or _names(key)[0] == "414"


def _described(key: str) -> str:
    ai, qualifier = _names(key)
    if (ai, qualifier) in _CLASS_KEYS:
        return _CLASS_KEYS[ai, qualifier]
    if ai == "01":
        return "a unit (GTIN and serial number)"
    name = _KEY_NAMES.get(ai, f"AI {ai}")
    return f"an {name}" if name in ("SSCC", "ITIP") else f"a {name}"


def element_string_key(text: str, want: str = "any") -> str:
    """The canonical Digital Link of the identifier that barcode data (an element string, the
    raw scan, or a URN / Digital Link) gives for `want`: "instance" (anything but a GTIN or a
    lot), "class" (a GTIN or a lot: (01)...(10)...), "location" (a GLN, AI 414, with its
    extension) or "any" (the most specific key). `(01)G(21)S(10)L` is the unit for "instance"
    and the lot for "class". IdentifierError says what is wrong, or what the data names."""
    keys = from_element_string(text)
    if want == "any":
        return keys[0]
    for key in keys:
        if _fits(key, want):
            return key
    raise IdentifierError(f"{text.strip()!r} names {_described(keys[0])}, not {_WANTED[want]}")
