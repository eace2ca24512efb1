from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from epcis.capture.receive import receive_document
from epcis.capture.tasks import enqueue_capture
from epcis.models import CaptureJob

DEMO_USER = "demo"
# A DSCSA shipment (EPCIS 1.2 with SBDH and header master data) and one EPCIS 2.0
# JSON-LD document per event type, captured the way a partner would send them.
DEMO_DOCUMENTS = [
    ("xml12/dscsa_shipment_sbdh.xml", "application/xml"),
    ("json/object_event.jsonld", "application/ld+json"),
    ("json/aggregation_event.jsonld", "application/ld+json"),
    ("json/transaction_event.jsonld", "application/ld+json"),
    ("json/transformation_event.jsonld", "application/ld+json"),
    ("json/association_event.jsonld", "application/ld+json"),
]


class Command(BaseCommand):
    help = "Capture the demo documents as partner 'demo', once."
    requires_migrations_checks = True

    def handle(self, *args: Any, **options: Any) -> None:
        owner, _ = get_user_model().objects.get_or_create(username=DEMO_USER)
        if CaptureJob.objects.filter(owner=owner).exists():
            self.stdout.write("Demo data already loaded.")
            return
        folder = Path(settings.BASE_DIR) / "fixtures" / "epcis"
        for name, media_type in DEMO_DOCUMENTS:
            self._capture(owner, folder / name, media_type)
        self.stdout.write(
            f"Loaded the demo documents as partner {DEMO_USER!r}; "
            f"`manage.py issue_token {DEMO_USER}` gives a key to query them."
        )

    def _capture(self, owner: Any, path: Path, media_type: str) -> None:
        with path.open("rb") as body:
            job = receive_document(
                owner=owner,
                media_type=media_type,
                error_behaviour="rollback",
                body_stream=body,
                content_length=path.stat().st_size,
            )
        enqueue_capture(job.pk)
