"""Checks every reader makes before touching a file, and safe writing of outputs."""

import contextlib
import fcntl
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from stylehead.errors import MediaError


def check_readable(path: str | Path) -> Path:
    """Return ``path`` as a Path if it is a non-empty readable file; otherwise raise MediaError."""
    path = Path(path)
    if not path.exists():
        raise MediaError(f"{path} does not exist; check the path.")
    if path.is_dir():
        raise MediaError(f"{path} is a folder; give a file.")
    if path.stat().st_size == 0:
        raise MediaError(f"{path.name} is empty (0 bytes); give a complete file.")
    if not os.access(path, os.R_OK):
        raise MediaError(f"{path} cannot be read; check its permissions.")
    return path


def check_writable(path: str | Path, overwrite: bool = False, inputs: tuple[Path, ...] = (),
                   suffixes: tuple[str, ...] = ()) -> Path:  # fmt: skip
    """Validate an output path before any work: ending in one of ``suffixes`` (when given: the name says what
    the file holds), never one of the inputs, never an existing file unless ``overwrite`` (and then only a
    regular file: never a link, a device or a folder), a name short enough for this file system together
    with the hidden name it is written under first."""
    path = Path(path)
    resolved = path.resolve()
    for source in inputs:
        if Path(source).resolve() == resolved:
            raise MediaError(f"The output {path} is also an input; choose another output file.")
    if path.is_dir():
        raise MediaError(f"The output {path} is a folder; give a file name.")
    if suffixes and path.suffix.lower() not in suffixes:
        raise MediaError(f"The output {path.name} should end in {' or '.join(suffixes)}, the kind of file written "
                         "there; rename it.")  # fmt: skip
    if _special(path):
        raise MediaError(f"The output {path} is a link or a special file, which stylehead never replaces; "
                         "choose another name.")  # fmt: skip
    if path.exists() and not overwrite:
        raise MediaError(f"{path} already exists; choose another name or pass --overwrite.")
    if not path.parent.exists():
        raise MediaError(f"The folder {path.parent} does not exist; create it first.")
    limit = _name_max(path.parent)
    if len(os.fsencode(partial_path(path).name)) > limit:
        raise MediaError(f"The output name is {len(os.fsencode(path.name))} bytes long; this folder allows "
                         f"{limit - PARTIAL_EXTRA} for an output, so choose a shorter name.")  # fmt: skip
    return path


PARTIAL_EXTRA = 22  # what partial_path adds to a name: "." + "." + 12 hex digits + ".partial"


def _special(path: Path) -> bool:
    """Whether something other than a regular file (a link, a pipe, a device, a folder) is at ``path``."""
    return path.is_symlink() or (path.exists() and not path.is_file())


def _appeared(path: Path) -> MediaError:
    return MediaError(f"{path} appeared while this ran (another run writing the same name?); it was kept and "
                      "this result discarded, so choose another name or pass --overwrite.")  # fmt: skip


def _name_max(folder: Path) -> int:
    """The longest file name (bytes) ``folder``'s file system allows."""
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return 255


def partial_path(path: Path, suffix: str | None = None) -> Path:
    """A fresh hidden name beside ``path`` for a file being written (created later, with normal permissions)."""
    return path.parent / f".{path.stem}.{uuid.uuid4().hex[:12]}.partial{suffix or path.suffix}"


def commit_output(partial: Path, path: Path, overwrite: bool = False) -> Path:
    """Move the finished ``partial`` to ``path`` in one step. Without ``overwrite`` an existing file is never
    replaced, even one that appeared while the work ran (another run writing the same name): the rename
    is a hard link, which fails if the name is taken. With it, only a regular file is replaced."""
    if overwrite:
        if _special(path):
            raise MediaError(f"The output {path} is now a link or a special file, which stylehead never "
                             "replaces; choose another name.")  # fmt: skip
        os.replace(partial, path)
        return path
    try:
        os.link(partial, path)
    except FileExistsError:
        raise _appeared(path) from None
    except OSError:  # a file system without hard links: claim the name exclusively, then move into it
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:
            raise _appeared(path) from None
        os.replace(partial, path)
        return path
    partial.unlink()
    return path


@contextlib.contextmanager
def output_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (every stylehead process writing there waits its turn), so that
    files committed together (a video and its contact sheet) come from one run."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


@contextlib.contextmanager
def atomic_output(path: str | Path, suffix: str | None = None, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds
    (:func:`commit_output`: without ``overwrite``, a file already there, or one that appeared meanwhile, is kept).

    A crash or an error never leaves a half-written file under the user's name.
    """
    path = Path(path)
    tmp_path = partial_path(path, suffix)
    try:
        yield tmp_path
        commit_output(tmp_path, path, overwrite)
    finally:
        tmp_path.unlink(missing_ok=True)
