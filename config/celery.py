"""The Celery app: `celery -A config worker` and `celery -A config beat`.

Job state lives in our own tables; Celery only carries ids, so no result backend is set.
"""

import os
import sys
from typing import Any

from celery import Celery
from celery.signals import beat_init, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("epcis_server")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def refuse_to_start_without_a_broker(**_: Any) -> None:
    """With no CELERY_BROKER_URL, tasks run in the process that enqueues them, over the
    in-memory transport (settings): a worker or beat there would wait on nothing."""
    if app.conf.task_always_eager:
        sys.exit(
            "configuration error: CELERY_BROKER_URL is not set, so tasks run in-process and "
            "a worker or beat has nothing to do; set it (redis://host:6379/0) to run them"
        )
