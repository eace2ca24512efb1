"""python manage.py recall --epc-class ... | --epc ... | --gtin ... --lot ... [--reason ...]

Runs the same job as POST /recalls, in this process: a progress bar, then the summary and
the per-location table."""

from __future__ import annotations

import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from epcis.jobs import run_job
from epcis.problems import EPCISError
from recalls.models import RecallJob
from recalls.scope import compute
from recalls.services import request_recall


class Command(BaseCommand):
    help = "Compute a recall's scope in-process and print its summary and locations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--epc-class", action="append", default=[], dest="epc_classes")
        parser.add_argument("--epc", action="append", default=[], dest="epcs")
        parser.add_argument("--gtin")
        parser.add_argument("--lot", action="append", default=[], dest="lots")
        parser.add_argument("--from", dest="start")
        parser.add_argument("--until", dest="end")
        parser.add_argument("--reason", default="")
        parser.add_argument("--reference", default="")
        parser.add_argument("--user", default="recall-cli", help="the job's owner (made staff)")

    def handle(self, *args: Any, **options: Any) -> None:
        params: dict[str, Any] = {"epcClasses": options["epc_classes"], "epcs": options["epcs"]}
        if options["gtin"] is not None:
            params["gtin"] = options["gtin"]
        if options["lots"]:
            params["lots"] = options["lots"]
        for name, option in (("from", "start"), ("until", "end")):
            if options[option]:
                params[name] = options[option]
        params["reason"], params["reference"] = options["reason"], options["reference"]
        owner, _ = get_user_model().objects.get_or_create(
            username=options["user"], defaults={"is_staff": True}
        )
        try:
            job = request_recall(owner, params)
        except EPCISError as exc:
            raise CommandError(exc.detail) from None

        def work(job: RecallJob, report: Any) -> dict[str, Any]:
            def progress(fraction: float) -> None:
                report(fraction)
                self._bar(fraction)

            return compute(job, progress)

        run_job(RecallJob, job.pk, work)
        self._bar(1.0)
        sys.stderr.write("\n")
        job.refresh_from_db()
        if job.status != RecallJob.Status.SUCCEEDED:
            raise CommandError(f"recall {job.pk} failed: {(job.error or {}).get('detail')}")
        self._print(job)

    def _bar(self, fraction: float) -> None:
        done = int(fraction * 30)
        sys.stderr.write(f"\r[{'#' * done}{'.' * (30 - done)}] {fraction:4.0%}")
        sys.stderr.flush()

    def _print(self, job: RecallJob) -> None:
        result = job.result or {}
        out = self.stdout.write
        out(f"recall {job.pk}  horizon {job.horizon.isoformat() if job.horizon else '-'}")
        out("lots: " + (", ".join(result["lots"]) or "-"))
        for note in result["notes"]:
            out(f"note: {note}")
        summary = result["summary"]
        order = ("units", "containers", "locations", "dispensed", "inTransit")
        out("  ".join(f"{k} {summary[k]}" for k in order))
        rows = [("location", "units now", "units ever", "owning party", "last receipt")]
        rows += [
            (
                place["location"],
                str(place["unitsNow"]),
                str(place["unitsEver"]),
                place["owningParty"] or "",
                place["lastReceipt"] or "",
            )
            for place in result["locations"]
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            out("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
