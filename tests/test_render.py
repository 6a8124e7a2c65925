"""The piecewise-affine mesh warp underneath the renderer."""

import numpy as np
import pytest

from stylehead.render.mesh_warp import border_anchors, build_mesh, face_ring, warp_image


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


@pytest.fixture(scope="module")
def face_mesh(portrait):
    from stylehead.face import find_face

    landmarks = find_face(portrait).landmarks.astype(np.float64)
    points = np.concatenate([landmarks, face_ring(landmarks), border_anchors(512, 512)])
    return build_mesh(points), landmarks


def test_identity_warp_returns_the_image(portrait, face_mesh):
    mesh, _ = face_mesh
    out = warp_image(portrait, mesh, mesh.points)
    assert out.shape == portrait.shape and out.dtype == np.uint8
    assert psnr(out, portrait) > 40


def test_moving_the_mouth_moves_only_the_face(portrait, face_mesh):
    mesh, landmarks = face_mesh
    target = mesh.points.copy()
    target[57:60, 1] += 6  # lower outer lip down by 6 px
    target[65:68, 1] += 6
    target[7:10, 1] += 4  # chin follows
    out = warp_image(portrait, mesh, target)
    changed = np.abs(out.astype(int) - portrait).sum(-1) > 6
    ring = face_ring(landmarks)
    (x0, y0), (x1, y1) = np.floor(ring.min(0)).astype(int), np.ceil(ring.max(0)).astype(int)
    outside = changed.copy()
    outside[max(y0, 0) : y1 + 1, max(x0, 0) : x1 + 1] = False
    assert changed.sum() > 100 and outside.sum() == 0  # only pixels inside the fixed ring move
    assert psnr(out[:80], portrait[:80]) > 40  # the background above the head is untouched


def test_translation_of_every_point_shifts_the_image(portrait):
    points = np.array([[100.0, 100], [400, 100], [400, 400], [100, 400], [250, 250]])
    mesh = build_mesh(points)
    out = warp_image(portrait, mesh, points + np.array([10.0, 0.0]))
    assert np.abs(out[150:350, 160:350].astype(int) - portrait[150:350, 150:340]).mean() < 2.0
    assert out[10, 10].max() == 0  # outside the mesh: the border value


def test_region_limited_warp_matches_the_full_warp(portrait, face_mesh):
    mesh, landmarks = face_mesh
    target = mesh.points.copy()
    target[48:68, 1] += 4
    ring = face_ring(landmarks)
    (x0, y0), (x1, y1) = np.floor(ring.min(0)).astype(int), np.ceil(ring.max(0)).astype(int) + 1
    full = warp_image(portrait, mesh, target)
    part = warp_image(portrait, mesh, target, region=(x0, y0, x1, y1))
    assert np.abs(full.astype(int) - part).max() <= 1
