"""Typed readers for settings that come from the environment.

Every reader raises `EnvError` with a message that names the variable, so the
settings module can stop start-up with one clear line instead of a traceback.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}
BROKER_SCHEMES = {"redis", "rediss", "amqp", "amqps", "memory"}
DATABASE_SCHEMES = {"postgres", "postgresql", "pgsql", "sqlite"}


class EnvError(ValueError):
    """A setting in the environment has a value that cannot be used."""


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise EnvError(f"{name}={raw!r} is not a boolean (use true or false)")


def env_int(name: str, default: int, *, minimum: int = 1) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise EnvError(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise EnvError(f"{name}={value} must be at least {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


# scheme://host[:port] as a browser sends it in Origin: no path, no trailing slash.
ORIGIN = re.compile(r"https?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?")


def env_origins(name: str) -> list[str]:
    """Web origins (`scheme://host[:port]`, comma-separated), or ["*"] for any origin."""
    origins = env_list(name, [])
    if origins == ["*"]:
        return origins
    for origin in origins:
        if not ORIGIN.fullmatch(origin):
            raise EnvError(
                f"{name}: {origin!r} is not an origin (use scheme://host[:port], no path, "
                "e.g. https://app.example.com,http://localhost:3000; or * alone for any)"
            )
    return origins


def database_config(url: str, default_sqlite_path: str) -> dict[str, Any]:
    """Return Django's DATABASES["default"] for DATABASE_URL (SQLite under var/ if empty)."""
    if not url:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": default_sqlite_path}
    scheme = urlsplit(url).scheme
    if scheme not in DATABASE_SCHEMES:
        raise EnvError(
            f"DATABASE_URL scheme {scheme!r} is not supported (use postgres://... or sqlite:///...)"
        )
    try:
        config: dict[str, Any] = dict(
            dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        )
    except ValueError as exc:
        raise EnvError(f"DATABASE_URL is not a valid database URL: {exc}") from None
    if config["ENGINE"].endswith("postgresql"):
        options = config.setdefault("OPTIONS", {})
        options.setdefault("connect_timeout", 5)
        # PostgreSQL JIT-compiles every plan whose cost estimate passes jit_above_cost, which
        # sorts over subqueries (orderBy on an extension field) reach: compiling took 400 ms
        # of a 620 ms query. The service's queries are short; compile time is pure latency.
        options.setdefault("options", "-c jit=off")
    elif not config.get("NAME"):
        raise EnvError("DATABASE_URL sqlite:/// needs a file path")
    return config


def broker_url(url: str) -> str:
    """Validate CELERY_BROKER_URL; empty means tasks run eagerly in-process."""
    if not url:
        return ""
    scheme = urlsplit(url).scheme
    if scheme not in BROKER_SCHEMES:
        raise EnvError(
            f"CELERY_BROKER_URL scheme {scheme!r} is not supported (use redis://host:port/db)"
        )
    return url


def env_jsonld_contexts(name: str, base_dir: Path) -> dict[str, dict[str, Any]]:
    """JSON-LD contexts registered as comma-separated `url=path` pairs (the last `=` splits;
    a relative path is under `base_dir`): URL -> the file's `@context` object, read now.

    Documents naming such a URL in their @context get its prefixes as if written inline;
    nothing is ever fetched.
    """
    contexts: dict[str, dict[str, Any]] = {}
    for pair in env_list(name, []):
        url, equals, path = pair.rpartition("=")
        url, path = url.strip(), path.strip()
        parts = urlsplit(url)
        if not equals or not path or parts.scheme not in ("http", "https") or not parts.netloc:
            raise EnvError(
                f"{name}: {pair!r} is not url=path (e.g. "
                "https://example.org/epcis-context.jsonld=/etc/epcis/context.jsonld)"
            )
        if url in contexts:
            raise EnvError(f"{name}: {url} is registered twice")
        contexts[url] = _context_object(name, url, base_dir / Path(path).expanduser())
    return contexts


def _context_object(name: str, url: str, path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_bytes())
    except OSError as exc:
        raise EnvError(
            f"{name}: the file for {url}, {path}, cannot be read: {exc.strerror}"
        ) from None
    except ValueError as exc:
        raise EnvError(f"{name}: the file for {url}, {path}, is not JSON: {exc}") from None
    context = document.get("@context") if isinstance(document, dict) else None
    if not isinstance(context, dict):
        raise EnvError(
            f"{name}: the file for {url}, {path}, is not a JSON-LD context: it needs an "
            '"@context" object'
        )
    return context
