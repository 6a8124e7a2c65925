"""Where a style comes from (a preset name, a pack file or a video) and how it shapes the motion."""

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np

from stylehead.errors import StyleheadError
from stylehead.face.expression import retarget
from stylehead.motion.audio_to_motion import AudioToMotion
from stylehead.motion.blinks import BlinkConfig
from stylehead.motion.data import MotionControls
from stylehead.render.warp_renderer import Portrait
from stylehead.style.learn import learn_style
from stylehead.style.models import PACK_SUFFIX, StyleModels
from stylehead.style.pack import StylePack


def load_style(style: "str | Path | StylePack", models: StyleModels,
               progress: Callable[[str, int, int], None] | None = None) -> StylePack:  # fmt: skip
    """A preset name (of ``models``' bundle), a style pack file or a reference video (learned now) →
    :class:`StylePack`."""
    if isinstance(style, StylePack):
        return style
    names = models.preset_names()
    if isinstance(style, str) and style in names:
        return StylePack.load(models.presets / f"{style}{PACK_SUFFIX}")
    path = Path(style)
    if not path.is_file():
        raise StyleheadError(f"{style!r} is neither a preset ({', '.join(names) or 'none here'}) nor a file; "
                             "give a preset name, a style pack (.safetensors) or a video.")  # fmt: skip
    if path.suffix.lower() == PACK_SUFFIX:
        return StylePack.load(path)
    return learn_style(path, models, progress=progress)


def styled(motion_model: AudioToMotion, pack: StylePack, controls: MotionControls,
           blink_rate: float | None = None, strength: float = 1.0) -> tuple[AudioToMotion, MotionControls]:  # fmt: skip
    """The motion model with the style's weights, and controls with its head motion (the reference's
    own, replayed; for a pack without it, the head pose model's rescaled to its statistics) and blinks.

    A ``blink_rate`` the user set wins over the style's. ``strength`` scales the style's weight changes
    (0: the untuned generators, 1: the style's); head motion and blinks are the style's at any strength.
    """
    blinks = BlinkConfig(
        rate_per_minute=pack.blink_rate_per_minute if blink_rate is None else blink_rate,
        duration=pack.blink_duration,
    )
    controls = dataclasses.replace(
        controls, pose_std=tuple(float(v) for v in pack.pose_std), pose_speed=pack.pose_speed,
        pose_track=pack.pose_track, blinks=blinks,
        brow_track=pack.brow_track * np.float32(strength) if pack.brow_track is not None else None,
    )  # fmt: skip
    deltas = pack.deltas if strength == 1 else {key: value * np.float32(strength) for key, value in pack.deltas.items()}
    return motion_model.with_style(deltas, pack.base), controls


def styled_portrait(portrait: Portrait, pack: StylePack | None, strength: float = 1.0) -> Portrait:
    """The portrait with the style's persistent expression retargeted onto its rest at ``strength``
    (:mod:`stylehead.face.expression`); the portrait itself without a style."""
    if pack is None:
        return portrait
    return portrait.with_rest(retarget(portrait.rest, pack.face_expression, strength))
