"""`manage.py load_demo`: what `make run` captures on a fresh install, once."""

from io import StringIO

import pytest
from django.core.management import call_command

from epcis.models import CaptureJob, Event

pytestmark = pytest.mark.django_db


def load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_it_captures_the_demo_documents_through_the_capture_path(
    eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = load()
    jobs = CaptureJob.objects.filter(owner__username="demo")
    assert "Loaded the demo documents" in message
    assert sorted(jobs.values_list("status", flat=True)) == ["succeeded"] * 6
    # The DSCSA file: commissioning, two packings, shipping; the JSON-LD documents one each.
    assert Event.objects.count() == 4 + 5


def test_running_it_again_captures_nothing(eager_celery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        load()
    assert load().strip() == "Demo data already loaded."
    assert CaptureJob.objects.count() == 6
