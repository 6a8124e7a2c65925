"""Motion models: tiny configs, shapes, backward passes, strict save/load, delay and sampling behaviour."""

from pathlib import Path

import numpy as np
import pytest
import torch

from stylehead.errors import StyleheadError
from stylehead.evaluation.lipsync import LoudnessBaseline, score_clip
from stylehead.face.eyelids import close_eyes
from stylehead.face.landmarks import lip_gap
from stylehead.face.pose import load_template
from stylehead.face.rest_shape import (
    REST_LIP_GAP,
    RestEstimate,
    apply_displacements,
    close_to_rest,
    displacements,
    portrait_rest,
    rest_shape,
)
from stylehead.hub import BUNDLED_WEIGHTS
from stylehead.motion.blinks import BlinkConfig, blink_curve, measure_blinks
from stylehead.motion.head_pose_model import HeadPoseModel, HeadPoseModelConfig
from stylehead.motion.mouth_eye_generator import (
    MOTION_POINTS,
    MouthEyeGenerator,
    MouthEyeGeneratorConfig,
    concordance_loss,
    motion_loss,
    principal_motions,
)
from stylehead.motion.speaker_split import load_split

SPLIT = Path(__file__).parents[1] / "train" / "configs" / "split.yaml"


def tiny_generator(delay: int = 3) -> MouthEyeGenerator:
    torch.manual_seed(0)
    config = MouthEyeGeneratorConfig(input_dim=6, hidden_size=16, lstm_size=8, lstm_layers=2, delay=delay,
                                     smoothing=0.0)  # fmt: skip
    return MouthEyeGenerator(config)


def tiny_pose_model() -> HeadPoseModel:
    torch.manual_seed(0)
    config = HeadPoseModelConfig(input_dim=5, condition_size=8, residual_size=8, skip_size=8, layers_per_block=3,
                                 blocks=2, audio_lookahead=2)  # fmt: skip
    return HeadPoseModel(config)


def test_generator_shapes_backward_and_round_trip(tmp_path):
    model = tiny_generator()
    features = torch.rand(2, 12, 6)
    out = model(features)
    assert out.shape == (2, 12, len(MOTION_POINTS), 3)
    loss = model.loss(features, torch.rand(2, 12, len(MOTION_POINTS), 3), torch.ones(2, 12, dtype=torch.bool))
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())
    model.save_pretrained(tmp_path / "gen")
    loaded = MouthEyeGenerator.from_pretrained(tmp_path / "gen", strict=True)
    assert not loaded.training
    assert torch.allclose(loaded.generate(features[0]), model.eval().generate(features[0]))


def test_motion_loss_norms_learn_the_mean_or_the_median_of_a_mostly_closed_mouth():
    """Squared L_me (the paper's) is lowest at the mean motion, the absolute norm at the median: for a
    mouth closed three frames in four, the median closes it. Masked frames and the delay are ignored."""
    target = torch.zeros(1, 8, 1, 3)  # with a delay of 2, targets 0-5 are compared with outputs 2-7
    target[0, 1] = 4.0  # open in one of targets 0-4 ...
    target[0, 5] = 4.0  # ... and in target 5, which is masked
    mask = torch.ones(1, 8, dtype=torch.bool)
    mask[0, 5] = False
    levels = torch.linspace(0.0, 2.0, 201)

    def best(norm):
        losses = [motion_loss(torch.full((1, 8, 1, 3), float(v)), target, mask, 2, 1.0, norm) for v in levels]
        return float(levels[int(torch.argmin(torch.stack(losses)))])

    assert best("squared") == pytest.approx(0.8, abs=0.011)  # the mean of 0, 0, 0, 0, 4
    assert best("absolute") == pytest.approx(0.0, abs=0.011)  # their median
    with pytest.raises(ValueError, match="norm"):
        motion_loss(target, target, mask, 2, 1.0, "huber")


def test_concordance_loss_wants_the_real_motion_in_time_and_as_large():
    """Perfect motion costs nothing; the same motion at 0.6× (what L_me learns when unsure) costs, and
    its gradient widens it; motion as large but out of time costs most. Masked frames, the delay and
    directions outside the basis are ignored."""
    torch.manual_seed(0)
    target = torch.randn(2, 60, 2, 3)
    mask = torch.ones(2, 60, dtype=torch.bool)
    mask[1, 40:] = False
    basis = torch.zeros(2, 6)
    basis[0, 1], basis[1, 4] = 1.0, 1.0  # the y of each point

    def delayed(motion):  # outputs 2.. compare with targets ..57 (delay 2)
        return torch.cat([torch.zeros(2, 2, 2, 3), motion[:, :58]], dim=1)

    perfect = delayed(target)
    perfect[1, 42:] = 9.0  # beyond the mask
    assert concordance_loss(perfect, target, mask, 2, basis) < 1e-6
    sideways = perfect.clone()
    sideways[..., 0] = 0.0  # x is not along the basis
    assert concordance_loss(sideways, target, mask, 2, basis) < 1e-6
    mumbling = (0.6 * perfect).requires_grad_(True)
    shrunk = concordance_loss(mumbling, target, mask, 2, basis)
    shuffled = concordance_loss(delayed(target[:, torch.randperm(60)]), target, mask, 2, basis)
    assert 0.05 < shrunk < 0.5 < shuffled
    shrunk.backward()
    widened = mumbling.detach() - 0.5 * mumbling.grad
    assert widened[:, 2:40, :, 1].std() > mumbling[:, 2:40, :, 1].std()


def test_principal_motions_find_the_direction_that_moves_most():
    torch.manual_seed(0)
    samples = torch.randn(500, 4) * torch.tensor([0.1, 3.0, 0.2, 0.1])
    directions, share = principal_motions(samples, 1)
    assert abs(float(directions[0, 1])) > 0.99 and share[0] > 0.9


def test_generator_output_is_aligned_with_its_input():
    """generate() compensates the training delay: output t may depend on input up to t + delay only."""
    model = tiny_generator(delay=3).eval()
    features = torch.rand(20, 6)
    changed = features.clone()
    changed[12:] += 5.0
    a, b = model.generate(features), model.generate(changed)
    assert a.shape == (20, len(MOTION_POINTS), 3)
    assert torch.allclose(a[:9], b[:9]) and not torch.allclose(a[9:12], b[9:12])


def test_pose_model_shapes_backward_and_round_trip(tmp_path):
    model = tiny_pose_model()
    assert model.config.receptive_field == 15
    poses, audio = torch.randn(2, 11, 6), torch.rand(2, 10, 5)
    mean, sigma = model(poses[:, :-1], audio)
    assert mean.shape == sigma.shape == (2, 10, 6) and (sigma > 0).all()
    model.nll(poses, audio).backward()
    assert all(p.grad is not None for p in model.parameters())
    model.save_pretrained(tmp_path / "pose")
    loaded = HeadPoseModel.from_pretrained(tmp_path / "pose", strict=True)
    assert list(loaded.config.pose_scale) == list(model.config.pose_scale)
    audio_one = torch.rand(8, 5)
    assert torch.allclose(loaded.generate(audio_one, 0.0), model.eval().generate(audio_one, 0.0))


def test_cached_generation_matches_the_teacher_forced_network():
    """At temperature 0 the fast per-step sampler must reproduce the full convolutional pass."""
    model = tiny_pose_model().eval()
    audio = torch.rand(30, 5)
    poses = model.generate(audio, temperature=0.0)
    lookahead = model.config.audio_lookahead
    padded = torch.cat([audio, audio[-1:].expand(lookahead, -1)])[lookahead:]
    history = torch.cat([torch.zeros(1, 6), poses[:-1]])[None]
    mean, _ = model(history, padded[None])
    assert torch.allclose(mean[0], poses, atol=1e-4)


def test_same_seed_same_poses_and_temperature_scales_variation():
    model = tiny_pose_model().eval()
    audio = torch.rand(40, 5)
    first = model.generate(audio, 0.5, torch.Generator().manual_seed(3))
    again = model.generate(audio, 0.5, torch.Generator().manual_seed(3))
    other = model.generate(audio, 0.5, torch.Generator().manual_seed(4))
    assert torch.equal(first, again) and not torch.equal(first, other)


def test_rest_shape_and_displacements_round_trip():
    rng = np.random.default_rng(0)
    face = rng.normal(size=(50, 68, 3)).astype(np.float32)
    rest = rest_shape(face)
    motion = displacements(face, rest, MOTION_POINTS)
    rebuilt = apply_displacements(rest, motion, MOTION_POINTS)
    assert np.allclose(rebuilt[:, list(MOTION_POINTS)], face[:, list(MOTION_POINTS)], atol=1e-5)


def _opened(rest: np.ndarray, amount: float) -> np.ndarray:
    """A jaw drop of ``amount`` (face-frame mm): the lower lip, chin and jaw go down, the corners in."""
    face = rest.copy()
    down = np.array([0.0, 1.0, 0.0])
    shares = {65: 1, 66: 1, 67: 1, 55: 0.8, 56: 0.9, 57: 1, 58: 0.9, 59: 0.8, 7: 0.6, 8: 0.7, 9: 0.6}
    for index, share in shares.items():
        face[index] += share * amount * down
    face[[48, 60], 0] += 0.15 * amount  # the corners draw in
    face[[54, 64], 0] -= 0.15 * amount
    return face


def test_rest_estimate_learns_how_mouths_open_and_undoes_it():
    rng = np.random.default_rng(0)
    template = close_to_rest(load_template().points.astype(np.float32))
    speakers = [template * rng.uniform(0.9, 1.1) for _ in range(4)]
    clips = [(np.stack([_opened(rest, a) for a in rng.uniform(0, 25, 60)]), rest) for rest in speakers]
    estimate = RestEstimate.fit(clips)

    person = template * 1.05
    frame = _opened(person, 18.0)
    mouth = [*range(48, 68), 7, 8, 9]
    learned_error = np.abs(estimate(frame) - person)[mouth].max()
    closed_error = np.abs(close_to_rest(frame) - person)[mouth].max()
    assert learned_error < 0.2 * closed_error  # close_to_rest alone leaves the corners and the chin open
    assert np.allclose(estimate(person), person, atol=0.01)  # a mouth at rest is left as it is


def test_bundled_rest_estimate_closes_an_open_portrait_keeps_a_closed_one_and_never_saw_validation():
    template = load_template().points.astype(np.float32)
    closed = close_to_rest(template)
    closed[[49, 50, 51, 52, 53]] += [0.0, 3.0, 0.0]  # thinner lips than the template's: at rest for any speaker
    closed[[55, 56, 57, 58, 59]] -= [0.0, 3.0, 0.0]
    assert np.allclose(portrait_rest(closed), closed, atol=0.01)
    opened = _opened(closed, 20.0)
    scale = np.linalg.norm(template[42:48].mean(0) - template[36:42].mean(0))
    assert lip_gap(portrait_rest(opened)[None])[0] / scale == pytest.approx(REST_LIP_GAP, abs=1e-3)
    assert not np.allclose(portrait_rest(opened), close_to_rest(opened), atol=0.5)  # more than the inner lips move

    from stylehead.safe_loading import read_header

    trained_on = set(read_header(BUNDLED_WEIGHTS / "rest_estimate.safetensors").metadata["trained_on"].split(","))
    split = load_split(SPLIT)
    assert len(trained_on) >= 45 and not any(split.is_held_out(name) for name in trained_on)


def test_a_foreign_or_damaged_rest_estimate_is_refused(tmp_path):
    from safetensors.numpy import save_file

    save_file({"weights": np.zeros((3, 4), np.float32), "outer_rest_gap": np.ones(1, np.float32)}, str(tmp_path / "a"))
    (tmp_path / "b").write_bytes((BUNDLED_WEIGHTS / "rest_estimate.safetensors").read_bytes()[:-40])
    for name in ("a", "b"):
        with pytest.raises(StyleheadError, match="not a stylehead rest estimate"):
            RestEstimate.load(tmp_path / name)
    copy = tmp_path / "c.safetensors"
    RestEstimate.from_pretrained().save(copy)
    assert np.array_equal(RestEstimate.load(copy).weights, RestEstimate.from_pretrained().weights)


def test_static_prediction_scores_zero_correlation_and_perfect_prediction_scores_one():
    rng = np.random.default_rng(1)
    rest = rng.normal(scale=30, size=(68, 3)).astype(np.float32)
    rest[36:42, :2] = [[-40, 0]] * 6
    rest[42:48, :2] = [[40, 0]] * 6
    opening = np.abs(np.sin(np.linspace(0, 12, 80)))[:, None] * 8
    motion = np.zeros((80, len(MOTION_POINTS), 3), np.float32)
    lower = [MOTION_POINTS.index(i) for i in (65, 66, 67, 55, 56, 57, 58, 59)]
    motion[:, lower, 1] = opening
    real = apply_displacements(rest, motion, MOTION_POINTS)
    valid = np.ones(80, bool)
    perfect = score_clip(motion, rest, MOTION_POINTS, real, valid)
    static = score_clip(np.zeros_like(motion), rest, MOTION_POINTS, real, valid)
    assert perfect["mouth_corr"] == pytest.approx(1.0) and perfect["lmd"] == pytest.approx(0.0, abs=1e-4)
    assert static["mouth_corr"] == 0.0 and static["lmd"] > 0 and static["dv"] > 0


def test_loudness_baseline_fits_a_linear_map():
    loudness = np.linspace(0.01, 0.3, 100).astype(np.float32)
    envelope = np.clip(loudness / np.percentile(loudness, 95), 0, 1.5)
    motion = (2.0 * envelope + 1.0)[:, None, None] * np.ones((1, 3, 3), np.float32)
    baseline = LoudnessBaseline.fit([loudness], [motion])
    assert np.allclose(baseline.predict(loudness), motion, atol=1e-3)


def test_blinks_follow_the_rate_and_close_the_eyes():
    config = BlinkConfig(rate_per_minute=20, duration=0.3)
    curve = blink_curve(60 * 60 * 3, 60.0, config, np.random.default_rng(0))
    assert curve.min() == 0.0 and curve.max() == pytest.approx(1.0, abs=0.02)
    measured = measure_blinks(1.0 - curve, 60.0)
    assert 17 < measured.rate_per_minute < 23
    assert 0.15 < measured.duration < 0.45
    assert blink_curve(600, 60.0, BlinkConfig(rate_per_minute=0), np.random.default_rng(0)).max() == 0.0
    points = np.zeros((2, 68, 3), np.float32)
    points[:, [41, 40, 47, 46], 1] = 10.0  # lower lids 10 below the upper lids
    closed = close_eyes(points, np.array([0.0, 1.0], np.float32))
    assert np.allclose(closed[0], points[0])
    assert np.allclose(closed[1, 37, 1], closed[1, 41, 1]) and closed[1, 37, 1] == pytest.approx(8.0)


def test_training_windows_with_speaking_rate_augmentation():
    from stylehead.motion.training_data import Clip, MotionWindows

    t = 100
    face = np.zeros((t, 68, 3), np.float32)
    face[:, 66, 1] = np.arange(t)  # the lower lip moves steadily down, 1 mm a frame
    clip = Clip("c", face, np.zeros((t, 6), np.float32), np.ones(t, bool), np.zeros((2 * t, 80), np.float32),
                np.zeros((t, 40), np.float32), np.zeros(t, np.float32), rest=np.zeros((68, 3), np.float32))  # fmt: skip
    plain = MotionWindows([clip], ("phones",), MOTION_POINTS, length=40, stride=20)
    inputs, target, mask = plain[1]
    assert inputs.shape == (40, 40) and target.shape == (40, len(MOTION_POINTS), 3) and mask.all()
    lip = MOTION_POINTS.index(66)
    assert torch.allclose(torch.diff(target[:, lip, 1]), torch.ones(39))
    stretched = MotionWindows([clip], ("phones",), MOTION_POINTS, length=40, stride=20, stretch=0.3, seed=1)
    speeds = {round(float(torch.diff(stretched[1][1][:, lip, 1]).mean()), 2) for _ in range(5)}
    assert len(speeds) > 1 and all(0.65 < s < 1.35 for s in speeds)  # the lip speed changes with the rate
    tail = plain[len(plain) - 1]
    assert tail[0].shape == (40, 40)


def test_smoothing_in_time_keeps_constants_and_softens_steps():
    from stylehead.motion.mouth_eye_generator import smooth_in_time

    flat = torch.full((30, 2, 3), 4.0)
    assert torch.allclose(smooth_in_time(flat, 2.0), flat)
    step = torch.zeros(30, 1)
    step[15:] = 1.0
    soft = smooth_in_time(step, 2.0)
    assert 0.0 < soft[14, 0] < 0.5 < soft[15, 0] < 1.0
    assert float(soft[0, 0]) == pytest.approx(0.0, abs=1e-6) and float(soft[-1, 0]) == pytest.approx(1.0)
    assert torch.equal(smooth_in_time(step, 0.0), step)


def test_no_face_point_is_thrown_further_than_real_faces_move():
    """Whatever a (styled) generator outputs, each point's move from rest is eased into 30 mm; moves up
    to 20 mm, beyond what the training talkers' mouths do 99.9% of the time, are left as they are."""
    from stylehead.motion.displacement_limit import LIMIT_MM, limit_displacement

    rng = np.random.default_rng(0)
    small = rng.normal(0, 4, (50, 39, 3)).astype(np.float32)
    small *= np.minimum(1.0, 19.0 / np.linalg.norm(small, axis=-1, keepdims=True))
    assert np.allclose(limit_displacement(small), small, atol=1e-5)
    wild = rng.normal(0, 60, (50, 39, 3)).astype(np.float32)
    limited = limit_displacement(wild)
    lengths = np.linalg.norm(limited, axis=-1)
    assert lengths.max() <= LIMIT_MM + 1e-3 and limited.dtype == np.float32
    cosine = (limited * wild).sum(-1) / np.maximum(lengths * np.linalg.norm(wild, axis=-1), 1e-9)
    assert cosine.min() > 0.999  # the direction is kept
    ordered = np.linalg.norm(limit_displacement(np.linspace(0, 200, 400)[:, None] * [[1.0, 0, 0]]), axis=-1)
    assert (np.diff(ordered) > -1e-9).all()  # monotone: a bigger push is never a smaller move
