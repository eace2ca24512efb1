import pytest


@pytest.fixture(autouse=True)
def _jobs_run_in_process(eager_celery) -> None:
    """Jobs run in the test's process on the broker run too: a real worker cannot see the
    rows of a test that does not commit (see `eager_celery` in tests/conftest.py)."""
