"""The `spark` engine: the portable summary (`engines.portable`) run by Spark through Ibis.

Why Spark: analysts whose logs sit in a data lake already run it; the events stay on the cluster
and only the summary (variants, directly-follows pairs, sketches: sizes that grow with variants and
activities) comes back to the driver.

Input: Parquet — a file, a folder of Parquet files (partitioned folders too) or a glob. Inside a
case, events with the same time keep their order in the files: the original order is (file name,
`monotonically_increasing_id`), which follows a file's row order because Spark numbers a file's
splits in offset order.

The session: `--spark-master` (default `local[*]`); an active session (a notebook's, the tests')
is reused as it is, and only a session this module started is stopped at the end. Spark's own
start-up chatter goes to a log4j2 configuration that prints errors only.
"""

from __future__ import annotations

import glob as globmod
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gosupr.engines.summary import LogSummary
from gosupr.errors import GosuprError

DEFAULT_MASTER = "local[*]"
FILE_COL, ROW_COL = "_gosupr_file", "_gosupr_row"  # original order of the rows (not the user's columns)
_LOG4J = """status = error
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = STDERR
appender.console.type = Console
appender.console.name = STDERR
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = spark: %p %c{1}: %m%n
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = error
"""


def _log4j_file() -> str:
    """A log4j2 file printing only errors (Spark's INFO/WARN start-up lines are noise to a CLI user)."""
    path = Path(tempfile.gettempdir()) / f"gosupr-spark-log4j2-{os.getuid()}.properties"
    if not path.exists() or path.read_text() != _LOG4J:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(_LOG4J)
        tmp.replace(path)
    return str(path)


@contextmanager
def _jvm_stderr_to_file() -> Iterator[None]:
    """While the JVM starts, file descriptor 2 points at a log file, which the JVM keeps as its stderr:
    the JDK's own start-up notes (e.g. about incubator modules) cannot be silenced by log4j, and a
    CLI prints nothing it did not mean to. Spark's errors still reach the user as Python exceptions."""
    import sys

    log = Path(tempfile.gettempdir()) / f"gosupr-spark-{os.getuid()}.log"
    sys.stderr.flush()
    saved = os.dup(2)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.dup2(fd, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(fd)


def _quiet_python_loggers() -> None:
    """PySpark logs every analysis error as JSON on stderr before raising it; gosupr turns the
    error into its own one-line message, so those loggers stay silent."""
    from pyspark.logger import PySparkLogger

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).disabled = True


def session_builder(master: str = DEFAULT_MASTER, *, driver_memory: str | None = None,
                    temp_dir: str | None = None, shuffle_partitions: int | None = None) -> Any:
    """A SparkSession builder with gosupr's settings: UTC everywhere, no UI, quiet logs."""
    from pyspark.sql import SparkSession

    java_opts = f"-Duser.timezone=UTC -Dlog4j2.configurationFile=file:{_log4j_file()}"
    b = (SparkSession.builder.master(master).appName("gosupr")
         .config("spark.ui.enabled", "false")
         .config("spark.ui.showConsoleProgress", "false")
         .config("spark.sql.session.timeZone", "UTC")
         .config("spark.driver.extraJavaOptions", java_opts)
         .config("spark.executor.extraJavaOptions", java_opts)
         .config("spark.sql.ansi.enabled", "false"))
    if driver_memory:
        b = b.config("spark.driver.memory", driver_memory)
    if temp_dir:
        b = b.config("spark.local.dir", temp_dir)
    if shuffle_partitions is None and master.startswith("local"):
        shuffle_partitions = 2 * (os.cpu_count() or 1)  # 200 tiny tasks per shuffle would dominate locally
    if shuffle_partitions:
        b = b.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    return b


def start_session(master: str = DEFAULT_MASTER, *, conf: dict[str, str] | None = None, **kw: Any) -> Any:
    """A new (or the active) SparkSession with gosupr's settings (plus `conf`), started without console noise."""
    try:
        from pyspark.sql import SparkSession  # noqa: F401
    except ModuleNotFoundError:
        raise GosuprError("--engine spark needs PySpark; install gosupr[spark]") from None
    _quiet_python_loggers()
    try:
        with _jvm_stderr_to_file():
            builder = session_builder(master, **kw)
            for key, value in (conf or {}).items():
                builder = builder.config(key, value)
            return builder.getOrCreate()
    except Exception as exc:  # no Java, a master that cannot be reached, a bad master URL
        msg = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise GosuprError(f"cannot start Spark with master {master!r}: {msg}; check --spark-master and that "
                          "Java 17 is installed (Debian: openjdk-17-jre-headless)") from None


@contextmanager
def spark_session(master: str = DEFAULT_MASTER, **kw: Any) -> Iterator[Any]:
    """The active session if there is one (reused, left running), else a new one, stopped at the end."""
    try:
        from pyspark.sql import SparkSession
    except ModuleNotFoundError:
        raise GosuprError("--engine spark needs PySpark; install gosupr[spark]") from None
    _quiet_python_loggers()
    active = SparkSession.getActiveSession()
    if active is not None:
        yield active
        return
    spark = start_session(master, **kw)
    try:
        yield spark
    finally:
        spark.stop()


def _parquet_paths(source: str) -> list[str]:
    """The Parquet path(s) Spark reads: a file, a folder, or a glob's matches (sorted); a URI
    (hdfs://, s3a://, file://…) goes to Spark as it is, for the cluster to resolve."""
    if "://" in source:
        return [source]
    p = Path(source)
    if p.is_dir():
        if not any(q.suffix.lower() in (".parquet", ".pq") for q in p.rglob("*") if q.is_file()):
            raise GosuprError("folder holds no .parquet files; --engine spark reads Parquet (a file, a folder "
                              "or a glob)", path=source)
        return [str(p)]
    if p.is_file():
        with p.open("rb") as fh:
            if fh.read(4) != b"PAR1":
                raise GosuprError("is not a Parquet file; --engine spark reads Parquet (a file, a folder or a "
                                  "glob); read CSV, XES or workbooks with --engine memory or duckdb",
                                  path=source)
        return [str(p)]
    if any(ch in source for ch in "*?["):
        hits = sorted(globmod.glob(source, recursive=True))
        if not hits:
            raise GosuprError("no file matches this pattern", path=source)
        return hits
    raise GosuprError("file not found; check the path", path=source)


def read_rows(spark: Any, source: str) -> Any:
    """The rows as a Spark DataFrame with their original order in FILE_COL, ROW_COL."""
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException
    from pyspark.sql import functions as F

    paths = _parquet_paths(source)
    try:
        df = spark.read.parquet(*paths)
    except (PySparkException, Py4JError) as exc:
        msg = " ".join(str(exc).split())[:300]
        raise GosuprError(f"Spark cannot read it as Parquet ({msg}); export the log again", path=source) from None
    return df.withColumn(FILE_COL, F.input_file_name()).withColumn(ROW_COL, F.monotonically_increasing_id())


@contextmanager
def _spark_errors(source: str) -> Iterator[None]:
    """A failure inside Spark's jobs (unreadable files, a lost executor) as one GosuprError line."""
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    try:
        yield
    except (PySparkException, Py4JError) as exc:
        msg = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise GosuprError(f"Spark failed while summarising: {msg}", path=source) from None


def _cache(con: Any) -> Callable[[Any], Any]:
    """Ibis's pyspark `cache()` compiles the expression without registering the in-memory tables it
    joins (ibis 12), so register them first; Spark then keeps the stage in memory for reuse."""
    def cache(t: Any) -> Any:
        con._run_pre_execute_hooks(t)
        return t.cache()

    return cache


def summarize_frame(spark: Any, df: Any, columns: Any, *, source: str,
                    progress: Callable[..., None] | None = None, paths: bool = False) -> LogSummary:
    """The summary of a Spark DataFrame of raw rows (with FILE_COL/ROW_COL), through Ibis; `paths`:
    also `LogSummary.paths`."""
    import ibis

    from gosupr.engines.portable import Roles, summarize
    from gosupr.ingest import columns as cols

    headers = [c for c in df.columns if c not in (FILE_COL, ROW_COL)]
    mapping = cols.resolve(headers, columns, source)
    view = f"gosupr_rows_{os.getpid()}_{id(df)}"
    df.createOrReplaceTempView(view)
    try:
        con = ibis.pyspark.connect(spark)
        raw = con.table(view)
        roles = Roles(case=mapping["case"], activity=mapping["activity"], timestamp=mapping["timestamp"],
                      department=mapping.get("department"), lifecycle=mapping.get("lifecycle"),
                      order=(FILE_COL, ROW_COL), header=mapping)
        with _spark_errors(source):
            return summarize(raw, roles, source=source, columns=mapping, progress=progress, cache=_cache(con),
                             paths=paths)
    finally:
        spark.catalog.dropTempView(view)


def summarize_path(source: str, columns: Any, options: Any) -> LogSummary:
    """Registry entry: `--engine spark` on a Parquet file, folder or glob."""
    from gosupr.engines import shown_source

    extra = getattr(options, "extra", {}) or {}
    if getattr(options, "timezone", None) is not None:
        raise GosuprError("--timezone is not supported with --engine spark yet; use --engine memory")
    master = extra.get("spark_master") or DEFAULT_MASTER
    shown = shown_source(source)
    _parquet_paths(source)  # a bad path fails before Spark starts (seconds)
    with spark_session(master, driver_memory=getattr(options, "memory_limit", None),
                       temp_dir=getattr(options, "temp_dir", None)) as spark:
        df = read_rows(spark, source)
        return summarize_frame(spark, df, columns, source=shown, progress=extra.get("progress"),
                               paths=getattr(options, "paths", False))


__all__ = ["DEFAULT_MASTER", "read_rows", "session_builder", "spark_session", "start_session", "summarize_frame", "summarize_path"]
