"""The user's controls for one animation, declared once.

:class:`AnimateOptions` is the single declaration: its fields' metadata (range, choices, help, label)
is what the command line's flags (:func:`add_arguments`), the web app's controls (``app.py`` builds
them from :func:`option_specs`) and the range check (:meth:`AnimateOptions.validate`) are made from.
``None`` means "the style's own" (blink rate) or "the model's calibrated value" (temperature), so a
style's learned blink rate is used unless the user sets one.
"""

import argparse
import dataclasses
import functools
import math
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stylehead.errors import StyleheadError


@dataclass(frozen=True)
class OptionSpec:
    """How one option is offered and checked."""

    name: str
    default: Any
    help: str
    label: str
    kind: type  # float, int, bool or str
    optional: bool = False  # None is allowed (and means the style's or the model's own value)
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple | None = None
    advanced: bool = False  # shown under "more" in the app

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def _option(default: Any, help: str, label: str, **spec: Any) -> Any:
    return field(default=default, metadata={"help": help, "label": label, **spec})


@dataclass(frozen=True)
class AnimateOptions:
    """How a portrait is animated; every field has a default, and :meth:`validate` says what is out of range."""

    head_motion_scale: float = _option(1.0, "head motion amplitude (1: the style's own; 0: none)", "Head motion",
                                       low=0.0, high=2.0, step=0.05)  # fmt: skip
    mouth_scale: float = _option(1.0, "mouth and jaw motion amplitude (1: as trained)", "Mouth",
                                 low=0.0, high=2.0, step=0.05)  # fmt: skip
    style_strength: float = _option(1.0, "how much of the style: its expression and its mouth's manner (0: none, "
                                    "1: the reference's; head motion and blinks follow any style)", "Style strength",
                                    low=0.0, high=1.5, step=0.05)  # fmt: skip
    blink_rate: float | None = _option(None, "blinks per minute (0: none; empty: the style's own, else 17)",
                                       "Blinks per minute", low=0.0, high=60.0, step=1.0)  # fmt: skip
    still: bool = _option(False, "no head motion at all", "Still head")
    seed: int = _option(0, "same seed, same video", "Seed", low=0, high=2**31 - 1, advanced=True)
    temperature: float | None = _option(None, "head pose sampling temperature (empty: the calibrated one)",
                                        "Head pose temperature", low=0.0, high=2.0, step=0.05,
                                        advanced=True)  # fmt: skip
    fps: int = _option(30, "output frame rate", "Frames per second", choices=(25, 30, 60), advanced=True)
    size: str = _option("512", "crop side, or the full picture's longer side (original: no resizing)", "Size",
                        choices=("256", "512", "original"), advanced=True)  # fmt: skip
    mode: str = _option("crop", "crop: the head and shoulders; full: the whole picture", "Framing",
                        choices=("crop", "full"), advanced=True)  # fmt: skip
    renderer: str = _option("warp", "warp: the one-shot warp; neural: the Style-Aware Generator draws the face "
                            "(needs its weights)", "Renderer", choices=("warp", "neural"), advanced=True)  # fmt: skip

    def __post_init__(self) -> None:
        if isinstance(self.size, int) and not isinstance(self.size, bool):  # size=512 from Python means "512"
            object.__setattr__(self, "size", str(self.size))

    def validate(self) -> "AnimateOptions":
        """This, when every option is in range; else :class:`StyleheadError` naming the option and its range."""
        for spec in option_specs():
            check_value(spec, getattr(self, spec.name))
        return self

    def replace(self, **changes: Any) -> "AnimateOptions":
        """A copy with ``changes``; :class:`StyleheadError` for a name that is not an option."""
        unknown = set(changes) - {spec.name for spec in option_specs()}
        if unknown:
            raise StyleheadError(f"There is no option {sorted(unknown)[0]!r}; the options are "
                                 f"{', '.join(spec.name for spec in option_specs())}.")  # fmt: skip
        return dataclasses.replace(self, **changes)


@functools.cache
def option_specs() -> tuple[OptionSpec, ...]:
    """Every option of :class:`AnimateOptions`, in order, with its metadata (read once from the declaration)."""
    specs = []
    for item in dataclasses.fields(AnimateOptions):
        arguments = typing.get_args(item.type)
        optional = type(None) in arguments
        kind = next(a for a in arguments if a is not type(None)) if optional else item.type
        meta = dict(item.metadata)
        specs.append(OptionSpec(item.name, item.default, meta.pop("help"), meta.pop("label"), kind, optional, **meta))
    return tuple(specs)


def check_value(spec: OptionSpec, value: Any) -> None:
    """:class:`StyleheadError` unless ``value`` is a valid value of ``spec``."""
    if value is None:
        if spec.optional:
            return
        raise StyleheadError(f"{spec.name} ({spec.flag}) needs a value.")
    if spec.choices is not None:
        if value not in spec.choices:
            choices = ", ".join(str(c) for c in spec.choices)
            raise StyleheadError(f"{spec.name} ({spec.flag}) must be one of {choices} (got {value!r}).")
        return
    if spec.kind is bool:
        if not isinstance(value, bool):
            raise StyleheadError(f"{spec.name} ({spec.flag}) is on or off (got {value!r}).")
        return
    name = f"{spec.name} ({spec.flag})"
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or (spec.kind is int and math.isfinite(value) and value != int(value)):
        raise StyleheadError(f"{name} must be a{'n integer' if spec.kind is int else ' number'} (got {value!r}).")
    if not math.isfinite(value) or not spec.low <= value <= spec.high:
        raise StyleheadError(f"{name} must be between {spec.low:,g} and {spec.high:,.12g} (got {value!r}).")


def bounded_number(kind: type, low: float, high: float) -> Callable[[str], float]:
    """An argparse ``type`` for a ``kind`` (int or float) between ``low`` and ``high``, both included."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a{'n integer' if kind is int else ' number'}") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:,g} and {high:,.12g} (got {text!r})")
        return value

    parse.__name__ = kind.__name__
    return parse


def add_arguments(parser: argparse.ArgumentParser, names: tuple[str, ...] | None = None,
                  defaults: dict[str, Any] | None = None) -> None:  # fmt: skip
    """Add the options (all, or ``names``) to ``parser`` as ``--head-motion-scale`` … flags; ``defaults``
    replaces some options' defaults for this command."""
    for spec in option_specs():
        if names is not None and spec.name not in names:
            continue
        if defaults and spec.name in defaults:
            spec = dataclasses.replace(spec, default=defaults[spec.name])
        if spec.kind is bool:
            parser.add_argument(spec.flag, action="store_true", help=spec.help)
            continue
        kind = str if spec.choices is not None and spec.kind is str else spec.kind
        if spec.low is not None:  # range-checked as it is parsed
            kind = bounded_number(spec.kind, spec.low, spec.high)
        range_text = f" [{spec.low:g}..{spec.high:g}]" if spec.low is not None else ""
        default_text = "" if spec.default is None else f" (default {spec.default})"
        parser.add_argument(spec.flag, type=kind, default=spec.default, choices=spec.choices,
                            help=spec.help + range_text + default_text)  # fmt: skip


def from_arguments(args: argparse.Namespace) -> AnimateOptions:
    """The options parsed by a parser :func:`add_arguments` filled, validated."""
    given = {spec.name: getattr(args, spec.name) for spec in option_specs() if hasattr(args, spec.name)}
    return AnimateOptions(**given).validate()
