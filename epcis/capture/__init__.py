"""Capture: how a partner's document becomes stored events, step by step.

1. **Receive** (`POST /capture`, `epcis.api.capture`): authenticate, check the media type
   and the size limits, then `receive.receive_document` stores the raw bytes as chunk rows
   (`documents`) while `epcis.parsing.precheck` checks that they are a well-formed EPCIS
   document with no DTD tricks, and creates the queued `CaptureJob`, in one transaction.
2. **Enqueue** (`tasks.enqueue_capture`): once that commits, the job's id is sent to the
   broker; the client gets `202` + `Location: /capture/{id}`. A broker that is down
   loses nothing: the job is committed, and step 6 enqueues it later.
3. **Claim** (`worker.process_capture`, run by `tasks.process_capture_task`): one
   conditional UPDATE takes the job (queued -> running, `attempts` + 1 is the fencing
   token); a heartbeat thread keeps it alive while it runs.
4. **Ingest** (`epcis.ingest.ingest_document`): stream the stored document back
   (`documents.stored_document`), parse (`epcis.parsing`), validate, normalise
   (`epcis.normalise`), and store in batches (`epcis.storage`), all in one transaction.
5. **After store** (`hooks`): after each batch, the `EPCIS_AFTER_STORE` hooks (the
   lineage graph) get that batch's `StoredEvent`s in the same transaction. The job's
   final state commits with the events, and only while this worker holds the claim.
6. **Recover** (`recovery.stalled_captures`, run by beat through
   `tasks.requeue_stalled_captures_task`): jobs whose enqueue was lost, or whose worker
   stopped beating, are enqueued again; after EPCIS_CAPTURE_MAX_ATTEMPTS they fail.
7. **Read** (`selectors`): `GET /capture` and `GET /capture/{id}` as GS1's CaptureJob.

`POST /events` (`events.capture_single_event`) stores one event synchronously through
steps 4-5. Dependencies run one way: `tasks` imports `worker` and `recovery`; nothing here
imports `tasks` but the callers that enqueue (the API view, `load_demo`).
"""
