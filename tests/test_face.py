"""Face detection, landmarks, pose, tracking, crop/paste-back and the facial map."""

import numpy as np
import pytest

from stylehead.errors import NoFaceError
from stylehead.face import (
    crop_face,
    draw_facial_map,
    estimate_pose,
    euler_angles,
    find_face,
    load_template,
    paste_back,
    track_video,
    transform_points,
)
from stylehead.face.landmarks import MIRROR, MOUTH, NOSE_TIP, mouth_opening
from stylehead.face.smoothing import fill_gaps, smooth_track, valid_runs


def rotate_image(image: np.ndarray, degrees: float) -> np.ndarray:
    import cv2

    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_CONSTANT, borderValue=(128, 128, 128))


def test_example_portrait_has_one_face_with_plausible_landmarks(portrait):
    face = find_face(portrait)
    assert face.num_faces == 1
    lm = face.landmarks
    assert lm.shape == (68, 2) and lm.dtype == np.float32
    # the astronaut's face sits around x 175-265, y 76-166 in the 512 px image
    assert 170 < lm[NOSE_TIP, 0] < 270 and 90 < lm[NOSE_TIP, 1] < 170
    assert lm[36, 0] < lm[45, 0] and lm[27, 1] < lm[NOSE_TIP, 1] < lm[list(MOUTH), 1].mean()


def test_no_face_is_one_clear_error():
    flat = np.full((200, 200, 3), 128, np.uint8)
    with pytest.raises(NoFaceError, match="No face was found in the image"):
        find_face(flat)


def test_several_faces_choose_the_largest(portrait):
    import cv2

    small = cv2.resize(portrait, (256, 256))
    canvas = np.full((512, 900, 3), 200, np.uint8)
    canvas[:, :512] = portrait
    canvas[128:384, 620:876] = small
    face = find_face(canvas)
    assert face.num_faces == 2
    assert face.landmarks[NOSE_TIP, 0] < 512  # the full-size face, not the small copy


@pytest.mark.parametrize("degrees", [-12.0, 8.0])
def test_roll_is_recovered_within_two_degrees(portrait, degrees):
    def roll_of(image):
        face = find_face(image)
        pose, error = estimate_pose(face.landmarks, (image.shape[1], image.shape[0]))
        assert error < 0.1
        return euler_angles(pose[:3])[2]

    measured = roll_of(rotate_image(portrait, degrees)) - roll_of(portrait)
    # cv2 rotates counter-clockwise on screen for positive angles; stylehead's roll is clockwise-positive
    assert abs(measured - (-degrees)) < 2.0


def test_template_is_a_symmetric_face_with_the_nose_forward():
    points = load_template().points
    assert points.shape == (68, 3)
    assert np.allclose(points[MIRROR] * [-1, 1, 1], points, atol=1e-2)
    assert np.linalg.norm(points[45] - points[36]) == pytest.approx(90.0, abs=0.1)
    nose_depth = points[[36, 45], 2].mean() - points[NOSE_TIP, 2]
    assert 15 < nose_depth < 60  # mm in front of the outer eye corners


def test_still_video_track_is_steady(still_video):
    track = track_video(still_video)
    assert len(track) == 60 and track.valid.all() and track.fps == 25
    assert track.landmarks.std(axis=0).max() < 0.5
    assert np.isfinite(track.pose).all()


def test_faceless_video_is_one_clear_error(faceless_video):
    with pytest.raises(NoFaceError, match="No face was found in any frame"):
        track_video(faceless_video)


def test_crop_then_paste_back_restores_the_image(portrait):
    face = find_face(portrait)
    for rotate in (True, False):
        crop = crop_face(portrait, face.landmarks, size=256, rotate=rotate)
        assert crop.image.shape == (256, 256, 3)
        eyes = transform_points(face.landmarks[[36, 45]], crop.matrix)
        assert 0.25 * 256 < eyes[:, 0].mean() < 0.75 * 256
        back = paste_back(portrait, crop.image, crop)
        covered = np.abs(back.astype(int) - portrait).mean()
        assert covered < 3.0  # only resampling blur where the crop lands


def test_paste_back_only_touches_the_crop(portrait):
    face = find_face(portrait)
    crop = crop_face(portrait, face.landmarks, size=128)
    black = np.zeros_like(crop.image)
    out = paste_back(portrait, black, crop)
    changed = np.abs(out.astype(int) - portrait).sum(-1) > 0
    corners = transform_points(np.array([[0, 0], [128, 0], [0, 128], [128, 128]], float), crop.inverse)
    ys, xs = np.nonzero(changed)
    assert xs.min() >= corners[:, 0].min() - 2 and xs.max() <= corners[:, 0].max() + 2
    assert ys.min() >= corners[:, 1].min() - 2 and ys.max() <= corners[:, 1].max() + 2
    assert out[face.landmarks[NOSE_TIP, 1].astype(int), face.landmarks[NOSE_TIP, 0].astype(int)].max() < 10


def test_facial_map_draws_every_group(portrait):
    face = find_face(portrait)
    crop = crop_face(portrait, face.landmarks, size=512)
    points = transform_points(face.landmarks, crop.matrix)
    gray = draw_facial_map(points)
    colored = draw_facial_map(points, colored=True)
    assert gray.shape == (512, 512) and colored.shape == (512, 512, 3)
    for index in (0, 8, 16, 19, 24, 30, 37, 44, 51, 62):  # a point of every group lies on a line
        x, y = np.round(points[index]).astype(int)
        assert gray[y - 2 : y + 3, x - 2 : x + 3].max() > 100, index
    assert gray[:40].max() == 0  # nothing above the brows


def test_smoothing_removes_jitter_but_keeps_a_fast_step():
    rng = np.random.default_rng(0)
    steps = np.where(np.arange(120) < 60, 0.0, 1.0)  # a sudden move of one unit
    clean = np.repeat(steps[:, None, None], 2, axis=2)
    noisy = clean + rng.normal(0, 0.01, clean.shape)
    smooth = smooth_track(noisy, np.ones(120, bool), fps=30)
    assert smooth[:50].std() < noisy[:50].std() / 2
    assert abs(smooth[70:].mean() - 1.0) < 0.02 and abs(smooth[:50].mean()) < 0.02


def test_valid_runs_and_gap_filling():
    valid = np.array([0, 1, 1, 0, 0, 1, 1, 1, 0], bool)
    assert valid_runs(valid) == [(1, 3), (5, 8)]
    values = np.arange(9, dtype=float)
    values[~valid] = -100
    filled = fill_gaps(values, valid)
    assert filled[3] == pytest.approx(3.0) and filled[4] == pytest.approx(4.0)
    assert filled[0] == 1 and filled[8] == 7


def test_mouth_opening_is_zero_for_closed_lips():
    points = np.zeros((68, 2))
    points[36:42] = [[0, 0]] * 6
    points[42:48] = [[10, 0]] * 6
    assert mouth_opening(points) == 0
    points[[65, 66, 67], 1] = 5  # lower inner lip 5 px below the upper one, eyes 10 px apart
    assert mouth_opening(points) == pytest.approx(0.5)


def test_euler_angle_signs_match_their_documentation():
    from stylehead.face.pose import rotation_matrix

    nose = np.array([0.0, 0.0, -1.0])  # in front of the head, towards the camera
    for axis, (dx, dy) in {0: (0, 1), 1: (-1, 0)}.items():  # pitch: nose moves down; yaw: nose moves left
        vector = np.zeros(3)
        vector[axis] = np.radians(10)
        moved = rotation_matrix(vector) @ nose
        assert np.sign(moved[0]) == dx and np.sign(moved[1]) == dy
        assert euler_angles(vector)[axis] == pytest.approx(10.0)
    roll = np.array([0.0, 0.0, np.radians(10)])
    right = rotation_matrix(roll) @ np.array([1.0, 0.0, 0.0])
    assert right[1] > 0  # a point on the right goes down: clockwise on screen (y points down)
    assert euler_angles(roll)[2] == pytest.approx(10.0)


def test_a_tilted_head_is_found_and_a_face_on_its_side_is_refused_saying_which_way_to_turn(portrait):
    import cv2

    from stylehead.face.detection import find_face

    height, width = portrait.shape[:2]
    for angle in (20, -30, 40):  # a head tilted this far is still a portrait to animate
        turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
        find_face(cv2.warpAffine(portrait, turn, (width, height), borderMode=cv2.BORDER_REPLICATE))
    for quarter, way in ((1, "clockwise"), (3, "anticlockwise")):
        with pytest.raises(NoFaceError, match=f"lies on its side; turn the picture a quarter turn {way} "):
            find_face(np.ascontiguousarray(np.rot90(portrait, quarter)), "sideways.png")


def test_faces_are_found_from_several_threads_at_once(portrait_path):
    """dlib's detectors abort the process when two threads use them at once ("munmap_chunk(): invalid pointer"):
    the web app finds faces for several visitors in its threads (the Live tab's Start beside a video)."""
    import subprocess
    import sys

    code = ("import threading\nfrom stylehead.face.detection import find_face\nfrom stylehead.media import read_image\n"
            f"image = read_image({str(portrait_path)!r})\n"
            "def work():\n    for _ in range(4):\n        assert find_face(image).num_faces == 1\n"
            "threads = [threading.Thread(target=work) for _ in range(3)]\n"
            "[t.start() for t in threads]\n[t.join() for t in threads]\nprint('found')\n")  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and result.stdout.strip() == "found", result.stderr[-2000:]
