"""`manage.py load_demo`: what `make run` captures on a fresh install, once."""

import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command

from epcis.models import CaptureJob, Event
from tests.support.processes import REPO, service_env

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


def test_it_prints_its_one_line_and_nothing_alarming(tmp_path):
    """As `make run` runs it on the embedded default (tasks run eagerly): before, kombu's
    "No hostname was supplied. Reverting to default 'localhost'" and a "Task ... succeeded"
    line per document came with it."""
    env = service_env(EPCIS_VAR_DIR=str(tmp_path), DATABASE_URL="", CELERY_BROKER_URL="")
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=REPO, env=env, check=True)
    result = subprocess.run(
        [*manage, "load_demo"], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert result.stderr == ""
    assert result.stdout == (
        "Loaded the demo documents as partner 'demo'; "
        "`manage.py issue_token demo` gives a key to query them.\n"
    )
