"""Writing output files safely: all of a command's outputs or none, never over an input.

A regular file (or a new path) is written to a temp file beside it and renamed into place, so a
crash or Ctrl-C leaves the old file or none, never half a file. A symlink is followed and the
real file replaced, never the link. A device, FIFO or socket (`-o /dev/null`, `/dev/stdout`) is
written in place: renaming over it would replace the node itself. Every problem with an output
location (permissions, read-only disk, a file where a folder should be, a folder as target, an
empty path, a full disk, a closed stdout) is a one-line `GosuprError` naming the path.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterable, Mapping

from gosupr._hold import hold
from gosupr.errors import GosuprError

PathLike = str | os.PathLike

_WHY = {
    errno.EACCES: "no permission to write there; choose another path or fix the permissions",
    errno.EPERM: "no permission to write there; choose another path or fix the permissions",
    errno.EROFS: "the file system is read-only; choose a writable folder",
    errno.ENOSPC: "no space left on the device; free some space or choose another disk",
    errno.EDQUOT: "disk quota exceeded; free some space or choose another disk",
    errno.EFBIG: "the file is too large for this file system; choose another disk",
    errno.ENOTDIR: "a part of the path is a file, not a folder; fix the path",
    errno.EISDIR: "is a folder; give a file path",
    errno.ENOENT: "the folder does not exist; create it first",
    errno.ENAMETOOLONG: "the path is too long; choose a shorter one",
    errno.ELOOP: "too many symbolic links in the path; fix the path",
    errno.EPIPE: "the reader of this pipe went away",
}


def output_error(path: PathLike, exc: OSError) -> GosuprError:
    """One line for an OSError met while writing `path`."""
    why = _WHY.get(exc.errno or 0, f"cannot write ({exc.strerror or exc}); choose another path")
    return GosuprError(why, path=str(path))


def _where(path: PathLike) -> tuple[str, Path]:
    """("new" | "file" | "device", the path to write): regular files resolved through symlinks."""
    if str(path) in ("", "."):  # typer turns an empty option value into Path(".")
        raise GosuprError("the output path is empty; give a file name", path=f"'{path}'")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "new", Path(os.path.realpath(path))
    except OSError as exc:
        raise output_error(path, exc) from None
    if stat.S_ISDIR(st.st_mode):
        raise GosuprError("is a folder; give a file path (for example inside it)", path=str(path))
    if stat.S_ISREG(st.st_mode):
        return "file", Path(os.path.realpath(path))
    return "device", Path(path)  # written in place: /dev/null, /dev/stdout, a FIFO


def _key(path: PathLike) -> tuple[Any, ...]:
    """Identity of a file: inode for existing files (hard links, symlinks), else the real path."""
    try:
        st = os.stat(path)
        return ("inode", st.st_dev, st.st_ino)
    except OSError:
        return ("path", os.path.normcase(os.path.realpath(path)))


def check_not_input(out: PathLike, inputs: Iterable[PathLike]) -> None:
    """Refuse to write over one of the files we read."""
    mine = _key(out)
    for i in inputs:
        if i is not None and str(i) and _key(i) == mine:
            raise GosuprError("output path is one of the inputs; choose another -o path", path=str(out))


def check_outputs(outputs: Mapping[str, PathLike | None], inputs: Iterable[PathLike] = ()) -> None:
    """Before any work: every output location usable, none an input, no two the same file.

    `outputs` maps the option that named a path (`-o`, `--html`, …) to the path (None: not asked).
    A device (`/dev/null`) may be named twice: nothing is replaced there.
    """
    inputs = [i for i in inputs if i is not None]
    seen: dict[tuple[Any, ...], str] = {}
    for option, path in outputs.items():
        if path is None:
            continue
        kind, real = _where(path)
        check_not_input(path, inputs)
        _check_writable(path, kind, real)
        if kind == "device":
            continue
        key = _key(path)
        if key in seen:
            raise GosuprError(f"{seen[key]} and {option} name the same file; give them different paths",
                              path=str(path))
        seen[key] = option


def _check_writable(path: PathLike, kind: str, real: Path) -> None:
    if kind == "device":
        if not os.access(real, os.W_OK):
            raise output_error(path, OSError(errno.EACCES, "Permission denied"))
        return
    parent = real.parent
    try:
        pst = os.stat(parent)
    except OSError as exc:
        raise output_error(path, exc) from None
    if not stat.S_ISDIR(pst.st_mode):
        raise output_error(path, OSError(errno.ENOTDIR, "Not a directory"))
    if not os.access(parent, os.W_OK | os.X_OK):
        # access() reports a read-only mount as EROFS only through the errno of a real attempt
        code = errno.EROFS if _read_only(parent) else errno.EACCES
        raise output_error(path, OSError(code, os.strerror(code)))


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def commit(files: Iterable[tuple[PathLike, bytes | str]]) -> None:
    """Write every (path, content) or none: all temp files are written and synced first, devices
    written next, and only then are the temp files renamed into place."""
    staged: list[tuple[str, Path, PathLike]] = []
    try:
        in_place = []
        for path, data in files:
            raw = data.encode("utf-8") if isinstance(data, str) else data
            kind, real = _where(path)
            if kind == "device":
                in_place.append((path, raw))
            else:
                staged.append((_stage(path, real, raw), real, path))
        for path, raw in in_place:
            _write_in_place(path, raw)
        hold("write")  # tests: a signal with every temp file finished, before the renames
        while staged:
            tmp, real, path = staged[0]
            try:
                os.replace(tmp, real)
            except OSError as exc:
                raise output_error(path, exc) from None
            staged.pop(0)
    finally:
        for tmp, _, _ in staged:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _stage(path: PathLike, real: Path, raw: bytes) -> str:
    parent = real.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise output_error(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get ordinary permissions
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise output_error(path, exc) from None
        raise
    return tmp


def _write_in_place(path: PathLike, raw: bytes) -> None:
    try:
        with open(path, "wb") as fh:
            fh.write(raw)
            fh.flush()
    except OSError as exc:
        raise output_error(path, exc) from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: PathLike, text: str) -> None:
    commit([(path, text)])


def write_bytes(path: PathLike, data: bytes) -> None:
    commit([(path, data)])


# --- standard output ---------------------------------------------------------------------------

class _GuardedStdout:
    """sys.stdout whose write failures (full disk, closed stream) are one-line user errors.

    A broken pipe (`gosupr … | head`) stays a BrokenPipeError: the CLI ends quietly on it.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def _fail(self, exc: OSError | None) -> GosuprError:
        _silence_fd1()
        if exc is None:
            return GosuprError("standard output is closed; redirect it to a file, or use -o", path="stdout")
        return output_error("stdout", exc)

    def write(self, text: str) -> int:
        if self._inner is None:
            raise self._fail(None)
        try:
            return self._inner.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise self._fail(exc) from None
        except ValueError:  # "I/O operation on closed file"
            raise self._fail(None) from None

    def flush(self) -> None:
        if self._inner is None:
            return
        try:
            self._inner.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise self._fail(exc) from None
        except ValueError:
            raise self._fail(None) from None

    def isatty(self) -> bool:
        try:
            return self._inner is not None and self._inner.isatty()
        except (OSError, ValueError):
            return False

    def __getattr__(self, name: str) -> Any:
        if self._inner is None:
            raise AttributeError(name)
        return getattr(self._inner, name)


def _silence_fd1() -> None:
    """After a failed write the buffered rest must not be flushed again at exit (a second
    error message from the interpreter): point stdout at /dev/null."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass
    inner = sys.__stdout__
    if inner is not None:
        try:
            inner.flush()
        except (OSError, ValueError):
            pass


def guard_stdout() -> None:
    """Install the guard (idempotent): called by the CLI entry point."""
    if not isinstance(sys.stdout, _GuardedStdout):
        sys.stdout = _GuardedStdout(sys.stdout)  # type: ignore[assignment]


def flush_stdout() -> None:
    """Flush at the end of a command, so a full disk is reported before exit 0."""
    if sys.stdout is not None:
        sys.stdout.flush()
