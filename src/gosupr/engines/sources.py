"""Logs that live in a database: `postgresql://user@host:port/db` with `--query "select ..."` or
`--table name`, opened as an Ibis table so the summary is computed inside the server.

Why here and not in `ingest`: nothing is read into gosupr's memory; the engine sends the portable
summary definition to the server and only the summary comes back.

Credentials come from the URL or from libpq's own sources (PGPASSWORD, PGUSER, PGHOST, PGPORT,
PGDATABASE, ~/.pgpass or PGPASSFILE), which psycopg consults when the URL leaves them out. The
password is never shown: messages and documents name the source by `DatabaseSource.shown`, the URL
with its password masked. Everything the user can fix (unreachable server, wrong password, bad
query, missing table or column) is one `GosuprError` line, which the CLI turns into exit code 2.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from gosupr.errors import GosuprError

SCHEMES = ("postgresql", "postgres")
MASK = "***"
_SECRET_PARAMS = ("password", "sslpassword")
_VIEW = "gosupr_source"  # the user's --query as a temporary view of this session
_CONNECT_TIMEOUT_S = 10


def is_database_url(text: str) -> bool:
    """True for `postgresql://…` and `postgres://…` (what libpq accepts as a connection URI)."""
    return text.split("://", 1)[0].lower() in SCHEMES and "://" in text


def mask_url(url: str) -> str:
    """The URL with its password (in the user part or as `?password=`) replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return re.sub(r"(://[^:/@]*:)[^@/]*@", rf"\1{MASK}@", url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":" + MASK
        netloc = f"{userinfo}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, MASK if k.lower() in _SECRET_PARAMS else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


@dataclass(frozen=True)
class DatabaseSource:
    """A database URL and what to read from it: exactly one of `query` and `table`.

    `url` may hold a password: never print it; `shown` is the printable name."""

    url: str
    query: str | None = None
    table: str | None = None

    @property
    def shown(self) -> str:
        """The URL with its password masked, and which table (or that it is a query)."""
        what = f"table {self.table}" if self.table is not None else "query"
        return f"{mask_url(self.url)} ({what})"

    def secrets(self) -> list[str]:
        """The password as written in the URL (if any), to scrub from any text shown."""
        from urllib.parse import unquote

        out: list[str] = []
        netloc = self.url.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0]
        userinfo = netloc.rsplit("@", 1)[0] if "@" in netloc else ""
        if ":" in userinfo:
            out.append(userinfo.split(":", 1)[1])
        out += re.findall(r"(?i)[?&](?:ssl)?password=([^&]*)", self.url)
        return sorted({s for w in out for s in (w, unquote(w)) if s}, key=len, reverse=True)


def parse_source(arg: str, *, query: str | None = None, table: str | None = None) -> Path | DatabaseSource:
    """A file path, or a `DatabaseSource` for a database URL; refuses --query/--table that do not fit."""
    if not is_database_url(arg):
        if query is not None or table is not None:
            flag = "--query" if query is not None else "--table"
            raise GosuprError(f"{flag} reads from a database; give a postgresql://user@host/db URL instead of a file",
                              path=arg)
        return Path(arg)
    src = DatabaseSource(arg, query, table)
    if (query is None) == (table is None):
        raise GosuprError("a database source needs --query \"select ...\" or --table NAME (one of them)",
                          path=mask_url(arg))
    if query is not None and not query.strip():
        raise GosuprError("--query is empty; give the select that returns the events", path=src.shown)
    if table is not None and not table.strip():
        raise GosuprError("--table is empty; give the table (or schema.table) that holds the events", path=src.shown)
    _conninfo(src)  # a malformed URL fails now, before any connection
    return src


def _conninfo(src: DatabaseSource) -> dict[str, Any]:
    try:
        from psycopg.conninfo import conninfo_to_dict
    except ModuleNotFoundError as exc:
        raise GosuprError(f"a postgresql:// source needs the Python package {exc.name!r}, which is not installed; "
                          "install it with: pip install 'gosupr[postgres]'", path=mask_url(src.url)) from None

    try:
        info = conninfo_to_dict(src.url)
    except Exception as exc:  # psycopg.ProgrammingError: invalid URI or option
        raise GosuprError(f"is not a valid PostgreSQL URL ({_scrub(exc, src)}); write "
                          "postgresql://user@host:port/database", path=mask_url(src.url)) from None
    info.setdefault("connect_timeout", _CONNECT_TIMEOUT_S)
    info.setdefault("application_name", "gosupr")
    return info


def _scrub(exc: BaseException, src: DatabaseSource) -> str:
    """The server's own message (without the SQL echo and caret) or the driver's first lines, on one
    line, without the password."""
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    text = " ".join((primary or str(exc)).split()) or type(exc).__name__
    text = re.sub(r"^connection failed: ", "", text)
    text = re.sub(r' in URI: ".*', "", text)
    for secret in src.secrets():
        text = text.replace(secret, MASK)
    return text[:300]


def connect(src: DatabaseSource) -> Any:
    """A psycopg connection (autocommit) with the session in UTC; one-line errors."""
    import psycopg

    info = _conninfo(src)
    try:
        con = psycopg.connect(**info, autocommit=True)
    except psycopg.OperationalError as exc:
        raise GosuprError(f"cannot connect to PostgreSQL: {_scrub(exc, src)}; check the host, port, user "
                          "and password (URL or PGPASSWORD / ~/.pgpass) and that the server runs",
                          path=src.shown) from None
    except psycopg.Error as exc:
        raise GosuprError(f"cannot connect to PostgreSQL: {_scrub(exc, src)}", path=src.shown) from None
    con.execute("SET TIME ZONE 'UTC'")
    return con


@contextmanager
def database_errors(src: DatabaseSource, doing: str = "the summary query failed") -> Iterator[None]:
    """Turn driver errors raised inside (while the server runs gosupr's SQL) into one GosuprError line."""
    import psycopg

    try:
        yield
    except psycopg.OperationalError as exc:
        raise GosuprError(f"PostgreSQL connection lost: {_scrub(exc, src)}", path=src.shown) from None
    except psycopg.Error as exc:
        raise GosuprError(f"{doing} in PostgreSQL: {_scrub(exc, src)}", path=src.shown) from None


def open_table(src: DatabaseSource) -> tuple[Any, Any]:
    """(ibis backend, ibis table of the source rows): the `--query` becomes a temporary view of this
    session (the server parses it: its own message for a bad query; only a select fits in a view),
    the `--table` is looked up as written (`schema.table` allowed)."""
    import ibis
    import psycopg
    from psycopg import sql

    con = connect(src)
    try:
        if src.query is not None:
            body = src.query.strip().rstrip(";").strip()
            try:
                con.execute(sql.SQL("CREATE TEMPORARY VIEW {} AS ").format(sql.Identifier(_VIEW))
                            + sql.SQL(body))
            except psycopg.Error as exc:
                raise GosuprError(f"--query failed in PostgreSQL: {_scrub(exc, src)}; it must be one select "
                                  "returning the event rows", path=src.shown) from None
            name, database = _VIEW, None
        else:
            name, database = _table_name(src)
            ident = sql.Identifier(*(database, name) if database else (name,))
            try:
                con.execute(sql.SQL("SELECT 1 FROM {} LIMIT 0").format(ident))
            except psycopg.errors.UndefinedTable:
                raise GosuprError(f"table «{src.table}» does not exist in the database; check --table (or "
                                  "schema.table) and the user's search_path", path=src.shown) from None
            except psycopg.Error as exc:
                raise GosuprError(f"cannot read table «{src.table}»: {_scrub(exc, src)}", path=src.shown) from None
        backend = ibis.postgres.from_connection(con)
        with database_errors(src, "reading the columns failed"):
            table = backend.table(name, database=database) if database else backend.table(name)
        return backend, table
    except BaseException:
        con.close()
        raise


def _table_name(src: DatabaseSource) -> tuple[str, str | None]:
    """`name` or `schema.name` (quotes around either part allowed)."""
    text = (src.table or "").strip()
    parts = [p.strip() for p in re.findall(r'"(?:[^"]|"")*"|[^.]+', text)]
    parts = [p[1:-1].replace('""', '"') if p.startswith('"') and p.endswith('"') else p for p in parts]
    if len(parts) == 1:
        return parts[0], None
    if len(parts) == 2:
        return parts[1], parts[0]
    raise GosuprError(f"--table «{text}» is not a table name; write name or schema.name", path=src.shown)


def close(backend: Any) -> None:
    """Close the backend's connection (the temporary view goes with the session)."""
    with suppress(Exception):  # closing is best effort: the summary is already computed
        backend.con.close()


__all__ = ["MASK", "SCHEMES", "DatabaseSource", "close", "connect", "database_errors", "is_database_url",
           "mask_url", "open_table", "parse_source"]
