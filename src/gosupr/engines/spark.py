"""The `spark` engine: the portable summary (`engines.portable`) run by Spark through Ibis.

Why Spark: analysts whose logs sit in a data lake already run it; the events stay on the cluster
and only the summary (variants, directly-follows pairs, sketches: sizes that grow with variants and
activities) comes back to the driver.

Input, resolved as the duckdb engine resolves it (`engines.sources.resolve_files`):
- Parquet: a file, a folder of Parquet files (kept whole: Spark discovers `key=value` partitions),
  a glob, or a URI (hdfs://, s3a://…) passed to the cluster as it is;
- CSV: a file or a glob of files, laid out as gosupr's own reader finds it (`ingest.csv.sniff_file`:
  `;`/`,`/tab delimiter, UTF-8, cp1251 or UTF-16, title lines above the header, a «Дата» column
  joined with a «Время» one); Spark decodes and splits it with those settings, records with the
  wrong number of fields are counted as `malformed_row`, as `--engine memory` counts them.
Inside a case, events with the same time keep their order in the files: the original order is
(file name, `monotonically_increasing_id`), which follows a file's row order because Spark numbers
a file's splits in offset order.

The session: `--spark-master` (default `local[*]`); an active session (a notebook's, the tests')
is reused as it is, and only a session this module started is stopped at the end. Spark's own
start-up chatter goes to a log4j2 configuration that prints errors only.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gosupr.engines.summary import LogSummary
from gosupr.errors import GosuprError

DEFAULT_MASTER = "local[*]"
FILE_COL, ROW_COL = "_gosupr_file", "_gosupr_row"  # original order of the rows (not the user's columns)
BAD_COL = "_gosupr_bad"  # a CSV record with the wrong number of fields, as read (dropped as malformed_row)
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


def _java_charset(encoding: str) -> str:
    """Java's name of a Python codec (Spark decodes the file itself)."""
    import codecs

    name = codecs.lookup(encoding).name
    return {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "utf-16": "UTF-16", "mac-cyrillic": "x-MacCyrillic"}.get(name, name)


@dataclass(frozen=True)
class CsvPlan:
    """How Spark reads CSV files: one group of files per layout (encoding, delimiter, width, lines
    above the data, role columns), all groups giving the same role columns."""

    groups: tuple[tuple[Any, tuple[str, ...]], ...]  # (FileLayout, files)
    shown: dict[str, str]  # role → header as the audit shows it (the first file's)


def plan_csv(files: tuple[str, ...], columns: Any, source: str) -> CsvPlan:
    """Each file's layout by gosupr's own sniffer (`ingest.csv.sniff_file`: delimiter, encoding,
    header, role columns, a date and a time column to join), before Spark starts."""
    from gosupr.engines.sources import shown_file
    from gosupr.ingest.csv import sniff_file

    groups: dict[Any, tuple[Any, list[str]]] = {}
    roles: set[str] | None = None
    shown: dict[str, str] = {}
    for f in files:
        name = shown_file(f, source)
        lay = sniff_file(Path(f), name, columns)
        if lay.gz and not f.lower().endswith(".gz"):
            raise GosuprError("is gzip-compressed but not named .gz; Spark decompresses by the name: rename it "
                              "to end in .gz", path=name)
        headers = lay.layout.headers
        where = {role: headers.index(h) for role, h in lay.mapping.items()}
        with_time = headers.index(lay.time_part) if lay.time_part else None
        if roles is None:
            roles, shown = {*where, *(["time"] if with_time is not None else [])}, lay.shown
        elif roles != {*where, *(["time"] if with_time is not None else [])}:
            raise GosuprError("its columns differ from the pattern's first file (roles "
                              f"{', '.join(sorted(roles))}); give files exported alike", path=name)
        key = (lay.encoding, lay.layout.delimiter, len(headers), lay.records_before, tuple(sorted(where.items())),
               with_time)
        groups.setdefault(key, (lay, []))[1].append(f)
    return CsvPlan(tuple((lay, tuple(fs)) for lay, fs in groups.values()), shown)


def _read_group(spark: Any, lay: Any, files: tuple[str, ...]) -> Any:
    """One layout's files as (r_<role>…, BAD_COL, FILE_COL, ROW_COL). `multiLine`: quoted values may
    hold line breaks, as gosupr's reader allows (a file is then one task, read as a stream)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    headers = lay.layout.headers
    schema = T.StructType([T.StructField(f"c{i}", T.StringType()) for i in range(len(headers))]
                          + [T.StructField(BAD_COL, T.StringType())])
    skip = lay.records_before
    df = (spark.read.schema(schema)
          .option("sep", lay.layout.delimiter).option("encoding", _java_charset(lay.encoding))
          .option("quote", '"').option("escape", '"').option("multiLine", "true")
          .option("header", "true" if skip == 1 else "false")
          .option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", BAD_COL)
          .csv(list(files)))
    df = df.withColumn(FILE_COL, F.input_file_name()).withColumn(ROW_COL, F.monotonically_increasing_id())
    if skip > 1:  # a `sep=` line or title lines above the header: a file's records are numbered consecutively
        firsts = df.groupBy(FILE_COL).agg(F.min(ROW_COL).alias("_gosupr_first"))
        df = (df.join(F.broadcast(firsts), FILE_COL).filter(F.col(ROW_COL) - F.col("_gosupr_first") >= skip)
              .drop("_gosupr_first"))
    col = {role: F.col(f"c{headers.index(h)}") for role, h in lay.mapping.items()}
    if lay.time_part:  # «Дата» + «Время», joined as gosupr's reader joins them
        col["timestamp"] = F.concat(F.coalesce(col["timestamp"], F.lit("")), F.lit(" "),
                                    F.coalesce(F.col(f"c{headers.index(lay.time_part)}"), F.lit("")))
    return df.select(*[c.alias(f"r_{role}") for role, c in sorted(col.items())], BAD_COL, FILE_COL, ROW_COL)


def read_csv(spark: Any, plan: CsvPlan) -> Any:
    """The rows of every CSV file of the plan as one DataFrame (see `_read_group`)."""
    frames = [_read_group(spark, lay, files) for lay, files in plan.groups]
    df = frames[0]
    for other in frames[1:]:
        df = df.unionByName(other)
    return df


@contextmanager
def _java_charsets(spark: Any) -> Iterator[None]:
    """Spark 4 decodes only UTF-8/16/32, ASCII and Latin-1 unless told to use Java's charsets
    (cp1251 exports need them); the session's own setting is restored afterwards."""
    key = "spark.sql.legacy.javaCharsets"
    before = spark.conf.get(key, None)
    spark.conf.set(key, "true")
    try:
        yield
    finally:
        if before is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, before)


def read_rows(spark: Any, source: str, paths: tuple[str, ...] | None = None) -> Any:
    """Parquet rows (a file, a folder kept whole for partition discovery, a glob's matches, a URI)
    as a Spark DataFrame with their original order in FILE_COL, ROW_COL."""
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException
    from pyspark.sql import functions as F

    if paths is None:
        from gosupr.engines.sources import resolve_files

        paths = resolve_files(source, source, whole_folders=True, uris=True).paths
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
                    progress: Callable[..., None] | None = None, paths: bool = False,
                    shown: dict[str, str] | None = None, timezone: str | None = None) -> LogSummary:
    """The summary of a Spark DataFrame of raw rows (with FILE_COL/ROW_COL), through Ibis; `paths`:
    also `LogSummary.paths`.

    `shown`: the frame is a CSV read (`read_csv`): its columns are `r_<role>` and BAD_COL, and
    `shown` says which headers they came from; otherwise the roles are resolved from its columns."""
    import ibis

    from gosupr.engines.portable import Roles, summarize
    from gosupr.ingest import columns as cols

    if shown is not None:
        mapping = {role: f"r_{role}" for role in shown}
        header, bad = dict(shown), BAD_COL
    else:
        headers = [c for c in df.columns if c not in (FILE_COL, ROW_COL)]
        mapping = header = cols.resolve(headers, columns, source)
        bad = None
    view = f"gosupr_rows_{os.getpid()}_{id(df)}"
    df.createOrReplaceTempView(view)
    try:
        con = ibis.pyspark.connect(spark)
        raw = con.table(view)
        roles = Roles(case=mapping["case"], activity=mapping["activity"], timestamp=mapping["timestamp"],
                      department=mapping.get("department"), lifecycle=mapping.get("lifecycle"),
                      order=(FILE_COL, ROW_COL), header=header, malformed=bad)
        with _spark_errors(source):
            return summarize(raw, roles, source=source, columns=header, progress=progress, cache=_cache(con),
                             paths=paths, timezone=timezone)
    finally:
        spark.catalog.dropTempView(view)


def summarize_path(source: str, columns: Any, options: Any) -> LogSummary:
    """Registry entry: `--engine spark` on CSV or Parquet: a file, a folder, a glob (or a Parquet URI)."""
    from gosupr.engines import shown_source
    from gosupr.engines.sources import resolve_files

    extra = getattr(options, "extra", {}) or {}
    timezone = getattr(options, "timezone", None)
    if timezone is not None:
        from gosupr.ingest.timezones import check_zone

        check_zone(timezone)
    master = extra.get("spark_master") or DEFAULT_MASTER
    shown = shown_source(source)
    # bad paths, formats and columns fail here, before Spark starts (seconds)
    found = resolve_files(source, shown, whole_folders=True, uris=True)
    if found.kind == "other":
        raise GosuprError("is neither CSV nor Parquet; --engine spark reads CSV and Parquet (a file, a folder or a "
                          "glob); read XES or workbooks with --engine memory or duckdb", path=shown)
    plan = plan_csv(found.files, columns, shown) if found.kind == "csv" else None
    with spark_session(master, driver_memory=getattr(options, "memory_limit", None),
                       temp_dir=getattr(options, "temp_dir", None)) as spark:
        paths = getattr(options, "paths", False)
        if plan is None:
            df = read_rows(spark, shown, found.paths)
            return summarize_frame(spark, df, columns, source=shown, progress=extra.get("progress"), paths=paths,
                                   timezone=timezone)
        with _java_charsets(spark):
            return summarize_frame(spark, read_csv(spark, plan), columns, source=shown, progress=extra.get("progress"),
                                   paths=paths, shown=plan.shown, timezone=timezone)


__all__ = ["DEFAULT_MASTER", "CsvPlan", "plan_csv", "read_csv", "read_rows", "session_builder", "spark_session",
           "start_session", "summarize_frame", "summarize_path"]
