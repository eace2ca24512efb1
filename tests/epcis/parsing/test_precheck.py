"""The upload check (epcis.parsing.precheck) on what partners' tools really send.

Its structure checks are in test_structure.py, GS1's examples in
test_precheck_gs1_examples.py.
"""

from __future__ import annotations

import io

import pytest

from epcis.parsing.precheck import check_document
from epcis.parsing.types import DocumentError
from tests.support.documents import JSON, OBJECT_EVENT, XML, jsonld_document, xml_events

BOM = b"\xef\xbb\xbf"


class Trickle(io.RawIOBase):
    """A body that arrives `size` bytes per read, as a slow socket gives it."""

    def __init__(self, data: bytes, size: int) -> None:
        self.data, self.size = data, size

    def read(self, size: int = -1) -> bytes:
        size = self.size if size < 0 else min(size, self.size)
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk


@pytest.mark.parametrize(
    ("body", "media_type", "expected"),
    [
        (BOM + jsonld_document(), JSON, "EPCISDocument"),
        (BOM + xml_events(OBJECT_EVENT), XML, "EPCISDocument"),
        (BOM + xml_events(OBJECT_EVENT, "1.2"), XML, "EPCISDocument"),
    ],
    ids=["json", "xml 2.0", "xml 1.2"],
)
def test_accepts_a_byte_order_mark_before_the_document(
    body: bytes, media_type: str, expected: str
) -> None:
    assert check_document(io.BytesIO(body), media_type) == expected


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_a_byte_order_mark_split_across_reads_is_skipped(size: int) -> None:
    assert check_document(Trickle(BOM + jsonld_document(), size), JSON) == "EPCISDocument"


@pytest.mark.parametrize(
    ("body", "media_type", "kind"),
    [
        (BOM, JSON, "malformed"),
        (BOM + b'{"type": "EPCISDocument"', JSON, "malformed"),
        (BOM + b'<!DOCTYPE x [<!ENTITY a "b">]>' + xml_events(OBJECT_EVENT), XML, "forbidden"),
    ],
    ids=["only a mark", "mark and broken JSON", "mark then a DOCTYPE with declarations"],
)
def test_a_byte_order_mark_hides_no_defect(body: bytes, media_type: str, kind: str) -> None:
    with pytest.raises(DocumentError) as raised:
        check_document(io.BytesIO(body), media_type)
    assert raised.value.kind == kind


def test_a_malformed_json_document_after_a_mark_is_placed_without_the_mark() -> None:
    body = BOM + b'{"type": "EPCISDocument",\n "epcisBody": {"eventList": [1,,2]}}'
    with pytest.raises(DocumentError) as raised:
        check_document(io.BytesIO(body), JSON)
    assert (raised.value.line, raised.value.column) == (2, 32)
