"""Logs that live in a database: `postgresql://user@host:port/db` with `--query "select ..."` or
`--table name`, opened as an Ibis table so the summary is computed inside the server.

Why here and not in `ingest`: nothing is read into gosupr's memory; the engine sends the portable
summary definition to the server and only the summary comes back.

Credentials come from the URL or from libpq's own sources (PGPASSWORD, PGUSER, PGHOST, PGPORT,
PGDATABASE, ~/.pgpass or PGPASSFILE), which psycopg consults when the URL leaves them out. The
password is never shown: messages and documents name the source by `DatabaseSource.shown`, the URL
with its password masked. Everything the user can fix (unreachable server, wrong password, bad
query, missing table or column) is one `GosuprError` line, which the CLI turns into exit code 2.

Files (`resolve_files`): one resolver of a file, a folder or a glob for every engine that reads
files itself (duckdb, spark), so both accept and refuse the same paths with the same words.
"""

from __future__ import annotations

import glob as globmod
import os
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


# --- files: one resolver for the engines that read files themselves -----------------------------------

PARQUET_SUFFIXES = (".parquet", ".pq")
_GLOB = "*?["


@dataclass(frozen=True)
class FileSource:
    """What a file, folder or glob resolves to.

    `kind`: parquet, csv or other (XES, workbooks: gosupr's readers) — the kind of every file;
    `files`: the local files, sorted (the original row order starts with their order);
    `paths`: what the engine opens: the files, or with `whole_folders` a folder kept whole (Spark
    discovers `key=value` partitions from it) and a URI as given (a cluster resolves it)."""

    kind: str
    files: tuple[str, ...]
    paths: tuple[str, ...]

    @property
    def uri(self) -> bool:
        return not self.files


def _kind(path: str, source: str) -> str:
    with open(path, "rb") as fh:
        if fh.read(4) == b"PAR1":
            return "parquet"
    from gosupr.ingest.sniff import detect

    fmt, _gz = detect(Path(path), shown_file(path, source))
    return "csv" if fmt == "csv" else "other"


def shown_file(path: str, source: str) -> str:
    """One file of a folder or glob as messages name it: the source, or `source: file name`."""
    return source if os.path.basename(path) == os.path.basename(source.rstrip("/")) else \
        f"{source}: {os.path.basename(path)}"


def _parquet_under(folder: str) -> list[str]:
    return sorted(str(f) for f in Path(folder).rglob("*") if f.is_file() and f.name.lower().endswith(PARQUET_SUFFIXES))


def resolve_files(path: str, source: str, *, whole_folders: bool = False, uris: bool = False) -> FileSource:
    """A file, a folder (its Parquet files, partitions included) or a glob (its matches, sorted;
    matched folders count as Parquet folders), checked before any engine starts.

    A folder or glob holds files of one kind (Parquet, or CSV files); `uris`: a URI (hdfs://, s3a://,
    file://…) is passed through unchecked as Parquet, for the engine's cluster to resolve."""
    if "://" in path:
        if not uris:
            raise GosuprError("reads local files; give a path (a URI like hdfs:// or s3a:// needs --engine spark)",
                              path=source)
        return FileSource("parquet", (), (path,))
    paths: list[str] = []
    files: list[str] = []
    if os.path.isdir(path):
        files = _parquet_under(path)
        if not files:
            raise GosuprError("folder holds no .parquet files; give a Parquet folder, a file or a glob", path=source)
        paths = [path] if whole_folders else files
    elif any(ch in path for ch in _GLOB) and not os.path.exists(path):
        for hit in sorted(globmod.glob(path, recursive=True)):
            if os.path.isdir(hit):
                inner = _parquet_under(hit)
                files += inner
                paths += [hit] if whole_folders else inner
            elif os.path.isfile(hit):
                files.append(hit)
                paths.append(hit)
        if not files:
            raise GosuprError("no file matches this pattern; check the path", path=source)
    else:
        from gosupr.ingest.sniff import check_file

        check_file(Path(path), source)
        files = paths = [path]
    kinds = {_kind(f, source) for f in files}
    if len(kinds) > 1:
        raise GosuprError(f"a folder or pattern must hold files of one kind (found {' and '.join(sorted(kinds))}); "
                          "give Parquet files or CSV files", path=source)
    return FileSource(kinds.pop(), tuple(files), tuple(paths))


__all__ = ["MASK", "PARQUET_SUFFIXES", "SCHEMES", "DatabaseSource", "FileSource", "close", "connect", "database_errors",
           "is_database_url", "mask_url", "open_table", "parse_source", "resolve_files", "shown_file"]
