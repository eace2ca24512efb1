"""The upload check refuses none of GS1's example documents (DESIGN §10: all are accepted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from epcis.parsing.precheck import check_document
from tests.support.gs1 import JSON_EXAMPLES, XML_EXAMPLES, requires_gs1

pytestmark = requires_gs1
DOCUMENT_TYPES = {"EPCISDocument", "EPCISQueryDocument", "EPCISMasterDataDocument"}


@pytest.mark.parametrize(
    ("path", "media_type"),
    [(p, "application/ld+json") for p in JSON_EXAMPLES]
    + [(p, "application/xml") for p in XML_EXAMPLES],
    ids=lambda value: value.name if isinstance(value, Path) else "",
)
def test_gs1_example_passes_the_upload_check(path: Path, media_type: str):
    with path.open("rb") as stream:
        assert check_document(stream, media_type) in DOCUMENT_TYPES
