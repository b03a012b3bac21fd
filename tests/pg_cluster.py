"""A throwaway PostgreSQL cluster for the engine tests: initdb + pg_ctl in a temporary folder.

Why a real server: the `postgresql` engine computes the summary inside the database, so only a
real PostgreSQL shows that the SQL it sends is what the server accepts (types, quoting, ordering).

The cluster listens on 127.0.0.1 on a free port (password login, SCRAM) and on a Unix socket in
its own folder (trust, for loading). `initdb` refuses to run as root, and CI runs as root: then the
server's commands run as an unprivileged user (`postgres` when it exists, else `nobody`) through
`setpriv`, and the folder is handed to that user. The cluster is stopped and its folder removed at
the end, also when a test failed. Only when no PostgreSQL binaries exist at all does the caller skip.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pandas as pd


def find_bindir() -> Path | None:
    """The folder with initdb, pg_ctl and postgres: `pg_config --bindir`, then Debian's
    /usr/lib/postgresql/<newest>/bin, then PATH. None when PostgreSQL is not installed."""
    candidates: list[Path] = []
    if shutil.which("pg_config"):
        try:
            out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, timeout=30, check=True)
            candidates.append(Path(out.stdout.strip()))
        except (subprocess.SubprocessError, OSError):
            pass
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: _version_key(Path(p).parent.name))
    candidates += [Path(p) for p in reversed(debian)]
    if shutil.which("initdb"):
        candidates.append(Path(shutil.which("initdb")).parent)  # type: ignore[arg-type]
    return next((c for c in candidates if (c / "initdb").exists() and (c / "pg_ctl").exists()), None)


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(p) for p in name.split(".") if p.isdigit())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgCluster:
    """A running cluster: connect over TCP with `url` (has the password) or over the socket."""

    bindir: Path
    root: Path
    port: int
    user: str
    password: str
    database: str = "gosupr"

    @property
    def socket_dir(self) -> Path:
        return self.root / "sock"

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}:{quote(self.password, safe='')}@127.0.0.1:{self.port}/{self.database}"

    @property
    def url_without_password(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def connect(self, dbname: str | None = None):
        """A psycopg connection over the Unix socket (trust): for loading test tables."""
        import psycopg

        return psycopg.connect(host=str(self.socket_dir), port=self.port, user=self.user,
                               dbname=dbname or self.database, autocommit=True)

    def load_frame(self, table: str, df: pd.DataFrame) -> None:
        """Create `table` with `df`'s columns (text, or `timestamp` for datetime columns) and COPY the
        rows in; headers are quoted, so XES names such as «case:concept:name» stay as they are."""
        from psycopg import sql

        cols = []
        for name in df.columns:
            kind = "timestamp" if pd.api.types.is_datetime64_any_dtype(df[name]) else "text"
            cols.append(sql.SQL("{} {}").format(sql.Identifier(str(name)), sql.SQL(kind)))
        text = df.copy()
        for name in df.columns:
            if pd.api.types.is_datetime64_any_dtype(df[name]):
                text[name] = df[name].dt.strftime("%Y-%m-%d %H:%M:%S.%f")
            else:
                text[name] = df[name].astype("string")
        payload = text.to_csv(index=False, header=False, na_rep="\\N").encode("utf-8")
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table)))
            cur.execute(sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(table), sql.SQL(", ").join(cols)))
            copy_sql = sql.SQL("COPY {} FROM STDIN WITH (FORMAT csv, NULL '\\N')").format(sql.Identifier(table))
            with cur.copy(copy_sql) as copy:
                copy.write(payload)


def _runner() -> tuple[list[str], int | None, int | None]:
    """Command prefix that drops root (initdb refuses it) and the uid/gid the files must belong to."""
    if os.geteuid() != 0:
        return [], None, None
    try:
        pw = pwd.getpwnam("postgres")
    except KeyError:
        pw = pwd.getpwnam("nobody")
    setpriv = shutil.which("setpriv")
    if setpriv:
        return [setpriv, f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups", "--"], pw.pw_uid, pw.pw_gid
    return [shutil.which("runuser") or "runuser", "-u", pw.pw_name, "--"], pw.pw_uid, pw.pw_gid


def _run(cmd: list[str], what: str) -> None:
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd="/")
    if res.returncode != 0:
        raise RuntimeError(f"{what} failed ({res.returncode}): {res.stderr.strip() or res.stdout.strip()}")


@contextmanager
def pg_cluster(bindir: Path) -> Iterator[PgCluster]:
    """Start a cluster in a fresh temporary folder; stop it and remove the folder on exit."""
    prefix, uid, gid = _runner()
    # short (a socket path has ~100 bytes at most), and when root hands it over, in /tmp: a TMPDIR under
    # root's own 0700 folders could not be entered by the unprivileged server user
    where = "/tmp" if uid is not None and os.path.isdir("/tmp") else None
    root = Path(tempfile.mkdtemp(prefix="gosupr-pg-", dir=where))
    (root / "sock").mkdir()
    password = "pw-" + secrets.token_hex(12)
    pwfile = root / "pwfile"
    pwfile.write_text(password + "\n")
    if uid is not None:
        for p in (root, root / "sock", pwfile):
            os.chown(p, uid, gid)  # type: ignore[arg-type]
    data = root / "data"
    started = False
    try:
        _run(prefix + [str(bindir / "initdb"), "-D", str(data), "-U", "gosupr", f"--pwfile={pwfile}",
                       "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C",
                       "--no-sync"], "initdb")
        pwfile.unlink()
        port = 0
        for _attempt in range(5):  # a free port may be taken between the probe and the start: retry
            port = _free_port()
            opts = (f"-p {port} -k {root / 'sock'} -c listen_addresses=127.0.0.1 -c fsync=off "
                    "-c full_page_writes=off -c synchronous_commit=off -c max_connections=20 "
                    "-c shared_buffers=32MB -c TimeZone=UTC")
            res = subprocess.run(prefix + [str(bindir / "pg_ctl"), "-D", str(data), "-o", opts,
                                           "-l", str(root / "server.log"), "-w", "-t", "60", "start"],
                                 capture_output=True, text=True, timeout=120, cwd="/")
            if res.returncode == 0:
                started = True
                break
        if not started:
            log = (root / "server.log").read_text(errors="replace")[-2000:] if (root / "server.log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {res.stderr.strip()} {log}")
        cluster = PgCluster(bindir=bindir, root=root, port=port, user="gosupr", password=password)
        with cluster.connect("postgres") as conn:
            conn.execute("CREATE DATABASE gosupr")
        yield cluster
    finally:
        if started:
            subprocess.run(prefix + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, timeout=120, cwd="/")
        shutil.rmtree(root, ignore_errors=True)
