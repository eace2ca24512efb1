"""The one internal shape every EPCIS document is parsed into, whatever its syntax.

A parsed event is a plain dict in **EPCIS 2.0 JSON form** (`ParsedEvent.data`):

* keys are the EPCIS 2.0 JSON member names (`type`, `eventTime`, `epcList`,
  `bizTransactionList`, `sensorElementList`, `ilmd`, ...), in any order;
* user extensions are keys written as CURIEs `prefix:localName`; every prefix
  used anywhere in the event (also inside `ilmd`, `readPoint`, sensor members,
  `errorDeclaration` ...) is defined in `ParsedEvent.namespaces`
  (prefix -> namespace URI). XML and JSON-LD inputs of the same event give equal
  `data` up to the choice of prefix;
* standard CBV values are bare words (`shipping`, `in_transit`, `po`,
  `owning_party`, `did_not_occur`, `Temperature`); any other value is kept as the
  URI it was given as. XML URN and Web URI forms of standard values become the
  bare word;
* identifiers (EPCs, classes, locations, parties, ...) are the strings as
  received; their canonical forms for matching are in `ParsedEvent.keys`;
* `eventTime` / `declarationTime` / sensor times are the strings as received;
  `recordTime` is never present (the repository sets it at capture);
* quantities and sensor numbers are JSON numbers (int when written without a
  fraction), `booleanValue` is a bool.

Parsing is pure: no ORM, no DRF, no network.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from epcis.identifiers import MatchingKeys
from epcis.problems import EPCISError

JSONDict = dict[str, Any]


@dataclass(slots=True)
class EventError:
    """One reason an event is invalid, in words a partner's integrator can act on."""

    index: int  # 0-based position of the event in the document's event list
    event_id: str | None
    field: str  # JSON path of the member at fault, e.g. "epcList[2]" or "readPoint.id"
    message: str
    # "warning": a data-integrity signal that does not make the event invalid (see validation).
    severity: str = "error"
    # What kind of defect: "identifier" (a malformed EPC, GLN, ... the schemas do not catch) or
    # "vocabulary" (not a CBV value) can be stored as sent for a partner on "store and warn";
    # "" for everything else (structure, times, ...), which is never stored.
    code: str = ""


@dataclass(slots=True)
class ParsedEvent:
    index: int
    data: JSONDict
    namespaces: dict[str, str] = field(default_factory=dict)
    errors: list[EventError] = field(default_factory=list)
    # Filled by validation: the matching keys of the identifiers it checked, and eventTime.
    keys: MatchingKeys = field(default_factory=MatchingKeys)
    event_time: datetime | None = None
    # The prefixes as the document wrote them, when `namespaces` has more: a JSON-LD event
    # using a prefix of GS1's context (cbvmda:) that it never defines. None: as written.
    # The event hash ID is computed from these, as the reference implementation does.
    written_namespaces: dict[str, str] | None = None

    @property
    def is_valid(self) -> bool:
        return not any(error.severity == "error" for error in self.errors)


@dataclass(slots=True)
class ParsedDocument:
    """Header data is parsed eagerly; `events` is a one-shot iterator so large documents stream."""

    syntax: str  # "json" | "xml-2.0" | "xml-1.2"
    document_type: str  # "EPCISDocument" | "EPCISQueryDocument" | "EPCISMasterDataDocument"
    schema_version: str | None
    creation_date: str | None
    events: Iterator[ParsedEvent]
    # SBDH as JSON: {"sender": [...], "receiver": [...], "documentIdentification": {...}}
    sbdh: JSONDict | None = None
    # Master data in EPCIS 2.0 JSON form: [{"type", "vocabularyElementList": [{"id",
    # "attributes": [{"id", "attribute"}], "children": [...]}]}]
    vocabularies: list[JSONDict] = field(default_factory=list)
    # Other header content (e.g. gs1ushc:dscsaTransactionStatement) as JSON with CURIE keys.
    header_extensions: JSONDict = field(default_factory=dict)
    namespaces: dict[str, str] = field(default_factory=dict)


class DocumentError(EPCISError):
    """The document as a whole cannot be read: nothing in it may be stored.

    `kind` is one of "malformed" (syntax error; `line`/`column` set), "forbidden"
    (DTD entity declarations, external identifiers, entity references),
    "not_epcis" (well-formed but not an EPCIS document), "invalid" (document-level
    structure wrong, e.g. missing epcisBody).
    """

    def __init__(
        self, kind: str, message: str, *, line: int | None = None, column: int | None = None
    ) -> None:
        position = f" (line {line}, column {column})" if line and column else ""
        position = position or (f" (line {line})" if line else "")
        where = {name: at for name, at in (("line", line), ("column", column)) if at}
        super().__init__(f"{message}{position}", kind=kind, **where)
        self.kind = kind
        self.message = message
        self.line = line
        self.column = column
