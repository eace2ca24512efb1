"""Set-based reads and writes of the lineage tables on the open connection, on PostgreSQL
(arrays, binary COPY) and SQLite (json_each, executemany) alike.

One statement per table and batch whatever the batch's size, never one per row: a list of
values is one parameter (`= ANY(%s)` on PostgreSQL, `IN (SELECT value FROM json_each(%s))`
on SQLite), so neither planning thousands of placeholders nor SQLite's variable limit
depends on it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg
from django.db import connection, transaction

# PostgreSQL types of the lineage tables' columns, for binary COPY and unnest().
TEXT, BIGINT, SMALLINT, TIME, FLOAT, BOOL = "text", "int8", "int2", "timestamptz", "float8", "bool"


class Db:
    """The open connection's cursor, with the few operations lineage needs."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor  # Django's cursor wrapper
        self.postgres = connection.vendor == "postgresql"

    def any(self, column: str, values: Collection[Any]) -> tuple[str, list[Any]]:
        """`column` is one of `values`, as SQL and its one parameter."""
        if self.postgres:
            return f"{column} = ANY(%s)", [list(values)]
        return f"{column} IN (SELECT value FROM json_each(%s))", [_json_list(values)]

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        self.cursor.execute(sql, self._adapted(params))
        return self.cursor.fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.cursor.execute(sql, self._adapted(params))

    def insert(
        self, table: str, columns: Sequence[str], types: Sequence[str], rows: Iterable[tuple]
    ) -> None:
        """Append rows (binary COPY on PostgreSQL, one executemany on SQLite)."""
        names = ", ".join(f'"{c}"' for c in columns)
        if self.postgres:
            sql = f'COPY "{table}" ({names}) FROM STDIN (FORMAT BINARY)'
            with self.cursor.cursor.copy(sql) as copy:
                copy.set_types(list(types))
                for row in rows:
                    copy.write_row(row)
            return
        batch = [self._adapted(row) for row in rows]
        if batch:
            marks = ", ".join("%s" for _ in columns)
            self.cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', batch)

    def insert_or_upsert(
        self,
        table: str,
        columns: Sequence[str],
        types: Sequence[str],
        rows: Sequence[tuple],
        conflict: str,
    ) -> None:
        """`upsert`, at the price of `insert` when no row conflicts (the usual case): on
        PostgreSQL the rows are COPYed in a savepoint, and upserted only if that meets a row
        already stored (a unique violation, which rolls the savepoint back)."""
        if not self.postgres or not rows:
            self.upsert(table, columns, types, rows, conflict)
            return
        savepoint = transaction.savepoint()
        try:
            self.insert(table, columns, types, rows)
        except psycopg.errors.UniqueViolation:
            transaction.savepoint_rollback(savepoint)
            self.upsert(table, columns, types, rows, conflict)
        else:
            transaction.savepoint_commit(savepoint)

    def upsert(
        self,
        table: str,
        columns: Sequence[str],
        types: Sequence[str],
        rows: Sequence[tuple],
        conflict: str,
    ) -> None:
        """INSERT the rows ... ON CONFLICT `conflict` (referring to the stored row as `old`).
        On PostgreSQL the rows are COPYed into a temporary table and moved by one statement:
        about twice as fast as INSERT ... SELECT FROM unnest(arrays) for thousands of rows."""
        if not rows:
            return
        names = ", ".join(f'"{c}"' for c in columns)
        if self.postgres:
            staging = self._staging(table, columns, types)
            self.insert(staging, columns, types, rows)
            self.cursor.execute(
                f'WITH moved AS (DELETE FROM "{staging}" RETURNING {names})'
                f' INSERT INTO "{table}" AS old ({names}) SELECT {names} FROM moved {conflict}'
            )
            return
        marks = ", ".join("%s" for _ in columns)
        sql = f'INSERT INTO "{table}" AS old ({names}) VALUES ({marks}) {conflict}'
        self.cursor.executemany(sql, [self._adapted(row) for row in rows])

    def _staging(self, table: str, columns: Sequence[str], types: Sequence[str]) -> str:
        """A temporary table of this session for `table`'s upserts, emptied by each use (and
        truncated at commit, so the dead rows of those deletes do not pile up)."""
        staging = f"staging_{table}"
        definition = ", ".join(f'"{c}" {t}' for c, t in zip(columns, types, strict=True))
        self.cursor.execute(
            f'CREATE TEMPORARY TABLE IF NOT EXISTS "{staging}" ({definition}) ON COMMIT DELETE ROWS'
        )
        return staging

    def time(self, value: Any) -> datetime:
        """A timestamp read back (SQLite gives Django's naive UTC text)."""
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        return datetime.fromisoformat(value).replace(tzinfo=UTC)

    def json(self, value: Any) -> Any:
        return orjson.loads(value) if isinstance(value, str | bytes) else value

    def _adapted(self, params: Sequence[Any]) -> Sequence[Any]:
        if self.postgres:
            return params
        # Django keeps SQLite datetimes as naive UTC text and compares them as text.
        adapt = connection.ops.adapt_datetimefield_value
        return tuple(adapt(v) if isinstance(v, datetime) else v for v in params)


def _json_list(values: Iterable[Any]) -> str:
    return orjson.dumps(list(values)).decode()
