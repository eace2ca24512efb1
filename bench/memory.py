"""Peak memory of ingesting a ~100 MB document, streamed from a file as the worker reads it.

Each format runs in a fresh child process, so its peak RSS is the ingest's alone.
Usage: `python bench/memory.py [--megabytes 100]` (DATABASE_URL must be PostgreSQL).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.generate import jsonld_document, pharma_events  # noqa: E402

BYTES_PER_EVENT = {"json": 730, "xml": 965}  # measured on the generator's documents


def write_document(fmt: str, megabytes: int, path: Path) -> int:
    events = list(pharma_events(megabytes * 1_000_000 // BYTES_PER_EVENT[fmt]))
    if fmt == "json":
        path.write_bytes(orjson.dumps(jsonld_document(events)))
    else:
        from bench.ingest import setup_django  # the XML renderer needs settings loaded

        setup_django(os.environ["DATABASE_URL"], migrate=False)
        from epcis.rendering.xml import render_xml_document

        stored = [(e, {"cbvmda": "urn:epcglobal:cbv:mda"}) for e in events]
        body = render_xml_document(
            stored, kind="EPCISDocument", epc_format="Never_Translates", creation_date="2025"
        )
        path.write_bytes(body)
    return len(events)


def child(path: str, media_type: str) -> None:
    from bench.ingest import ingest_file, setup_django

    setup_django(os.environ["DATABASE_URL"])
    started = time.perf_counter()
    count = ingest_file(path, media_type)
    elapsed = time.perf_counter() - started
    print(f"{count} {elapsed:.1f} {peak_rss_megabytes():.0f}")


def peak_rss_megabytes() -> float:
    """This process's own high-water RSS. Not ru_maxrss: Linux carries that across
    fork and exec, so a child would report its parent's peak."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=int, default=100)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    from bench.ingest import bench_database_url

    os.environ["DATABASE_URL"] = bench_database_url()
    print("| document | events | seconds | peak RSS of the ingesting process |")
    print("| --- | ---: | ---: | ---: |")
    for fmt, media_type in (("json", "application/ld+json"), ("xml", "application/xml")):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"doc.{fmt}"
            write_document(fmt, args.megabytes, path)
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(path), media_type],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()
            size = path.stat().st_size / 1e6
            print(f"| {fmt.upper()} {size:.0f} MB | {out[0]} | {out[1]} | {out[2]} MB |")


if __name__ == "__main__":
    main()
