"""Settings come from the environment; a bad value stops start-up with one clear line."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.db import connection

from config.env import EnvError, broker_url, database_config, env_bool, env_int, env_list
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
