"""Checks every reader makes before touching a file, and safe writing of outputs."""

import contextlib
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


def check_writable(path: str | Path, overwrite: bool = False, inputs: tuple[Path, ...] = ()) -> Path:
    """Validate an output path: never one of the inputs, and never an existing file unless asked."""
    path = Path(path)
    resolved = path.resolve()
    for source in inputs:
        if Path(source).resolve() == resolved:
            raise MediaError(f"The output {path} is also an input; choose another output file.")
    if path.is_dir():
        raise MediaError(f"The output {path} is a folder; give a file name.")
    if path.exists() and not overwrite:
        raise MediaError(f"{path} already exists; choose another name or pass --overwrite.")
    if not path.parent.exists():
        raise MediaError(f"The folder {path.parent} does not exist; create it first.")
    return path


def partial_path(path: Path, suffix: str | None = None) -> Path:
    """A fresh hidden name beside ``path`` for a file being written (created later, with normal permissions)."""
    return path.parent / f".{path.stem}.{uuid.uuid4().hex[:12]}.partial{suffix or path.suffix}"


@contextlib.contextmanager
def atomic_output(path: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds.

    A crash or an error never leaves a half-written file under the user's name, and an existing
    file is replaced in one step.
    """
    path = Path(path)
    tmp_path = partial_path(path, suffix)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)
