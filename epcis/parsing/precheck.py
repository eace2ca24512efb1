"""A cheap check of a whole document as it is uploaded, so POST /capture can refuse it with a 4xx.

It reads the document once, in one pass, without building it: well-formedness, the document
type, (XML) DOCTYPE and entity safety, and what the document holds around its events
(`structure`: an unknown element or member there would be lost). Events are not looked at:
that is the worker's job. XML: expat, with element handlers only until the EventList (or
VocabularyList) starts, so the events stream through without handlers at ~170 MB/s;
what follows the list is checked by the worker. JSON: ijson's yajl2_c backend, collecting
the member names of the containers, ~120 MB/s on this machine. A UTF-8 byte-order mark
before a JSON document is skipped (RFC 8259 lets a parser ignore it; .NET tools write it).
"""

from __future__ import annotations

from typing import BinaryIO
from xml.parsers import expat

import ijson
import orjson

from epcis.parsing import JSON_MEDIA_TYPES, structure
from epcis.parsing.jsonld import UTF8_BOM, scan_json
from epcis.parsing.types import DocumentError
from epcis.parsing.xml import entity_error, guard_xml

READ_SIZE = 1 << 16
# Errors in JSON documents up to this size get an exact line and column (orjson re-reads the
# prefix kept here); yajl, used for streaming, only shows the text around the error.
JSON_POSITION_PREFIX = 4 * 1024 * 1024
JSON_DOCUMENT_TYPES = structure.JSON_DOCUMENT_TYPES


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
    _HeadWatcher(parser, document_type)
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


class _HeadWatcher:
    """Element handlers that check the containers around the events (`structure`) and take
    themselves off when a list of events or vocabularies starts, leaving expat at full speed."""

    def __init__(self, parser: expat.XMLParserType, document_type: str) -> None:
        self.parser = parser
        self.document_type = document_type
        # Per open element: the container it is (None: its content is not checked) and the
        # standard children met in it so far.
        self.open: list[tuple[str | None, list[str]]] = []
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end

    def start(self, name: str, attributes: object) -> None:
        uri, _, local = name.rpartition(" ")
        if not self.open:
            self.open.append(("root", []))
            return
        container, seen = self.open[-1]
        if container is None:
            self.open.append((None, seen))
            return
        self._refuse(structure.child_problem(self.document_type, container, uri, local, seen))
        if not uri or uri in structure.EPCIS_NAMESPACES:
            seen.append(local)
        if local in structure.LISTS and not uri:
            self.parser.StartElementHandler = self.parser.EndElementHandler = None
            return
        self.open.append((structure.inner_container(self.document_type, container, uri, local), []))

    def end(self, name: str) -> None:
        container, seen = self.open.pop()
        if container is not None:
            self._refuse(structure.missing_problem(self.document_type, container, seen))

    def _refuse(self, problem: str | None) -> None:
        if problem is not None:
            line, column = self.parser.CurrentLineNumber, self.parser.CurrentColumnNumber + 1
            raise DocumentError("invalid", problem, line=line, column=column)


def _check_json(stream: _PrefixKeeper) -> str:
    try:
        _, shape = scan_json(stream, header=False)
    except ijson.JSONError as error:
        raise _json_syntax_error(stream, error) from None
    document_type = structure.json_document_type(shape)
    if isinstance(document_type, tuple):
        raise DocumentError(*document_type)
    problem = structure.json_structure_problem(document_type, shape)
    if problem is not None:
        raise DocumentError("invalid", problem)
    return document_type


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
        if self.position == 0 and data:
            while len(data) < len(UTF8_BOM) and UTF8_BOM.startswith(data):
                more = self._stream.read(size)
                if not more:
                    break
                data += more
            if data.startswith(UTF8_BOM):  # RFC 8259 §8.1: a parser may ignore it
                data = data[len(UTF8_BOM) :] or self._stream.read(size)  # b"" is the end
                self.position = len(UTF8_BOM)
        self.position += len(data)
        if self.position > JSON_POSITION_PREFIX:
            self.prefix = None
        elif self.prefix is not None:
            self.prefix += data
        return data
