"""Landmark metrics: Table 2 (LMD, D-L, D-V, D-A) and the style metrics (SLD, SLV, SMD)."""

import numpy as np
import pytest

from stylehead.evaluation.metrics import (
    _anchored,
    align_to,
    frame_distances,
    style_metrics,
    talking_head_metrics,
    windowed_min_mean,
)


@pytest.fixture(scope="module")
def face():
    from stylehead.face.pose import load_template

    return load_template().points[:, :2] * 3 + 250


def talking(face, frames, seed):
    """A face whose landmarks wander smoothly, with a mouth that opens and closes."""
    rng = np.random.default_rng(seed)
    drift = rng.normal(0, 1.0, (frames, 68, 2)).cumsum(0) * 0.05
    out = face[None] + drift
    opening = 6 * np.abs(np.sin(np.arange(frames) / (3 + seed)))
    out[:, [56, 57, 58, 65, 66, 67], 1] += opening[:, None]
    return out


def rotate_scale_shift(points, degrees, scale, shift):
    angle = np.radians(degrees)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return points @ rotation.T * scale + shift


def test_alignment_removes_rotation_scale_and_shift(face):
    moved = rotate_scale_shift(face, 12, 1.4, [30, -12])
    assert np.abs(align_to(moved[None], face)[0] - face).max() < 1e-9
    frames = talking(face, 20, 0)
    same = talking_head_metrics(rotate_scale_shift(frames, -7, 0.8, [5, 5]), frames)
    assert all(value < 1e-9 for value in same.values())


def test_talking_head_metrics_grow_with_mouth_error(face):
    real = talking(face, 40, 0)
    small, large = real.copy(), real.copy()
    small[:, 66, 1] += 1.0
    large[:, 66, 1] += 4.0
    a, b = talking_head_metrics(small, real), talking_head_metrics(large, real)
    assert 0 < a["lmd"] < b["lmd"] and 0 < a["da"] < b["da"] and a["dl"] < b["dl"]


def test_style_metrics_match_a_direct_reading_of_the_equations(face):
    reference, generated = talking(face, 60, 1), talking(face, 50, 2)
    distances = frame_distances(_anchored(reference), _anchored(generated))
    grid = windowed_min_mean(distances, windows=(1, 5, 13), strides=(1, 3, 7))["grid"]
    for (frames, stride), value in grid.items():
        starts_s, starts_a = range(0, 60 - frames + 1, stride), range(0, 50 - frames + 1, stride)
        direct = np.mean([
            min(np.mean([distances[i + k, j + k] for k in range(frames)]) for j in starts_a) for i in starts_s
        ])  # fmt: skip
        assert value == pytest.approx(direct, abs=1e-9)


def test_style_metrics_find_the_same_motion_on_another_face_later(face):
    reference = talking(face, 200, 3)
    # The same motion 20 frames later, on a bigger face elsewhere in the frame: the same style.
    delayed = np.concatenate([talking(face, 20, 4), reference])
    other_face = rotate_scale_shift(delayed, 0, 1.3, [40, 25])
    unrelated = talking(face, 220, 5)
    grid = {"windows": tuple(range(1, 41)), "strides": (1, 2, 5, 10)}  # strides that meet the delay
    same = style_metrics(reference, other_face, **grid)
    different = style_metrics(reference, unrelated, **grid)
    assert all(value < 1e-9 for value in same.values())  # every reference window finds its match
    assert all(value > 0.01 for value in different.values())
    assert style_metrics(reference, reference, **grid) == {"sld": 0.0, "slv": 0.0, "smd": 0.0}


def test_style_metrics_give_known_values_for_known_shifts(face):
    """A still face (every window alike, so the best window is any window) against the same face with
    the mouth moved down by 4 px: SLD = (20/68)·4/width·100 (the other 48 points match), SMD = 0
    (the mouth keeps its shape), SLV = 0. One lower-lip point 3 px lower: about the mouth's centre
    it moves 3·19/20 px and the 19 others 3/20 px, so SMD = (3·19/20 + 19·3/20)/20/width·100."""
    reference = np.repeat(face[None], 60, axis=0)
    width = face[:, 0].max() - face[:, 0].min()
    grid = {"windows": (1, 10, 40), "strides": (1, 5)}
    moved = reference.copy()
    moved[:, 48:68, 1] += 4.0
    values = style_metrics(reference, moved, **grid)
    assert values["sld"] == pytest.approx((20 / 68) * 4.0 / width * 100, rel=1e-6)
    assert values["smd"] == pytest.approx(0.0, abs=1e-9) and values["slv"] == pytest.approx(0.0, abs=1e-9)
    opened = reference.copy()
    opened[:, 57, 1] += 3.0
    expected = (3.0 * 19 / 20 + 19 * 3.0 / 20) / 20 / width * 100
    assert style_metrics(reference, opened, **grid)["smd"] == pytest.approx(expected, rel=1e-6)
