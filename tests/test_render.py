"""The piecewise-affine mesh warp underneath the renderer."""

import numpy as np
import pytest

from stylehead.evaluation.image_metrics import psnr
from stylehead.render.mesh_warp import border_anchors, build_mesh, face_ring, warp_image


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
    assert (out[10, 10] == portrait[10, 10]).all()  # outside the mesh: the picture as it is


def test_region_limited_warp_matches_the_full_warp(portrait, face_mesh):
    mesh, landmarks = face_mesh
    target = mesh.points.copy()
    target[48:68, 1] += 4
    ring = face_ring(landmarks)
    (x0, y0), (x1, y1) = np.floor(ring.min(0)).astype(int), np.ceil(ring.max(0)).astype(int) + 1
    full = warp_image(portrait, mesh, target)
    part = warp_image(portrait, mesh, target, region=(x0, y0, x1, y1))
    assert np.abs(full.astype(int) - part).max() <= 1


# The warp renderer ----------------------------------------------------------------------------------


def still_motion(points, count=3, blink=0.0):
    from stylehead.motion.data import Motion

    return Motion(points, np.zeros((count, len(points), 3), np.float32), np.zeros((count, 6), np.float32),
                  np.full(count, blink, np.float32), 30.0)  # fmt: skip


@pytest.fixture(scope="module")
def example_portrait(portrait):
    from stylehead.render.warp_renderer import Portrait

    return Portrait.from_image(portrait)


MOVING = tuple(range(48, 68)) + tuple(range(5, 12)) + tuple(range(36, 48))


@pytest.mark.parametrize("mode", ["crop", "full"])
def test_zero_motion_renders_the_source(example_portrait, mode):
    from stylehead.render.warp_renderer import RenderConfig, WarpRenderer

    renderer = WarpRenderer(example_portrait, RenderConfig(mode=mode, size=512))
    motion = still_motion(MOVING)
    motion.displacement[:] = example_portrait.own_displacement(MOVING)  # the photo's own face, unmoved
    targets = renderer.targets(motion)
    frame = renderer.render(targets.landmarks[0], targets.head[0])
    assert np.array_equal(frame, renderer.canvas)  # the photo itself, pixel for pixel


def test_head_turn_moves_the_head_not_the_background(example_portrait):
    from stylehead.evaluation.render_fidelity import background_change, body_mask
    from stylehead.render.warp_renderer import RenderConfig, WarpRenderer

    renderer = WarpRenderer(example_portrait, RenderConfig(size=512))
    motion = still_motion(MOVING, count=4)
    motion.pose[:, :3] = [[3, 0, 0], [0, 4, 0], [0, 0, -3], [-2, -3, 2]]  # degrees: pitch, yaw, roll (generated std ~2)
    targets = renderer.targets(motion)
    frames, placed = [], []
    for landmarks, head in zip(targets.landmarks, targets.head, strict=True):
        frames.append(renderer.render(landmarks, head).copy())
        placed.append(renderer.rig.place(landmarks.astype(np.float64), head))
    moved = np.linalg.norm(targets.landmarks - renderer.landmarks[None], axis=-1).max(1)
    assert moved.min() > 3  # the head really moved (pixels)
    mask = body_mask(renderer.rig, renderer.canvas.shape[:2], placed)
    assert background_change(frames, renderer.canvas, mask) < 2.0
    assert np.abs(frames[0][:2].astype(int) - renderer.canvas[:2]).mean() < 2.0  # the canvas border is anchored


def test_blink_closes_the_eyes_and_an_open_mouth_shows_a_dark_interior(example_portrait):
    from stylehead.face import eye_opening, find_face
    from stylehead.render.warp_renderer import RenderConfig, WarpRenderer

    renderer = WarpRenderer(example_portrait, RenderConfig(size=512))
    open_eyes = find_face(renderer.canvas).landmarks
    blink = renderer.targets(still_motion(MOVING, blink=1.0))
    frame = renderer.render(blink.landmarks[0], blink.head[0])
    closed = find_face(frame).landmarks
    assert eye_opening(closed[None])[0] < 0.5 * eye_opening(open_eyes[None])[0]

    motion = still_motion(MOVING)
    lower = [MOVING.index(i) for i in (56, 57, 58, 65, 66, 67, 6, 7, 8, 9, 10)]
    motion.displacement[:, lower, 1] = 14.0  # mm: the jaw drops, the mouth opens wide
    targets = renderer.targets(motion)
    frame = renderer.render(targets.landmarks[0], targets.head[0])
    import cv2

    inside = np.zeros(frame.shape[:2], np.uint8)
    cv2.fillPoly(inside, [np.round(targets.landmarks[0, 60:68]).astype(np.int32)], 1)
    pixels = frame[inside.astype(bool)].astype(float).mean(1)
    lips = renderer.canvas[int(renderer.landmarks[57, 1]), int(renderer.landmarks[57, 0])].astype(float).mean()
    assert inside.sum() > 100
    assert (pixels < 0.5 * lips).mean() > 0.04  # some dark cavity (behind lip edges and teeth), not stretched lips
    assert np.percentile(pixels, 90) - np.percentile(pixels, 10) > 60  # and bright teeth against it


SKINS = [((150, 150, 150), "grey"), ((200, 160, 140), "warm"), ((215, 185, 105), "warmer")]


@pytest.mark.parametrize("skin, cast", SKINS)
def test_painted_teeth_take_the_portraits_colour_cast(example_portrait, skin, cast):
    """Grey teeth in a black-and-white photo, as before in a colour photo, warmer ones under a saturated skin."""
    from stylehead.render.mouth_interior import mouth_colors

    image = np.empty_like(example_portrait.image)
    image[:] = skin  # the portrait's shape, one colour: no teeth of its own to take
    teeth = mouth_colors(image, example_portrait.landmarks).teeth
    warmth = float(teeth[0] - teeth[2])
    assert teeth.min() > 170  # still teeth: bright
    assert {"grey": warmth == 0, "warm": 10 < warmth < 25, "warmer": warmth > 25}[cast]


def _placed(canvas_size, portrait, scale, offset):
    import cv2

    small = cv2.resize(portrait, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    canvas = np.full((*canvas_size[::-1], 3), 140, np.uint8)
    x, y = offset
    h, w = small.shape[:2]
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, canvas_size[0]), min(y + h, canvas_size[1])
    canvas[y0:y1, x0:x1] = small[y0 - y : y1 - y, x0 - x : x1 - x]
    return canvas


@pytest.mark.parametrize(
    ("case", "canvas_size", "scale", "offset"),
    [
        ("face at the left border", (640, 480), 1.0, (-170, -20)),
        ("small face", (1280, 960), 0.3, (600, 400)),
    ],
)
def test_difficult_framings_render(portrait, case, canvas_size, scale, offset):
    from stylehead.render.warp_renderer import Portrait, RenderConfig, WarpRenderer

    image = _placed(canvas_size, portrait, scale, offset)
    subject = Portrait.from_image(image)
    for mode in ("crop", "full"):
        renderer = WarpRenderer(subject, RenderConfig(mode=mode, size=256))
        motion = still_motion(MOVING, count=2)
        motion.pose[1, 1] = 5.0
        targets = renderer.targets(motion)
        frame = renderer.render(targets.landmarks[1], targets.head[1])
        assert frame.shape == (renderer.size[1], renderer.size[0], 3), case
        assert np.isfinite(frame).all() and frame.std() > 10, case


def test_very_large_image_is_worked_small_and_kept_full_size(portrait):
    from stylehead.render.warp_renderer import Portrait, RenderConfig, WarpRenderer

    large = _placed((4000, 3000), portrait, 2.0, (1400, 900))  # 12 megapixels, the face 2.5× the example's
    subject = Portrait.from_image(large)
    renderer = WarpRenderer(subject, RenderConfig(mode="full", size="original"))
    assert renderer.size == (4000, 3000)
    motion = still_motion(MOVING, count=2)
    motion.pose[1, 1] = 5.0
    targets = renderer.targets(motion)
    frame = renderer.render(targets.landmarks[1], targets.head[1])
    _, (x0, y0, x1, y1), step = renderer._work(targets.landmarks[1], targets.head[1])
    # a coarse work grid (no more than max_work_side samples a side), not per-pixel work on 12 million pixels
    assert step >= renderer.config.grid_step > 1 and max(x1 - x0, y1 - y0) / step <= renderer.config.max_work_side
    assert frame.shape == (3000, 4000, 3)
    assert np.array_equal(frame[:300, :300], large[:300, :300])  # far from the head: the original pixels
    face = (slice(900, 1900), slice(1400, 2400))
    change = np.abs(frame[face].astype(int) - large[face])
    assert change.mean() > 0.5 and change.max() > 50  # the head turned
