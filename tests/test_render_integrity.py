"""The warp never tears a face, never reads outside the picture and keeps the background still,
whatever motion arrives: a small version of benchmarks/render_integrity.py."""

import numpy as np
import pytest

from benchmarks.render_integrity import check
from stylehead.motion.data import Motion
from stylehead.render.integrity import (
    IDENTITY,
    LIMIT_MARGIN,
    POSE_LIMITS,
    folded,
    limit_folds,
    limit_pose,
    signed_areas,
    soft_clip,
)

MOVING = tuple(range(48, 68)) + tuple(range(5, 12)) + tuple(range(36, 48))


@pytest.fixture(scope="module")
def example(portrait):
    from stylehead.render.warp_renderer import Portrait

    return Portrait.from_image(portrait)


def wild_motion(count: int = 40, seed: int = 0) -> Motion:
    """Far beyond anything the models make: the mouth thrown 40 mm about, the head snapping ±60° and
    ±80 mm from one frame to the next (a glitch in a reference track), eyes blinking past shut."""
    rng = np.random.default_rng(seed)
    displacement = rng.normal(0, 15, (count, len(MOVING), 3)).astype(np.float32)
    displacement[count // 2] = 40.0  # one frame with everything pushed the same way
    pose = np.concatenate([rng.uniform(-60, 60, (count, 3)), rng.uniform(-80, 80, (count, 3))], 1).astype(np.float32)
    blink = rng.uniform(0, 1.5, count).astype(np.float32)
    return Motion(MOVING, displacement, pose, blink, 30.0)


@pytest.mark.parametrize("mode", ["crop", "full"])
def test_wild_motion_neither_folds_nor_reads_outside_the_picture(example, mode):
    from stylehead.render.warp_renderer import RenderConfig, WarpRenderer

    result = check(WarpRenderer(example, RenderConfig(mode=mode, size=256)), wild_motion())
    assert result["folded"] == 0 and result["outside"] == 0


def test_the_fold_limit_leaves_room_for_rounding(example):
    """Limited frames are stored in float32: a triangle left exactly at its floor can tip past it on
    rounding (a 0.5 px² sliver at a mouth corner was one, once in 1,176 runs). Frames whose motion
    lands a triangle a hair above its floor are pulled back to at least half the limit's margin."""
    from stylehead.render.warp_renderer import RenderConfig, WarpRenderer

    renderer = WarpRenderer(example, RenderConfig(mode="full", size=256))
    rig, rest = renderer.rig, renderer.landmarks.astype(np.float64)
    wild = renderer.unfolded_targets(wild_motion(count=12, seed=3))
    edge_landmarks, edge_heads = [], []
    for landmarks, head in zip(wild.landmarks.astype(np.float64), wild.head, strict=True):
        low, high = 0.0, 1.0  # the largest share of this frame's motion with no triangle below its floor
        for _ in range(60):
            middle = (low + high) / 2
            target = rig.place(rest + middle * (landmarks - rest), IDENTITY + middle * (head - IDENTITY))
            clean = folded(target, rig.mesh.triangles, rig.orientation, rig.floors) == 0
            low, high = (middle, high) if clean else (low, middle)
        if high < 1.0:  # this frame folds at full motion: keep it at the edge
            edge_landmarks.append(rest + low * (landmarks - rest))
            edge_heads.append(IDENTITY + low * (head - IDENTITY))
    assert len(edge_landmarks) >= 3
    landmarks, heads = limit_folds(rig, rest, np.array(edge_landmarks), np.array(edge_heads))
    room = signed_areas(rig.place_all(landmarks, heads), rig.mesh.triangles) * rig.orientation - rig.floors
    assert room.min() >= LIMIT_MARGIN / 2


def test_styles_and_extreme_controls_render_cleanly(example, speech_path):
    """Every preset (drawn as the pipeline draws it, with its expression) and the extreme controls on the example
    portrait: no fold, no outside sample, no face jump, and the background beyond the band stays still."""
    from stylehead.media import read_audio
    from stylehead.motion.data import MotionControls, resample_motion
    from stylehead.render.warp_renderer import RenderConfig, WarpRenderer
    from stylehead.style.library import load_style, styled, styled_portrait
    from stylehead.style.models import StyleModels

    models = StyleModels.from_pretrained()
    model = models.motion
    audio = read_audio(speech_path)[: 2 * 16_000]
    runs = [(None, model, MotionControls(head_motion_scale=3.0)), (None, model, MotionControls(mouth_scale=2.0))]
    for name in models.preset_names():
        pack = load_style(name, models)
        runs.append((pack, *styled(model, pack, MotionControls(seed=1), None)))
    backgrounds = []
    for pack, motion_model, controls in runs:
        motion = resample_motion(motion_model(audio, controls), 30)
        for mode in ("crop", "full"):
            renderer = WarpRenderer(styled_portrait(example, pack), RenderConfig(mode=mode, size=256))
            result = check(renderer, motion)
            assert (result["folded"], result["outside"], result["jumps"]) == (0, 0, 0), controls
            backgrounds.append(result["background"])
    assert np.mean(backgrounds) < 1.0


def test_pose_limit_keeps_zero_and_small_motion_and_bounds_the_rest():
    own = np.array([10.0, -25.0, 0.0, 0.0, 0.0, 0.0])
    motion = np.array([[0, 0, 0, 0, 0, 0], [2, 2, -2, 3, -3, 5], [90, -90, 90, 500, -500, 500]], np.float32)
    limited = limit_pose(own, motion)
    assert np.allclose(limited[0], 0) and np.allclose(limited[1], motion[1], atol=1e-4)
    total = limited[2] + own
    assert (np.abs(total) <= np.asarray(POSE_LIMITS) + 1e-3).all()
    values = np.linspace(-50, 50, 201)
    eased = soft_clip(values, -10.0, 20.0)
    assert (np.diff(eased) > 0).all() and eased.min() >= -10 and eased.max() <= 20  # smooth, monotone, bounded
