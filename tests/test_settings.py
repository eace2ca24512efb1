"""Settings come from the environment; a bad value stops start-up with one clear line."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.db import connection

from config.env import (
    EnvError,
    broker_url,
    database_config,
    env_bool,
    env_int,
    env_jsonld_contexts,
    env_list,
    env_origins,
)
from tests.support.processes import REPO, service_env


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("True", True), ("1", True), ("yes", True), ("false", False), ("0", False)],
)
def test_env_bool_reads_common_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert env_bool("X_FLAG") is expected


def test_env_bool_rejects_other_words(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(EnvError, match="X_FLAG='maybe' is not a boolean"):
        env_bool("X_FLAG")


def test_env_int_uses_default_when_unset(monkeypatch):
    monkeypatch.delenv("X_LIMIT", raising=False)
    assert env_int("X_LIMIT", 7) == 7


@pytest.mark.parametrize(("raw", "message"), [("ten", "not an integer"), ("0", "at least 1")])
def test_env_int_rejects_bad_values(monkeypatch, raw, message):
    monkeypatch.setenv("X_LIMIT", raw)
    with pytest.raises(EnvError, match=message):
        env_int("X_LIMIT", 7)


def test_env_list_splits_on_commas(monkeypatch):
    monkeypatch.setenv("X_HOSTS", " a.example , b.example,")
    assert env_list("X_HOSTS", []) == ["a.example", "b.example"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", []),
        ("https://app.example.com", ["https://app.example.com"]),
        (
            " https://app.example.com , http://localhost:3000",
            ["https://app.example.com", "http://localhost:3000"],
        ),
        ("http://127.0.0.1:8080,http://[::1]:3000", ["http://127.0.0.1:8080", "http://[::1]:3000"]),
        ("*", ["*"]),
    ],
)
def test_cors_origins_are_read_from_a_comma_separated_list(monkeypatch, raw, expected):
    monkeypatch.setenv("X_ORIGINS", raw)
    assert env_origins("X_ORIGINS") == expected


@pytest.mark.parametrize(
    "raw",
    [
        "https://app.example.com/",  # a path, even "/", is not part of an origin
        "https://app.example.com/epcis",
        "app.example.com",
        "ftp://app.example.com",
        "https://app.example.com:port",
        "*, https://app.example.com",
        "https://*.example.com",
    ],
)
def test_a_malformed_cors_origin_is_refused(monkeypatch, raw):
    monkeypatch.setenv("X_ORIGINS", raw)
    with pytest.raises(EnvError, match="X_ORIGINS: .* is not an origin"):
        env_origins("X_ORIGINS")


def test_empty_database_url_means_sqlite_under_var():
    assert database_config("", "/srv/var/db.sqlite3") == {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": "/srv/var/db.sqlite3",
    }


def test_postgres_url_uses_psycopg_backend_with_connect_timeout():
    config = database_config("postgres://u:p@db.example:5433/epcis", "unused")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.example", 5433, "epcis")
    assert (config["USER"], config["PASSWORD"]) == ("u", "p")
    assert config["OPTIONS"]["connect_timeout"] == 5
    assert config["OPTIONS"]["options"] == "-c jit=off"


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_sessions_do_not_jit_compile_queries():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


@pytest.mark.parametrize(
    ("url", "message"),
    [("mysql://x/y", "scheme 'mysql' is not supported"), ("nonsense", "scheme '' is not")],
)
def test_database_url_with_unsupported_scheme_is_rejected(url, message):
    with pytest.raises(EnvError, match=message):
        database_config(url, "unused")


def test_broker_url_accepts_redis_and_empty():
    assert broker_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert broker_url("") == ""


def test_broker_url_rejects_unknown_scheme():
    with pytest.raises(EnvError, match="CELERY_BROKER_URL scheme 'http'"):
        broker_url("http://broker")


@pytest.mark.parametrize(
    ("variable", "value", "expected_line"),
    [
        ("DATABASE_URL", "mysql://x/y", "configuration error: DATABASE_URL scheme 'mysql'"),
        ("CELERY_BROKER_URL", "ftp://x", "configuration error: CELERY_BROKER_URL scheme 'ftp'"),
        ("DEBUG", "sometimes", "configuration error: DEBUG='sometimes' is not a boolean"),
        ("SECRET_KEY", "short", "configuration error: SECRET_KEY must be at least 32"),
        ("EPCIS_CAPTURE_LIMIT", "-5", "configuration error: EPCIS_CAPTURE_LIMIT=-5 must be"),
        (
            "EPCIS_CORS_ALLOWED_ORIGINS",
            "https://app.example.com/",
            "configuration error: EPCIS_CORS_ALLOWED_ORIGINS: 'https://app.example.com/' is "
            "not an origin (use scheme://host[:port], no path",
        ),
        (
            "EPCIS_JSONLD_CONTEXTS",
            "fixtures/epcis/contexts/healthcare-context.jsonld",
            "configuration error: EPCIS_JSONLD_CONTEXTS: 'fixtures/epcis/contexts/"
            "healthcare-context.jsonld' is not url=path",
        ),
        (
            "EPCIS_JSONLD_CONTEXTS",
            "https://ctx.example.org/c.jsonld=/nonexistent/c.jsonld",
            "configuration error: EPCIS_JSONLD_CONTEXTS: the file for "
            "https://ctx.example.org/c.jsonld, /nonexistent/c.jsonld, cannot be read",
        ),
        (
            "EPCIS_JSONLD_CONTEXTS",
            "https://ctx.example.org/c.jsonld=fixtures/epcis/json/object_event.jsonld",
            "configuration error: EPCIS_JSONLD_CONTEXTS: the file for "
            f"https://ctx.example.org/c.jsonld, {REPO}/fixtures/epcis/json/object_event.jsonld, "
            'is not a JSON-LD context: it needs an "@context" object',
        ),
    ],
)
def test_bad_value_stops_startup_with_one_clear_line(tmp_path, variable, value, expected_line):
    env = service_env(EPCIS_VAR_DIR=str(tmp_path), **{variable: value})
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(expected_line)


def test_secret_key_is_generated_once_and_kept_in_var(tmp_path):
    env = service_env(EPCIS_VAR_DIR=str(tmp_path), SECRET_KEY="")
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    run = [sys.executable, "-c", f"import django; django.setup(); {code}"]
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    first = subprocess.run(run, cwd=REPO, env=env, capture_output=True, text=True, check=True)
    second = subprocess.run(run, cwd=REPO, env=env, capture_output=True, text=True, check=True)
    assert len(first.stdout.strip()) >= 32
    assert first.stdout == second.stdout
    assert (tmp_path / "secret_key").read_text().strip() == first.stdout.strip()


@pytest.mark.parametrize("process", ["worker", "beat"])
def test_a_worker_or_beat_without_a_broker_refuses_to_start(tmp_path, process):
    """Without CELERY_BROKER_URL tasks run in-process (over the in-memory transport): a
    worker or beat would wait on nothing, so it stops, saying why."""
    env = service_env(EPCIS_VAR_DIR=str(tmp_path), CELERY_BROKER_URL="", DATABASE_URL="")
    command = [sys.executable, "-m", "celery", "-A", "config", process]
    command += ["-s", str(tmp_path / "beat-schedule")] if process == "beat" else ["-P", "solo"]
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "configuration error: CELERY_BROKER_URL is not set" in result.stderr


HEALTHCARE_URL = "https://contexts.example.org/healthcare/epcis-context.jsonld"
HEALTHCARE_FILE = "fixtures/epcis/contexts/healthcare-context.jsonld"


def test_registered_jsonld_contexts_are_read_at_startup(tmp_path):
    env = service_env(
        EPCIS_VAR_DIR=str(tmp_path), EPCIS_JSONLD_CONTEXTS=f"{HEALTHCARE_URL}={HEALTHCARE_FILE}"
    )
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    code = "from django.conf import settings; print(sorted(settings.EPCIS_JSONLD_CONTEXTS))"
    run = [sys.executable, "-c", f"import django; django.setup(); {code}"]
    result = subprocess.run(run, cwd=REPO, env=env, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"[{HEALTHCARE_URL!r}]"


def test_env_jsonld_contexts_maps_each_url_to_its_context_object(monkeypatch, tmp_path):
    other = tmp_path / "other.jsonld"
    other.write_text('{"@context": {"oth": "urn:other:"}}')
    pairs = f" {HEALTHCARE_URL} = {HEALTHCARE_FILE} , https://o.example/c?v=2={other}"
    monkeypatch.setenv("X_CONTEXTS", pairs)
    contexts = env_jsonld_contexts("X_CONTEXTS", REPO)
    assert list(contexts) == [HEALTHCARE_URL, "https://o.example/c?v=2"]
    assert contexts[HEALTHCARE_URL]["xhc"] == "https://healthcare.example.org/epcis/"
    assert contexts["https://o.example/c?v=2"] == {"oth": "urn:other:"}


def test_env_jsonld_contexts_is_empty_when_unset(monkeypatch):
    monkeypatch.delenv("X_CONTEXTS", raising=False)
    assert env_jsonld_contexts("X_CONTEXTS", REPO) == {}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not JSON"),
        ('["@context"]', 'is not a JSON-LD context: it needs an "@context" object'),
        ('{"@context": "https://x.example/c.jsonld"}', 'it needs an "@context" object'),
    ],
)
def test_env_jsonld_contexts_refuses_a_file_that_is_not_a_context(
    monkeypatch, tmp_path, content, message
):
    path = tmp_path / "c.jsonld"
    path.write_text(content)
    monkeypatch.setenv("X_CONTEXTS", f"https://x.example/c.jsonld={path}")
    with pytest.raises(EnvError) as raised:
        env_jsonld_contexts("X_CONTEXTS", REPO)
    assert str(raised.value).startswith(
        f"X_CONTEXTS: the file for https://x.example/c.jsonld, {path}"
    )
    assert message in str(raised.value)


@pytest.mark.parametrize(
    "value",
    [f"{HEALTHCARE_URL}=", f"ftp://x.example/c={HEALTHCARE_FILE}", "=x", "relative/c.jsonld=x"],
)
def test_env_jsonld_contexts_refuses_what_is_not_url_path(monkeypatch, value):
    monkeypatch.setenv("X_CONTEXTS", value)
    with pytest.raises(EnvError, match="is not url=path"):
        env_jsonld_contexts("X_CONTEXTS", REPO)


def test_env_jsonld_contexts_refuses_a_url_registered_twice(monkeypatch):
    pair = f"{HEALTHCARE_URL}={HEALTHCARE_FILE}"
    monkeypatch.setenv("X_CONTEXTS", f"{pair},{pair}")
    with pytest.raises(EnvError, match="is registered twice"):
        env_jsonld_contexts("X_CONTEXTS", REPO)
