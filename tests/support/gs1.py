"""Where GS1's official artefacts live for tests: settings.EPCIS_GS1_ARTEFACTS.

That is the environment variable EPCIS_GS1_ARTEFACTS, or ../shared/gs1-epcis beside the
repository when it is unset. The files are test oracles, never copied into the
repository; tests that need them skip with a reason when the folder is absent.
"""

from pathlib import Path

import pytest
from django.conf import settings

GS1_DIR = Path(settings.EPCIS_GS1_ARTEFACTS)

requires_gs1 = pytest.mark.skipif(
    not GS1_DIR.is_dir(),
    reason=f"GS1 artefacts not found at {GS1_DIR} (set EPCIS_GS1_ARTEFACTS to a checkout)",
)


def gs1_files(pattern: str) -> list[Path]:
    """GS1 files matching a glob under the artefacts folder, sorted; empty when it is absent."""
    return sorted(GS1_DIR.glob(pattern)) if GS1_DIR.is_dir() else []


# GS1's maintained example documents, as the capture and precheck tests take them.
JSON_EXAMPLES = [
    p
    for p in gs1_files("examples/json/**/*.json*")
    if "simple-context" not in p.parts and "schema-test-events" not in p.parts
]
XML_EXAMPLES = [p for p in gs1_files("examples/xml/**/*.xml") if "CaptureJob" not in p.parts]
QUERY_XSD = GS1_DIR / "schema" / "xsd" / "2.0" / "EPCglobal-epcis-query-2_0.xsd"
