"""Parse any EPCIS document (2.0 JSON/JSON-LD, 2.0 XML, 1.2 XML with or without SBDH).

`parse_document` picks the syntax from the media type and returns a `ParsedDocument`
whose events stream lazily; see `epcis.parsing.types` for the shape of an event.
"""

from __future__ import annotations

from typing import BinaryIO

from epcis.parsing.types import DocumentError, EventError, ParsedDocument, ParsedEvent

JSON_MEDIA_TYPES = {"application/json", "application/ld+json"}
XML_MEDIA_TYPES = {"application/xml", "text/xml"}

__all__ = [
    "DocumentError",
    "EventError",
    "ParsedDocument",
    "ParsedEvent",
    "parse_document",
    "JSON_MEDIA_TYPES",
    "XML_MEDIA_TYPES",
]


def parse_document(stream: BinaryIO, media_type: str) -> ParsedDocument:
    """Parse an EPCIS document read from `stream`; raise `DocumentError` if it is unusable."""
    if media_type in JSON_MEDIA_TYPES:
        from epcis.parsing.jsonld import parse_json

        return parse_json(stream)
    if media_type in XML_MEDIA_TYPES:
        from epcis.parsing.xml import parse_xml

        return parse_xml(stream)
    raise ValueError(f"unsupported media type {media_type!r}")
