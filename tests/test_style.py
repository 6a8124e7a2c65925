"""Style references: the four key mouth templates found in a reference video."""

import numpy as np
import pytest

from stylehead.style import TEMPLATES, find_references, mouth_descriptors

SIZE = (512, 512)


def scripted_face(kind: str) -> np.ndarray:
    """The template face (face frame, mm) with a mouth of the given kind."""
    from stylehead.face.pose import load_template

    points = load_template().points.astype(np.float64).copy()
    lower_inner, lower_outer = [65, 66, 67], [55, 56, 57, 58, 59]
    upper_inner = [61, 62, 63]
    points[lower_inner, 1] = points[upper_inner, 1]  # start closed
    if kind == "m":  # pressed: the outer lips thin down
        points[[50, 51, 52], 1] += 2.5
        points[lower_outer, 1] -= 2.5
    elif kind == "r":  # corners drawn in, half open
        points[lower_inner, 1] += 4
        points[lower_outer, 1] += 4
        points[[48, 60], 0] += 6
        points[[54, 64], 0] -= 6
    elif kind == "o":  # wide open and round
        points[lower_inner, 1] += 14
        points[lower_outer, 1] += 14
        points[[48, 60], 0] += 4
        points[[54, 64], 0] -= 4
    return points


@pytest.fixture(scope="module")
def scripted_track():
    from stylehead.face.frontal import to_image

    kinds = ["none"] * 10 + ["m"] * 6 + ["talk"] * 10 + ["r"] * 6 + ["o"] * 6 + ["talk"] * 6
    faces = []
    for i, kind in enumerate(kinds):
        face = scripted_face(kind if kind != "talk" else "none")
        if kind == "talk":
            face[[65, 66, 67, 55, 56, 57, 58, 59], 1] += 6 + (i % 3)
        faces.append(face)
    faces = np.stack(faces)
    pose = np.tile([0.05, -0.1, 0.02, 5.0, -3.0, 600.0], (len(kinds), 1))
    landmarks = to_image(faces, pose, SIZE)
    return kinds, landmarks, pose.astype(np.float32), np.ones(len(kinds), bool)


def test_descriptors_ignore_head_pose(scripted_track):
    from stylehead.face.frontal import to_face_frame, to_image

    _, landmarks, pose, _ = scripted_track
    turned = pose.copy()
    turned[:, :3] += [0.15, 0.25, -0.1]
    faces = to_face_frame(landmarks, pose, SIZE)
    moved = to_image(faces, turned, SIZE)
    a = mouth_descriptors(to_face_frame(landmarks, pose, SIZE))
    b = mouth_descriptors(to_face_frame(moved, turned, SIZE))
    assert np.allclose(a, b, atol=0.01)  # within 1% of the interocular distance (depth comes from the template)


def test_four_templates_by_mouth_shape(scripted_track):
    kinds, landmarks, pose, valid = scripted_track
    refs = find_references(landmarks, pose, valid, SIZE)
    assert list(refs.frames) == list(TEMPLATES) and len(set(refs.frames.values())) == 4
    for template, frame in refs.frames.items():
        assert kinds[frame] == template, (template, kinds[frame])
    assert refs.landmarks.shape == (4, 68, 2) and refs.face_points.shape == (4, 68, 3)
    assert set(refs.method.values()) == {"shape"}


def test_phones_say_which_frames_to_search(scripted_track):
    from stylehead.audio.phones import PHONE_INDEX, PHONES

    kinds, landmarks, pose, valid = scripted_track
    labels = {"none": "SIL", "m": "M", "r": "R", "o": "OW", "talk": "AA"}
    phones = np.eye(len(PHONES), dtype=np.float32)[[PHONE_INDEX[labels[k]] for k in kinds]]
    refs = find_references(landmarks, pose, valid, SIZE, phones=phones)
    assert all(kinds[frame] == template for template, frame in refs.frames.items())
    assert set(refs.method.values()) == {"phones"}


def test_too_few_face_frames_is_a_clear_error(scripted_track):
    from stylehead.errors import StyleheadError

    _, landmarks, pose, valid = scripted_track
    few = np.zeros_like(valid)
    few[:3] = True
    with pytest.raises(StyleheadError, match="fewer than 4 frames"):
        find_references(landmarks, pose, few, SIZE)


# Style packs ---------------------------------------------------------------------------------------


def sample_pack(**changes):
    from stylehead.style.pack import StylePack

    rng = np.random.default_rng(0)
    fields = dict(
        name="calm newsreader", reference_landmarks=rng.uniform(0, 500, (4, 68, 2)).astype(np.float32),
        reference_face_points=rng.normal(0, 30, (4, 68, 3)).astype(np.float32),
        pose_mean=np.zeros(6, np.float32), pose_std=np.array([1.5, 2.0, 1.0, 3.0, 2.0, 4.0], np.float32),
        pose_speed=6.5,
        blink_rate_per_minute=14.0, blink_duration=0.22, source="clip.mp4", licence="CC BY 4.0",
        learned=["head pose", "blinks"], not_learned=["mouth: the video has no sound"], metrics={"sld": 1.5},
        deltas={"mouth_eye_generator.out.weight": rng.normal(0, 1e-3, (8, 4)).astype(np.float32)},
    )  # fmt: skip
    fields.update(changes)
    return StylePack(**fields)


def test_style_pack_round_trip(tmp_path):
    from stylehead.style.pack import StylePack

    pack = sample_pack()
    loaded = StylePack.load(pack.save(tmp_path / "calm.safetensors"))
    assert loaded.name == pack.name and loaded.licence == "CC BY 4.0" and loaded.not_learned == pack.not_learned
    assert np.array_equal(loaded.reference_landmarks, pack.reference_landmarks)
    assert np.array_equal(
        loaded.deltas["mouth_eye_generator.out.weight"], pack.deltas["mouth_eye_generator.out.weight"]
    )
    assert loaded.blink_rate_per_minute == pytest.approx(14.0) and loaded.metrics == {"sld": 1.5}
    assert loaded.pose_track is None  # a version-1 pack: no head-motion track


def test_a_pack_keeps_its_head_motion_track_and_refuses_a_malformed_one(tmp_path):
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

    from stylehead.errors import StyleheadError
    from stylehead.style.pack import StylePack

    track = np.random.default_rng(1).normal(0, 2, (300, 6)).astype(np.float32)
    path = sample_pack(pose_track=track).save(tmp_path / "moving.safetensors")
    with safe_open(str(path), "numpy") as handle:
        metadata = handle.metadata()
    assert metadata["version"] == "2"
    assert np.array_equal(StylePack.load(path).pose_track, track)
    for name, bad in {"columns": track[:, :4], "one frame": track[:1], "half": track.astype(np.float16)}.items():
        if name != "half":  # saving casts a track to float32; the file must hold float32
            with pytest.raises(StyleheadError, match=r"pose\.track"):
                sample_pack(pose_track=bad).save(tmp_path / f"{name}.safetensors")
        tensors = {**load_file(str(path)), "pose.track": np.ascontiguousarray(bad)}  # behind the validator's back
        save_file(tensors, str(tmp_path / f"{name}.safetensors"), metadata=metadata)
        with pytest.raises(StyleheadError, match=r"pose\.track"):
            StylePack.load(tmp_path / f"{name}.safetensors")
    tensors = load_file(str(path))
    del tensors["pose.track"]  # version 2 promises a track
    save_file(tensors, str(tmp_path / "trackless.safetensors"), metadata=metadata)
    with pytest.raises(StyleheadError, match=r"pose\.track is missing"):
        StylePack.load(tmp_path / "trackless.safetensors")
    save_file(load_file(str(path)), str(tmp_path / "future.safetensors"), metadata={**metadata, "version": "4"})
    with pytest.raises(StyleheadError, match="version '4'"):
        StylePack.load(tmp_path / "future.safetensors")
    save_file(load_file(str(path)), str(tmp_path / "no_expression.safetensors"), metadata={**metadata, "version": "3"})
    with pytest.raises(StyleheadError, match="expression is missing"):  # version 3 promises an expression
        StylePack.load(tmp_path / "no_expression.safetensors")


def test_a_pack_keeps_its_expression_and_refuses_an_absurd_one(tmp_path):
    from safetensors.numpy import load_file, save_file

    from stylehead.errors import StyleheadError
    from stylehead.face.expression import EXPRESSION_POINTS
    from stylehead.style.pack import StylePack

    track = np.zeros((10, 6), np.float32)
    expression = np.zeros((68, 3), np.float32)
    expression[list(EXPRESSION_POINTS), 1] = 0.05
    brows = np.full((10, 10, 3), 0.01, np.float32)
    path = sample_pack(pose_track=track, expression=expression, brow_track=brows).save(tmp_path / "frown.safetensors")
    loaded = StylePack.load(path)
    assert np.array_equal(loaded.face_expression, expression) and np.array_equal(loaded.brow_track, brows)
    with pytest.raises(StyleheadError, match=r"brows\.track"):  # not the head track's frames
        bad = {**load_file(str(path)), "brows.track": brows[:5]}
        save_file(bad, str(tmp_path / "short.safetensors"), metadata={"format": "stylehead-style", "version": "3",
                                                                       "header": '{"name": "x"}'})  # fmt: skip
        StylePack.load(tmp_path / "short.safetensors")
    tensors = {**load_file(str(path)), "expression": expression * 100}  # behind the validator's back
    from safetensors import safe_open

    with safe_open(str(path), "numpy") as handle:
        metadata = handle.metadata()
    assert metadata["version"] == "3"
    save_file(tensors, str(tmp_path / "absurd.safetensors"), metadata=metadata)
    with pytest.raises(StyleheadError, match="expression reaches 5, outside -1 to 1"):
        StylePack.load(tmp_path / "absurd.safetensors")


def test_a_style_replays_its_reference_head_motion_without_jumps(speech_path):
    from stylehead.face.pose import angular_speed
    from stylehead.media import read_audio
    from stylehead.motion.audio_to_motion import AudioToMotion, replay_pose, restyle_pose
    from stylehead.motion.data import MotionControls
    from stylehead.style.library import styled

    t = np.arange(150, dtype=np.float32)  # 2.5 s that end far from where they start, as short clips do
    track = np.stack([20 * t / 150 + np.sin(t / 7), 5 * np.sin(t / 31), np.sin(t / 11), t / 100, 0 * t, 0 * t], 1)
    track = track.astype(np.float32)
    played = replay_pose(track, 1500, seed=3)  # ten times longer than the track
    steps = np.abs(np.diff(played[:, :3], axis=0)).max(0)
    assert (steps <= np.abs(np.diff(track[:, :3], axis=0)).max(0) + 1e-3).all()  # no jump where it turns back
    assert np.array_equal(replay_pose(track, 1500, seed=3), played)
    assert not np.array_equal(replay_pose(track, 1500, seed=4), played)
    # it is the track itself: forward, and backward after the end
    runs = [played[i : i + 60] for i in range(len(played) - 60)]
    assert any(np.array_equal(run, track[40:100]) for run in runs)
    assert any(np.array_equal(run, track[40:100][::-1]) for run in runs)
    assert played.min() >= track.min() and played.max() <= track.max()  # it stays within the track's range
    model = AudioToMotion.from_pretrained()
    pack = sample_pack(pose_track=track, deltas={})
    styled_model, controls = styled(model, pack, MotionControls(seed=0))
    audio = read_audio(speech_path)[: 4 * 16000]
    motion = styled_model(audio, controls)  # the track played, then given the style's spread and speed
    expected = restyle_pose(replay_pose(track, len(motion), seed=0), tuple(pack.pose_std.tolist()), pack.pose_speed)
    assert np.array_equal(motion.pose, expected)
    assert np.allclose(motion.pose[:, :4].std(0), pack.pose_std[:4], rtol=0.02)  # the track holds no y, z motion
    assert angular_speed(motion.pose, 60) == pytest.approx(pack.pose_speed, rel=0.03)
    half = styled_model(audio, dataclasses_replace(controls, head_motion_scale=0.5))
    assert np.allclose(half.pose, 0.5 * motion.pose)
    assert not styled_model(audio, dataclasses_replace(controls, still=True)).pose.any()


def dataclasses_replace(controls, **changes):
    import dataclasses

    return dataclasses.replace(controls, **changes)


def test_pickles_and_crafted_files_are_refused(tmp_path):
    import pickle
    import struct

    from safetensors.numpy import save_file

    from stylehead.errors import StyleheadError
    from stylehead.style.pack import StylePack

    class Boom:
        def __reduce__(self):
            return (print, ("pickle code ran",))

    cases = {}
    cases["pickle.safetensors"] = pickle.dumps(Boom())
    cases["huge_header.safetensors"] = struct.pack("<Q", 2 << 20) + b" " * (2 << 20)
    cases["empty.safetensors"] = b""
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    save_file({"x": np.zeros(3, np.float32)}, str(tmp_path / "foreign.safetensors"))  # not a style
    good = sample_pack().save(tmp_path / "good.safetensors")
    bad_shape = sample_pack(pose_std=np.ones(6, np.float32)).save(tmp_path / "bad.safetensors")
    raw = bytearray(bad_shape.read_bytes())  # a NaN written into the file behind the validator's back
    nan = np.array([np.nan], np.float32).tobytes()
    position = raw.rfind(np.ones(6, np.float32).tobytes())
    raw[position : position + 4] = nan
    (tmp_path / "nan.safetensors").write_bytes(bytes(raw))
    expected = {
        "pickle.safetensors": "not a safetensors file", "huge_header.safetensors": "header claims",
        "empty.safetensors": "too short", "foreign.safetensors": "not a stylehead style",
        "nan.safetensors": "NaN",
    }  # fmt: skip
    for name, message in expected.items():
        with pytest.raises(StyleheadError, match=message):
            StylePack.load(tmp_path / name)
    assert StylePack.load(good).name == "calm newsreader"
    with pytest.raises(StyleheadError, match=r"references\.landmarks is float32"):
        sample_pack(reference_landmarks=np.zeros((3, 68, 2), np.float32)).save(tmp_path / "short.safetensors")


def test_style_statistics_and_their_use_in_motion(speech_path):
    from stylehead.face.eyelids import close_eyes
    from stylehead.face.frontal import to_image
    from stylehead.face.pose import load_template
    from stylehead.face.tracking import Track
    from stylehead.media import read_audio
    from stylehead.motion.audio_to_motion import AudioToMotion
    from stylehead.motion.data import MotionControls
    from stylehead.style.statistics import blink_statistics, pose_statistics

    frames, fps = 1800, 30.0  # one minute
    pose = np.zeros((frames, 6), np.float32)
    pose[:, :3] = np.radians(np.array([2.0, 6.0, 1.0]) * np.sin(np.arange(frames)[:, None] / [9.0, 13.0, 7.0]))
    pose[:, 5] = 600
    closure = np.zeros(frames, np.float32)
    for start in range(40, frames, 150):  # 12 blinks of 6 frames (0.2 s) in the minute
        closure[start : start + 6] = 1.0
    faces = close_eyes(np.repeat(load_template().points[None].astype(np.float32), frames, 0), closure)
    track = Track(to_image(faces, pose, (512, 512)), pose, np.ones(frames, bool), fps, (512, 512))
    mean, std = pose_statistics(track)
    assert np.abs(mean[:3]).max() < 1.0  # about the median pose
    assert std[1] > 2.5 * std[0] and 3.0 < std[1] < 5.0  # yaw swings most: 6 degrees peak, about 4.2 std
    blinks = blink_statistics(track)
    # 12 blinks in the minute, pooled with a quarter of a minute at the default 17 per minute
    assert blinks.rate_per_minute == pytest.approx((12 + 17 / 4) / 1.25, abs=0.8) and 0.3 <= blinks.duration <= 0.5
    model = AudioToMotion.from_pretrained()
    motion = model(read_audio(speech_path)[: 6 * 16000], MotionControls(pose_std=tuple(std.tolist())))
    assert np.allclose(motion.pose.std(0), std, rtol=1e-3)


def test_a_style_keeps_its_references_brow_raises_but_not_the_trackers_jitter():
    from stylehead.face.frontal import to_image
    from stylehead.face.landmarks import interocular_distance
    from stylehead.face.pose import load_template
    from stylehead.face.tracking import Track
    from stylehead.motion.data import BROW_POINTS
    from stylehead.style.statistics import brow_track

    frames, fps = 300, 30.0
    rng = np.random.default_rng(0)
    faces = np.repeat(load_template().points[None].astype(np.float32), frames, 0)
    iod = float(interocular_distance(faces[:1])[0])
    raise_ = 0.08 * iod * (np.arange(frames) >= 150)  # the brows go up 0.08 interocular distances at 5 s
    jitter = rng.normal(0, 0.01 * iod, (frames, len(BROW_POINTS)))  # the tracker's frame-to-frame noise
    faces[:, list(BROW_POINTS), 1] -= (raise_[:, None] + jitter).astype(np.float32)
    pose = np.zeros((frames, 6), np.float32)
    pose[:, 5] = 600
    track = Track(to_image(faces, pose, (512, 512)), pose, np.ones(frames, bool), fps, (512, 512))
    brows = brow_track(track)  # 60 fps, interocular distances about the median
    height = -brows[:, :, 1].mean(1)
    assert len(brows) == 599
    assert 0.07 < height[400:].mean() - height[:200].mean() < 0.09  # the raise is kept
    step = np.abs(np.diff(brows[:, :, 1], axis=0))
    assert np.median(step) < 0.002  # unsmoothed, the jitter moves a brow about 0.006 between frames


# The style transfer network and loss ----------------------------------------------------------------


def test_transfer_network_shapes_backward_and_round_trip(tmp_path):
    import torch

    from stylehead.style.transfer import StyleTransferConfig, StyleTransferNetwork, transfer_loss

    torch.manual_seed(0)
    network = StyleTransferNetwork(StyleTransferConfig())
    assert [m.out_features for m in network.mlp if isinstance(m, torch.nn.Linear)] == [1024, 512, 256]
    generated = torch.randn(12, 68, 3, requires_grad=True)
    references = torch.randn(4, 68, 3)
    assert network(generated).shape == (12, 256) and network.mean_feature(references).shape == (256,)
    losses = transfer_loss(network, torch.tensor(0.5), generated, references)
    losses["loss"].backward()
    assert generated.grad is not None and generated.grad.abs().sum() > 0  # the motion generator gets a signal
    assert all(p.grad is not None for p in network.parameters())  # and so does f (L_r is differentiable)
    network.save_pretrained(tmp_path / "f")
    loaded = StyleTransferNetwork.from_pretrained(tmp_path / "f", strict=True)
    assert torch.equal(loaded(references), network(references))


def test_transfer_losses_behave_as_the_equations_say():
    import torch

    from stylehead.style.transfer import (
        StyleTransferConfig,
        StyleTransferNetwork,
        constraint_loss,
        regularisation_loss,
    )

    torch.manual_seed(0)
    references = torch.randn(4, 204)
    linear = StyleTransferNetwork(StyleTransferConfig(hidden=(1,)))  # f(x) = w·x + b
    with torch.no_grad():
        linear.mlp[0].weight.copy_(torch.ones(1, 204) / 204**0.5)  # ‖∇f‖ = 1 everywhere
    generated = torch.randn(6, 204)
    assert float(constraint_loss(linear, references, references).detach()) == 0.0
    assert float(constraint_loss(linear, generated, references).detach()) > 0.0
    assert float(regularisation_loss(linear, generated, references).detach()) == pytest.approx(0.0, abs=1e-10)
    with torch.no_grad():
        linear.mlp[0].weight.mul_(3.0)  # ‖∇f‖ = 3 → (3 − 1)² = 4
    assert float(regularisation_loss(linear, generated, references, gamma=0.5).detach()) == pytest.approx(4.0, rel=1e-5)
