"""A recall job (DESIGN §5 "Trace and recall jobs"): the template of `epcis.jobs`."""

from __future__ import annotations

from epcis.jobs import BackgroundJob


class RecallJob(BackgroundJob):
    """`parameters`: the validated request (keys, canonical); `result`: the scope
    (`recalls.scope.compute`), stored once and never changed."""

    class Meta(BackgroundJob.Meta):
        pass

    def __str__(self) -> str:
        return f"recall {self.pk} ({self.status})"
