"""The one way stylehead reads tensors from disk: safetensors, checked before anything is loaded.

Nothing is ever unpickled (no ``torch.load``, no ``pickle``, no code from a weights repo). Before
the data is read, :func:`read_header` bounds the header's length, parses it as JSON, and checks that
every tensor has a known dtype, a shape and byte offsets that fit the file exactly; then the tensors
must have the names, shapes and dtypes the caller expects (a style pack's fixed list, or the state
dict of the model being loaded). Any failure is a :class:`~stylehead.errors.StyleheadError` in one
sentence naming the file.
"""

import contextlib
import io
import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stylehead.errors import StyleheadError

MAX_HEADER_BYTES = 8 << 20  # a header indexes tensors: a model with thousands of them needs well under 1 MiB
MAX_FILE_BYTES = 4 << 30  # stylehead's largest weights are tens of MB
MAX_CONFIG_BYTES = 1 << 20  # a component's config.json
SIZE_SLACK_BYTES = 64 << 20  # a config may ask for this much more than twice its weights before it is refused
ITEM_BYTES = {"BOOL": 1, "U8": 1, "I8": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4,
              "I64": 8, "U64": 8, "F64": 8}  # fmt: skip
NUMPY_DTYPES = {"BOOL": "bool", "U8": "uint8", "I8": "int8", "I16": "int16", "U16": "uint16", "F16": "float16",
                "I32": "int32", "U32": "uint32", "F32": "float32", "I64": "int64", "U64": "uint64",
                "F64": "float64", "BF16": "bfloat16"}  # fmt: skip


@dataclass(frozen=True)
class TensorEntry:
    """One tensor as the header describes it."""

    dtype: str  # safetensors name: "F32", "I64", ...
    shape: tuple[int, ...]
    start: int  # byte offsets in the data area
    end: int


@dataclass(frozen=True)
class SafetensorsHeader:
    """A checked safetensors header: its tensors and its string metadata."""

    tensors: dict[str, TensorEntry]
    metadata: dict[str, str]


def read_header(path: str | Path, what: str = "a safetensors file", max_header_bytes: int = MAX_HEADER_BYTES,
                max_file_bytes: int = MAX_FILE_BYTES) -> SafetensorsHeader:  # fmt: skip
    """Read and check the header of ``path`` without loading any tensor data.

    ``what`` names the expected content in messages ("a style pack", "stylehead weights").
    """
    path = Path(path)
    invalid = f"{path.name} is not {what}"
    try:
        size = path.stat().st_size
        if size > max_file_bytes:
            raise StyleheadError(f"{invalid}: it is {size >> 20} MB, more than the {max_file_bytes >> 20} MB allowed.")
        with open(path, "rb") as handle:
            prefix = handle.read(8)
            if len(prefix) < 8:
                raise StyleheadError(f"{invalid}: it is too short to be a safetensors file.")
            (length,) = struct.unpack("<Q", prefix)
            if length > size - 8:
                raise StyleheadError(f"{invalid}: it is not a safetensors file (a pickle or another format?).")
            if length > max_header_bytes:
                raise StyleheadError(f"{invalid}: its header claims {length} bytes (the limit is {max_header_bytes}).")
            raw = handle.read(length)
    except OSError as err:
        raise StyleheadError(f"{path.name} could not be read ({err.strerror}); check the file.") from None
    try:
        header = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise StyleheadError(f"{invalid}: it is not a safetensors file (a pickle or another format?).") from None
    if not isinstance(header, dict):
        raise StyleheadError(f"{invalid}: its header is not a table of tensors.")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise StyleheadError(f"{invalid}: its metadata is not a table of strings.")
    tensors = {name: _entry(name, value, invalid) for name, value in header.items()}
    _check_layout(tensors, size - 8 - length, invalid)
    return SafetensorsHeader(tensors, metadata)


def _entry(name: str, value, invalid: str) -> TensorEntry:
    if not isinstance(value, dict) or value.get("dtype") not in ITEM_BYTES:
        raise StyleheadError(f"{invalid}: the tensor {name[:60]!r} has no known dtype.")
    shape, offsets = value.get("shape"), value.get("data_offsets")
    if not isinstance(shape, list) or not all(isinstance(n, int) and n >= 0 for n in shape) or len(shape) > 8:
        raise StyleheadError(f"{invalid}: the tensor {name[:60]!r} has no valid shape.")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(n, int) for n in offsets)):
        raise StyleheadError(f"{invalid}: the tensor {name[:60]!r} has no valid offsets.")
    entry = TensorEntry(value["dtype"], tuple(shape), offsets[0], offsets[1])
    if entry.end - entry.start != math.prod(shape) * ITEM_BYTES[entry.dtype]:
        raise StyleheadError(f"{invalid}: the tensor {name[:60]!r} does not fill its bytes exactly.")
    return entry


def _check_layout(tensors: dict[str, TensorEntry], data_bytes: int, invalid: str) -> None:
    """The tensors tile the data area: no gaps, no overlaps, nothing past its end."""
    position = 0
    for entry in sorted(tensors.values(), key=lambda e: (e.start, e.end)):
        if entry.start != position:
            raise StyleheadError(f"{invalid}: its tensors overlap or leave gaps.")
        position = entry.end
    if position != data_bytes:
        raise StyleheadError(f"{invalid}: its tensors do not match the file's size (cut short or padded?).")


def check_tensors(header: SafetensorsHeader, expected: dict[str, tuple[tuple[int, ...] | None, type | str]], name: str,
                  what: str, extra_prefix: str | None = None) -> None:  # fmt: skip
    """Every expected tensor is there with its (shape, dtype); others only under ``extra_prefix``.

    A dtype is a numpy type or a name ("float32", "bfloat16"); a shape of None allows any shape.
    """
    invalid = f"{name} is not {what}"
    for key, (shape, dtype) in expected.items():
        entry = header.tensors.get(key)
        if entry is None:
            raise StyleheadError(f"{invalid}: {key} is missing.")
        dtype = dtype if isinstance(dtype, str) else np.dtype(dtype).name
        if (shape is not None and entry.shape != tuple(shape)) or NUMPY_DTYPES[entry.dtype] != dtype:
            raise StyleheadError(f"{invalid}: {key} is {NUMPY_DTYPES[entry.dtype]}{list(entry.shape)}, "
                                 f"not {dtype}{list(shape) if shape is not None else ''}.")  # fmt: skip
    for key in header.tensors:
        if key not in expected and (extra_prefix is None or not key.startswith(extra_prefix)):
            raise StyleheadError(f"{invalid}: it holds an unexpected tensor {key[:60]!r}.")


def load_tensors(path: str | Path, expected: dict[str, tuple[tuple[int, ...] | None, type | str]], what: str,
                 extra_prefix: str | None = None, max_header_bytes: int = MAX_HEADER_BYTES,
                 ) -> tuple[dict[str, np.ndarray], dict[str, str]]:  # fmt: skip
    """Checked numpy tensors and metadata of ``path`` (see :func:`read_header` and :func:`check_tensors`)."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    path = Path(path)
    header = read_header(path, what, max_header_bytes)
    check_tensors(header, expected, path.name, what, extra_prefix)
    try:
        return load_file(str(path)), header.metadata
    except (SafetensorError, OSError, ValueError) as err:
        raise StyleheadError(f"{path.name} is not {what} ({err}).") from None


def load_component(model_class, folder: str | Path):
    """A ``PyTorchModelHubMixin`` model from a local folder (``config.json`` + ``model.safetensors``), in eval mode.

    The weights file's header is checked first; then its tensors must be exactly the model's state
    dict, name by name, with the same shapes and dtypes (no silent casting, nothing missing or extra).
    """
    folder = Path(folder)
    weights, config = folder / "model.safetensors", folder / "config.json"
    if not folder.is_dir() or not weights.is_file() or not config.is_file():
        raise StyleheadError(f"{folder} has no config.json and model.safetensors; it is not a stylehead component.")
    what = f"weights of a {model_class.__name__}"
    header = read_header(weights, what)
    if config.stat().st_size > MAX_CONFIG_BYTES:
        raise StyleheadError(f"{folder.name}/config.json is larger than {MAX_CONFIG_BYTES >> 10} kB; it is not a "
                             "stylehead config.")  # fmt: skip
    try:
        values = json.loads(config.read_bytes())
        _check_model_size(model_class, values, header, folder)
        # A local folder: the mixin reads model.safetensors only (its pickle fallback is for Hub downloads).
        # The mixin prints "Loading weights from local directory" on stdout, which belongs to the caller.
        with contextlib.redirect_stdout(io.StringIO()):
            model = model_class.from_pretrained(folder, strict=True)
    except (RuntimeError, ValueError, TypeError, KeyError) as err:
        # torch's load_state_dict error opens with a title line; the reason (size mismatch, a missing or
        # unexpected key) is the next one
        lines = [line.strip() for line in str(err).strip().splitlines() if line.strip()] or [type(err).__name__]
        reason = (lines[1] if len(lines) > 1 and lines[0].startswith("Error(s) in loading") else lines[0])[:160]
        reason = reason.rstrip(".")
        raise StyleheadError(f"{folder.name} does not hold {what} ({reason}).") from None
    expected = {key: (tuple(value.shape), str(value.dtype).removeprefix("torch."))
                for key, value in model.state_dict().items()}  # fmt: skip
    check_tensors(header, expected, f"{folder.name}/model.safetensors", what)
    return model.eval()


def _check_model_size(model_class, values, header: SafetensorsHeader, folder: Path) -> None:
    """Refuse a config.json that asks for a model far larger than its weights file, before building it.

    The model is built on torch's "meta" device (shapes only, no memory), so a crafted config asking
    for huge layers costs nothing.
    """
    import dataclasses
    import typing

    import torch

    try:
        config_type = typing.get_type_hints(model_class.__init__).get("config")
    except (NameError, TypeError):
        return
    if not dataclasses.is_dataclass(config_type) or not isinstance(values, dict):
        return
    known = {field.name for field in dataclasses.fields(config_type)}
    try:
        with torch.device("meta"):
            model = model_class(config_type(**{k: v for k, v in values.items() if k in known}))
    except Exception:  # the real construction, next, says what is wrong with such a config
        return
    needed = sum(t.numel() * t.element_size() for t in model.state_dict().values())
    held = sum(entry.end - entry.start for entry in header.tensors.values())
    if needed > 2 * held + SIZE_SLACK_BYTES:  # a small mismatch is left to the exact check, which names it
        raise StyleheadError(
            f"{folder.name}/config.json asks for {needed / 2**20:.1f} MB of weights but "
            f"its model.safetensors holds {held / 2**20:.1f} MB; they do not belong together."
        )
