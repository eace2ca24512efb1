"""`python manage.py rebuild_lineage`: compute the lineage tables again from the events."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from trace.lineage import rebuild_lineage


class Command(BaseCommand):
    help = (
        "Empty the lineage tables (lots, containment, transformations, end of life, "
        "retractions) and compute them again from the stored events, in batches (one "
        "transaction each). Run it while nothing is being captured."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=5000, help="events per batch (default 5000)"
        )

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            self.stderr.write("--batch-size must be at least 1")
            raise SystemExit(2)
        started = time.monotonic()

        def progress(done: int, total: int) -> None:
            share = done / total if total else 1.0
            self.stdout.write(f"{done:,} / {total:,} events ({share:.0%})")

        read = rebuild_lineage(batch_size=batch_size, progress=progress)
        seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(f"lineage rebuilt from {read:,} events in {seconds:.1f} s")
        )
