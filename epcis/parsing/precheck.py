"""A cheap check of a whole document as it is uploaded, so POST /capture can refuse it with a 4xx.

It reads the document once, in one pass, without building it: well-formedness, the document
type, and (XML) DOCTYPE and entity safety. Events are not looked at: that is the worker's job.
On this machine it runs at ~170 MB/s for XML (expat, no handlers) and ~70 MB/s for JSON
(ijson's yajl2_c backend, collecting only the top-level `type`).
"""

from __future__ import annotations

from typing import BinaryIO
from xml.parsers import expat

import ijson
import orjson

from epcis.parsing import JSON_MEDIA_TYPES
from epcis.parsing.types import DocumentError
from epcis.parsing.xml import entity_error, guard_xml

READ_SIZE = 1 << 16
# Errors in JSON documents up to this size get an exact line and column (orjson re-reads the
# prefix kept here); yajl, used for streaming, only shows the text around the error.
JSON_POSITION_PREFIX = 4 * 1024 * 1024
JSON_DOCUMENT_TYPES = ("EPCISDocument", "EPCISQueryDocument")


def check_document(stream: BinaryIO, media_type: str) -> str:
    """Read `stream` to its end; return the document type or raise DocumentError."""
    if media_type in JSON_MEDIA_TYPES:
        return _check_json(_PrefixKeeper(stream))
    return _check_xml(stream)


def _check_xml(stream: BinaryIO) -> str:
    source, document_type = guard_xml(stream)
    # Expat with no handlers builds nothing: memory stays flat. External entities are never
    # fetched (no ExternalEntityRefHandler), and references were refused by `guard_xml`.
    parser = expat.ParserCreate(namespace_separator=" ")
    try:
        # Not ParseFile: it reads 2 KiB at a time.
        while data := source.read(READ_SIZE):
            parser.Parse(data, False)
        parser.Parse(b"", True)
    except expat.ExpatError as error:
        forbidden = entity_error(source)
        raise forbidden or DocumentError(
            "malformed",
            f"malformed XML: {expat.ErrorString(error.code)}",
            line=error.lineno,
            column=error.offset + 1,
        ) from None
    return document_type


def _check_json(stream: _PrefixKeeper) -> str:
    types = []
    try:
        types = list(ijson.items(stream, "type", buf_size=READ_SIZE))
    except ijson.JSONError as error:
        raise _json_syntax_error(stream, error) from None
    if not types:
        raise DocumentError("not_epcis", "not an EPCIS document: no top-level object with a type")
    if types[0] not in JSON_DOCUMENT_TYPES:
        raise DocumentError(
            "not_epcis",
            f"not an EPCIS document: type is {types[0]!r}, "
            "expected EPCISDocument or EPCISQueryDocument",
        )
    return types[0]


def _json_syntax_error(stream: _PrefixKeeper, error: Exception) -> DocumentError:
    if stream.prefix is not None:
        try:
            orjson.loads(stream.prefix)
        except orjson.JSONDecodeError as exact:
            return DocumentError(
                "malformed", f"malformed JSON: {exact.msg}", line=exact.lineno, column=exact.colno
            )
    where = f"in the {READ_SIZE} bytes before byte {stream.position}"
    return DocumentError("malformed", f"malformed JSON {where}: {str(error).strip()}")


class _PrefixKeeper:
    """Passes reads through, keeping the start of the document for an exact error position."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.prefix: bytearray | None = bytearray()
        self.position = 0

    def read(self, size: int = READ_SIZE) -> bytes:
        data = self._stream.read(size)
        self.position += len(data)
        if self.position > JSON_POSITION_PREFIX:
            self.prefix = None
        elif self.prefix is not None:
            self.prefix += data
        return data
