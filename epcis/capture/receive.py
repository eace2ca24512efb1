"""POST /capture: store the document and a queued job while checking it, in one transaction.

Enqueueing is the caller's step (`epcis.capture.tasks.enqueue_capture`, on commit), so
this module never imports the tasks that import it back.
"""

from __future__ import annotations

from typing import BinaryIO, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from epcis.capture.documents import ChunkRecorder, ChunkWriter
from epcis.models import CaptureJob
from epcis.parsing import DocumentError
from epcis.parsing.precheck import check_document
from epcis.problems import EPCISError


class CaptureTooLarge(EPCISError):
    status = 413
    exception = "CaptureLimitExceededException"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The document is larger than {limit} bytes, the capture file size limit.")
        self.limit = limit

    def headers(self) -> dict[str, str]:
        return {"GS1-EPCIS-Capture-File-Size-Limit": str(self.limit)}


def receive_document(
    *,
    owner: User,
    media_type: str,
    error_behaviour: str,
    body_stream: BinaryIO,
    content_length: int | None,
) -> CaptureJob:
    """Store the document and a queued job for it; the caller enqueues it once committed.

    The document is checked while it streams to storage (well-formed, an EPCIS document,
    no DTD tricks, nothing unknown around its events): a bad one raises DocumentError and
    nothing is stored. Raises CaptureTooLarge before reading when Content-Length says so,
    else as soon as it is.
    """
    limit = settings.EPCIS_CAPTURE_FILE_SIZE_LIMIT
    if content_length is not None and content_length > limit:
        raise CaptureTooLarge(limit)
    with transaction.atomic():
        job = CaptureJob.objects.create(
            owner=owner, media_type=media_type, error_behaviour=error_behaviour
        )
        with ChunkWriter(job.pk) as writer:
            recorder = ChunkRecorder(
                body_stream, writer=writer, limit=limit, too_large=CaptureTooLarge
            )
            _check_while_storing(recorder, media_type)
        job.size, job.sha256 = recorder.size, recorder.sha256.hexdigest()
        job.save(update_fields=["size", "sha256"])
    return job


def _check_while_storing(recorder: ChunkRecorder, media_type: str) -> None:
    try:
        check_document(cast(BinaryIO, recorder), media_type)
    except DocumentError:
        if recorder.size == 0:
            raise DocumentError(
                "invalid", "the request body is empty: send an EPCIS document"
            ) from None
        raise
    recorder.drain()
