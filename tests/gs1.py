"""Where GS1's official artefacts live for tests: ../shared/gs1-epcis beside the repository.

They are test oracles, never copied into the repository; tests that need them skip
with a reason when the folder is absent.
"""

from pathlib import Path

import pytest

GS1_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "gs1-epcis"

requires_gs1 = pytest.mark.skipif(
    not GS1_DIR.is_dir(), reason=f"GS1 artefacts not found at {GS1_DIR} (../shared/gs1-epcis)"
)


def gs1_files(pattern: str) -> list[Path]:
    """GS1 files matching a glob under gs1-epcis/, sorted; empty when the folder is absent."""
    return sorted(GS1_DIR.glob(pattern)) if GS1_DIR.is_dir() else []
