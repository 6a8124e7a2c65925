"""Where a style comes from (a preset name, a pack file, a video or a Hub repo) and how it shapes the motion."""

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
from stylehead.style.card import STYLE_FILE
from stylehead.style.learn import learn_style
from stylehead.style.models import PACK_SUFFIX, StyleModels
from stylehead.style.pack import MAX_FILE_BYTES, StylePack
from stylehead.style.sharing import HubStyle


def load_style(style: "str | Path | StylePack", models: StyleModels,
               progress: Callable[[str, int, int], None] | None = None) -> StylePack:  # fmt: skip
    """A style → :class:`StylePack`, looked for in this order: a preset name (of ``models``' bundle), an existing
    file (a style pack, or a reference video, learned now), a Hub repo id (``owner/name`` or
    ``owner/name@revision``, :func:`load_hub_style`). A pack made for other generator weights is refused."""
    if isinstance(style, StylePack):
        return check_base(style, models.motion)
    names = models.preset_names()
    if isinstance(style, str) and style in names:
        return check_base(StylePack.load(models.presets / f"{style}{PACK_SUFFIX}"), models.motion)
    path = Path(style)
    if not path.is_file():
        if HubStyle.parse(style) is not None:
            return load_hub_style(style, models)
        raise StyleheadError(f"{style!r} is neither a preset ({', '.join(names) or 'none here'}) nor a file; "
                             "give a preset name, a style pack (.safetensors), a video or a Hub repo id "
                             "(owner/name).")  # fmt: skip
    if path.suffix.lower() == PACK_SUFFIX:
        return check_base(StylePack.load(path), models.motion)
    return learn_style(path, models, progress=progress)


def load_hub_style(style: "str | HubStyle", models: StyleModels) -> StylePack:
    """The style pack of a Hub repo (``owner/name``, ``owner/name@revision``), fetched once into the local Hugging
    Face cache (``HF_HUB_OFFLINE=1``: from the cache only) and validated like a local pack; never a local path."""
    hub = style if isinstance(style, HubStyle) else HubStyle.parse(style)
    if hub is None:
        raise StyleheadError(f"{str(style)[:80]!r} is not a Hub repo id; write it as owner/name or "
                             "owner/name@revision.")  # fmt: skip
    try:
        pack = StylePack.load(hub.download(MAX_FILE_BYTES))
    except StyleheadError as err:
        if str(err).startswith(STYLE_FILE):  # the file's own fault: say whose file it is
            raise StyleheadError(f"The Hub style {hub}'s {err}") from None
        raise
    return check_base(pack, models.motion, hub.weights_needed)


def check_base(pack: StylePack, motion: AudioToMotion, needs: Callable[[], str] | None = None) -> StylePack:
    """``pack``, when its generator weight changes fit ``motion``'s weights (or it has none); else
    :class:`StyleheadError` naming the weights it needs (``needs()``: their name, when something knows it)."""
    if not pack.deltas or not pack.base or pack.base == motion.fingerprint:
        return pack
    named = needs() if needs is not None else ""
    wanted = f"{named} (fingerprint {pack.base})" if named else f"the generator weights with fingerprint {pack.base}"
    raise StyleheadError(f"The style {pack.name!r} was made for {wanted}, not these ({motion.fingerprint}); load "
                         "those weights (--weights) or learn the style again with these.")  # fmt: skip


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
