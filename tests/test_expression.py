"""A style's persistent expression: measured against the mean face, carried to any face's proportions, bounded."""

import numpy as np
import pytest

from stylehead.face.expression import EXPRESSION_POINTS, MAX_OFFSET, expression_of, retarget
from stylehead.face.landmarks import LEFT_BROW, RIGHT_BROW, interocular_distance
from stylehead.face.pose import load_template

BROWS = list(RIGHT_BROW + LEFT_BROW)


def _turned(points: np.ndarray, degrees: float, scale: float) -> np.ndarray:
    angle = np.radians(degrees)
    rotation = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    return (scale * points @ rotation.T + [5.0, -3.0, 40.0]).astype(np.float32)


def test_the_mean_face_has_no_expression_whatever_its_size_and_roll():
    template = load_template().points.astype(np.float32)
    assert np.abs(expression_of(template)).max() < 1e-5
    assert np.abs(expression_of(_turned(template, 8.0, 1.3))).max() < 1e-3


def test_lowered_brows_are_measured_and_carried_to_another_face():
    template = load_template().points.astype(np.float32)
    frowning = template.copy()
    frowning[BROWS, 1] += 0.08 * interocular_distance(template)  # y points down: brows drawn down
    expression = expression_of(frowning)
    assert expression[BROWS, 1] == pytest.approx(0.08, abs=1e-3)
    assert np.abs(np.delete(expression, BROWS, axis=0)).max() < 1e-3
    other = _turned(template, -5.0, 0.8)  # a smaller face, rolled the other way, with no expression
    moved = retarget(other, expression)
    drop = (moved - other)[BROWS, 1] / interocular_distance(other)
    assert drop == pytest.approx(0.08, abs=0.02)  # the same frown, in the other face's proportions
    assert np.allclose(retarget(other, expression, 0.0), other)  # strength 0: unchanged
    untouched = [i for i in range(68) if i not in EXPRESSION_POINTS]
    assert np.array_equal(moved[untouched], other[untouched])  # jaw, nose, eye corners stay


def test_an_expression_never_moves_a_point_further_than_the_bound():
    template = load_template().points.astype(np.float32)
    wild = np.zeros((68, 3), np.float32)
    wild[list(EXPRESSION_POINTS), :2] = 0.9
    moved = retarget(template, wild, 1.5)
    length = np.linalg.norm(moved - template, axis=1) / interocular_distance(template)
    assert length.max() <= MAX_OFFSET + 1e-5


def _outer_lip_height(points: np.ndarray) -> float:
    return float(points[57, 1] - points[51, 1])


def test_a_mouth_that_sits_lower_is_not_carried_as_thinner_lips():
    template = load_template().points.astype(np.float32)
    iod = float(interocular_distance(template))
    lower = template.copy()
    lower[list(range(48, 68)), 1] += 0.06 * iod  # the whole mouth sits lower on this face: identity, not expression
    moved = retarget(template, expression_of(lower))
    assert _outer_lip_height(moved) == pytest.approx(_outer_lip_height(template), abs=0.005 * iod)
    frowning = template.copy()
    frowning[[48, 54, 60, 64], 1] += 0.05 * iod  # corners drawn down: expression
    frowning[list(range(48, 68)), 1] += 0.04 * iod  # on a mouth that also sits lower
    moved = retarget(template, expression_of(frowning))
    corners = (moved - template)[[48, 54], 1] - (moved - template)[51, 1]
    assert corners / iod == pytest.approx([0.05, 0.05], abs=0.01)  # the frown is carried, relative to the lip
