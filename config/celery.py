"""The Celery app: `celery -A config worker` and `celery -A config beat`.

Job state lives in our own tables; Celery only carries ids, so no result backend is set.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("epcis_server")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
