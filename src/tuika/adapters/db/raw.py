"""Hand-written SQL on the unit of work's own connection, for the busiest path of the API.

A claim is filed in about ten statements. Through SQLAlchemy each one costs several times
the CPU of the statement itself (statement cache, result processing, ORM loading), which
made SQLAlchemy, not the database, the limit on claims per second. These statements run on
the DBAPI connection of the same transaction instead, so the unit of work still owns the
one commit. Values are converted here the way SQLAlchemy stores them (``UtcDateTime``,
``JSON``), so rows written either way read back the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

# SQLAlchemy's storage format for DateTime on SQLite; comparisons in SQL rely on it.
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"
_NAMED = re.compile(r"(?<![:\w]):(\w+)")


@dataclass(frozen=True, slots=True)
class Sql:
    """One statement, written with ``:name`` parameters, in each driver's parameter style.

    ``times`` and ``jsons`` name the result columns to convert. ``postgres_suffix`` is
    appended on PostgreSQL only: row locks, which SQLite takes at ``BEGIN IMMEDIATE``.
    """

    sqlite: str
    postgres: str
    times: frozenset[str] = frozenset()
    jsons: frozenset[str] = frozenset()

    @classmethod
    def of(cls, text: str, *, times: Iterable[str] = (), jsons: Iterable[str] = (), postgres_suffix: str = "") -> Sql:
        """Return the statement for both drivers (sqlite3 takes ``:name``, psycopg ``%(name)s``)."""
        text = " ".join(text.split())
        return cls(text, _NAMED.sub(r"%(\1)s", text) + postgres_suffix, frozenset(times), frozenset(jsons))


Record = dict[str, Any]


_SESSION_KEY = "tuika_raw"


def raw_for(session: Session) -> Raw:
    """Return the ``Raw`` of the session's current transaction (the unit of work forgets it at the end)."""
    raw = session.info.get(_SESSION_KEY)
    if raw is None:
        raw = session.info[_SESSION_KEY] = Raw(session)
    return raw


def forget(session: Session) -> None:
    """Drop the cached ``Raw``: the transaction ended and its connection may go back to the pool."""
    session.info.pop(_SESSION_KEY, None)


class Raw:
    """Runs ``Sql`` on the DBAPI connection of a session's transaction."""

    def __init__(self, session: Session) -> None:
        connection = session.connection()
        self.sqlite = connection.dialect.name == "sqlite"
        dbapi = connection.connection.dbapi_connection
        if dbapi is None:
            raise RuntimeError("the session's connection is closed")
        self._dbapi = dbapi
        self.integrity_error: type[Exception] = connection.dialect.loaded_dbapi.IntegrityError

    def records(self, sql: Sql, params: Mapping[str, Any]) -> list[Record]:
        """Return the rows as dicts by column name, with times and JSON converted."""
        cursor = self._cursor()
        try:
            cursor.execute(sql.sqlite if self.sqlite else sql.postgres, params)
            names = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
        finally:
            cursor.close()
        found = [dict(zip(names, row, strict=True)) for row in rows]
        for name in sql.times.intersection(names):
            for record in found:
                record[name] = self.time_out(record[name])
        for name in sql.jsons.intersection(names):
            for record in found:
                record[name] = self.json_out(record[name])
        return found

    def run(self, sql: Sql, params: Mapping[str, Any]) -> int:
        """Execute a write; return the number of rows it touched."""
        cursor = self._cursor()
        try:
            cursor.execute(sql.sqlite if self.sqlite else sql.postgres, params)
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def run_many(self, sql: Sql, params: Sequence[Mapping[str, Any]]) -> None:
        """Execute a write once per parameter set."""
        if len(params) <= 1:
            # psycopg runs executemany in pipeline mode, which costs more than one execute.
            for one in params:
                self.run(sql, one)
            return
        cursor = self._cursor()
        try:
            cursor.executemany(sql.sqlite if self.sqlite else sql.postgres, params)
        finally:
            cursor.close()

    def time_in(self, value: datetime | None) -> Any:
        """Return an aware time as this database stores it."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused by the database layer")
        value = value.astimezone(UTC)
        return value.strftime(_SQLITE_TIME) if self.sqlite else value

    def time_out(self, value: Any) -> datetime | None:
        """Return a stored time as an aware UTC datetime."""
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def json_in(self, value: Any) -> str:
        """Return a value as JSON text; both databases take it for a JSON column."""
        return json.dumps(value)

    def json_out(self, value: Any) -> Any:
        """Return a stored JSON value (psycopg parses it already; sqlite3 hands back text)."""
        return json.loads(value) if self.sqlite and value is not None else value

    def _cursor(self) -> Any:
        return self._dbapi.cursor()
