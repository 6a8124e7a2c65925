"""Live mode: audio pushed a chunk at a time gives the offline path's motion and frames, with bounded memory."""

import numpy as np
import pytest
import torch

from stylehead.audio.features import FPS, log_mel
from stylehead.face.pose import angular_speed
from stylehead.live.audio_stream import AudioBuffer, MelStream
from stylehead.live.motion_stream import MotionStream, live_mouth_and_eyes
from stylehead.live.mouth_stream import MouthStream, TimeSmoother
from stylehead.live.pose_stream import ReplayPoseStream
from stylehead.media import read_audio
from stylehead.motion.audio_to_motion import replay_pose, restyle_pose
from stylehead.motion.blinks import BlinkConfig, BlinkSchedule, blink_curve
from stylehead.motion.data import MotionControls
from stylehead.motion.head_pose_model import HeadPoseModel, HeadPoseModelConfig, PoseSampler
from stylehead.motion.mouth_eye_generator import MouthEyeGenerator, MouthEyeGeneratorConfig, smooth_in_time
from stylehead.pipeline import StyleHeadPipeline

from .conftest import EXAMPLES

EXAMPLE_PORTRAIT, EXAMPLE_AUDIO = EXAMPLES / "portrait.png", EXAMPLES / "speech.wav"


def _chunks(total: int, rng: np.random.Generator, largest: int = 9) -> list[tuple[int, int]]:
    """Random consecutive (start, stop) pieces covering ``range(total)``, some of them empty."""
    pieces, start = [], 0
    while start < total:
        stop = min(total, start + int(rng.integers(0, largest)))
        pieces.append((start, stop))
        start = stop
    return pieces


def test_blinks_drawn_a_few_frames_at_a_time_are_the_whole_clips():
    config = BlinkConfig(rate_per_minute=40, duration=0.4, min_interval=0.2)
    whole = blink_curve(3000, FPS, config, np.random.default_rng(5))
    schedule = BlinkSchedule(config, FPS, np.random.default_rng(5))
    pieces = [schedule.closure(a, b) for a, b in _chunks(3000, np.random.default_rng(0), 40)]
    assert whole.max() == pytest.approx(1.0, abs=1e-3)
    np.testing.assert_array_equal(np.concatenate(pieces), whole)


def test_the_head_pose_sampler_gives_the_same_poses_in_pieces():
    torch.manual_seed(0)
    model = HeadPoseModel(HeadPoseModelConfig(input_dim=8)).eval()
    rng = np.random.default_rng(1)
    layers = [rng.standard_normal((300, 2 * model.config.residual_size)).astype(np.float32) for _ in model.dilations]
    noise = rng.standard_normal((300, 6)).astype(np.float32)
    whole = PoseSampler(model).run(layers, noise)
    sampler = PoseSampler(model)
    pieces = [sampler.run([c[a:b] for c in layers], noise[a:b]) for a, b in _chunks(300, rng, 30)]
    np.testing.assert_array_equal(np.concatenate(pieces), whole)


def test_smoothing_in_pieces_is_smoothing_the_whole():
    values = np.random.default_rng(2).standard_normal((200, 4, 3)).astype(np.float32)
    smoother = TimeSmoother(2.0)
    pieces = [smoother.push(values[a:b]) for a, b in _chunks(200, np.random.default_rng(3))]
    pieces.append(smoother.push(values[:0], final=True))
    expected = smooth_in_time(torch.from_numpy(values), 2.0).numpy()
    np.testing.assert_allclose(np.concatenate(pieces), expected, atol=1e-5)


def test_the_generator_fed_in_pieces_gives_the_offline_motion():
    """The LSTM state carried across calls, the first outputs dropped for the delay and the end padded as offline."""
    torch.manual_seed(0)
    generator = MouthEyeGenerator(MouthEyeGeneratorConfig(input_dim=16, hidden_size=32, lstm_size=16)).eval()
    features = torch.randn(150, 16)
    stream = MouthStream([generator])
    pieces = [stream.push([features[a:b]]) for a, b in _chunks(150, np.random.default_rng(4), 12)]
    pieces.append(stream.push([features[:0]], final=True))
    live = np.concatenate([p for p in pieces if len(p)])
    np.testing.assert_allclose(live, generator.generate(features).numpy(), atol=1e-4)


def test_the_log_mel_of_streamed_audio_is_the_offline_log_mel():
    audio = np.random.default_rng(6).standard_normal(16_000 * 3).astype(np.float32) * 0.1
    buffer = AudioBuffer(keep_seconds=1.0)  # shorter than the audio: old samples are let go on the way
    stream = MelStream(buffer)
    pieces = []
    for a, b in _chunks(len(audio), np.random.default_rng(7), 900):
        buffer.append(audio[a:b])
        pieces.append(stream.take(stream.ready()))
    pieces.append(stream.take(stream.ready(final=True)))
    expected = log_mel(torch.from_numpy(audio)).numpy().reshape(-1, 160)
    np.testing.assert_array_equal(np.concatenate(pieces), expected)
    assert len(buffer.samples) <= 16_000


def test_a_replayed_style_track_plays_the_frames_and_statistics_of_the_offline_path():
    rng = np.random.default_rng(8)
    track = np.cumsum(rng.standard_normal((400, 6)), 0).astype(np.float32) * 0.3
    std, speed = (2.0, 3.0, 1.0, 4.0, 4.0, 2.0), 12.0
    stream = ReplayPoseStream(track, std, speed, seed=3)
    live = np.concatenate([stream.take(b) for _, b in _chunks(3000, rng, 50)])
    offline = restyle_pose(replay_pose(track, 3000, 3), std, speed)
    np.testing.assert_allclose(live.std(0), offline.std(0), rtol=0.15)
    assert angular_speed(live, FPS) == pytest.approx(angular_speed(offline, FPS), rel=0.15)
    unstyled = ReplayPoseStream(track, None, None, seed=3)  # no restyling: the very frames replay_pose plays
    np.testing.assert_allclose(unstyled.take(500) + unstyled.mean, replay_pose(track, 500, 3), atol=1e-4)


@pytest.fixture(scope="module")
def pipeline() -> StyleHeadPipeline:
    return StyleHeadPipeline.from_pretrained()


@pytest.fixture(scope="module")
def example_audio() -> np.ndarray:
    return read_audio(EXAMPLE_AUDIO)


def test_the_live_mouth_follows_the_offline_mouth(pipeline, example_audio):
    """The live speech features see 4 s before and 0.1 s after each frame where offline sees the whole clip:
    the mouth opening they give correlates with the offline one at r > 0.7 (0.76 measured)."""
    model = pipeline.motion_model
    offline = model.mouth_and_eyes(model.audio_features(example_audio))
    live = live_mouth_and_eyes(model, example_audio)
    assert live.shape == offline.shape
    upper, lower = model.points.index(62), model.points.index(66)
    opening = [m[:, lower, 1] - m[:, upper, 1] for m in (live, offline)]
    assert np.corrcoef(*opening)[0, 1] > 0.7
    assert 0.7 < opening[0].std() / opening[1].std() < 1.3


def test_a_live_session_gives_the_offline_frame_count_and_a_mouth_that_moves_with_the_sound(pipeline, example_audio):
    silence = np.zeros(16_000, np.float32)
    audio = np.concatenate([silence, example_audio[: 16_000 * 3], silence])
    session = pipeline.live_session(EXAMPLE_PORTRAIT, size="256", fps=25, still=True)
    assert session.size == (256, 256)
    assert 0.3 <= session.lookahead_seconds <= 1.0
    frames = []
    for start in range(0, len(audio), 320):
        frames += session.push(audio[start : start + 320])
        # nothing comes out before its audio and the stated look-ahead have arrived
        if frames:
            assert frames[-1].time <= session.seconds_received - session.lookahead_seconds + 1 / 25
    frames += session.finish()
    assert session.finish() == []
    with pytest.raises(RuntimeError):
        session.push(silence)
    assert [f.index for f in frames] == list(range(len(audio) * 25 // 16_000))
    assert all(f.image.shape == (256, 256, 3) and f.image.dtype == np.uint8 for f in frames)
    assert sum(len(f.audio) for f in frames) == pytest.approx(len(audio), abs=640)
    # with the head still, the mouth region changes with speech and stays put in silence
    mouth = np.stack([f.image[130:170, 95:160].astype(np.float32) for f in frames])
    change = np.abs(np.diff(mouth, axis=0)).mean((1, 2, 3))
    quiet = change[2:12].mean()  # the first second is silent (the mouth opens a little before the sound)
    talking = change[30:95].mean()
    assert talking > 3 * quiet + 0.1


def test_a_long_live_session_keeps_its_memory_flat(pipeline):
    """40 s pushed: every buffer the session holds stays about the size it had after 15 s (none grows with time)."""
    rng = np.random.default_rng(9)
    session = pipeline.live_session(EXAMPLE_PORTRAIT, size="256", fps=25)

    def sizes() -> list[int]:
        motion = session.motion
        return [len(motion.buffer.samples), len(session.source.displacement), len(motion.pose.samples),
                len(motion.pose.mel), len(motion.blinks.starts)]  # fmt: skip

    noise = (rng.standard_normal(16_000 * 40) * 0.05).astype(np.float32)
    for start in range(0, len(noise), 1600):
        session.push(noise[start : start + 1600])
        if start == 16_000 * 15:
            early = sizes()
    late = sizes()
    assert all(b <= 1.5 * a + 200 for a, b in zip(early, late, strict=True)), (early, late)
    assert late[0] <= 16_000 * 8  # seconds of audio held: the speech encoder's context and a little more


def test_stream_yields_the_frames_of_a_session(pipeline, example_audio):
    chunks = [example_audio[i : i + 4000] for i in range(0, 16_000 * 2, 4000)]
    frames = list(pipeline.stream(EXAMPLE_PORTRAIT, chunks, size="256", fps=25, still=True))
    assert [f.index for f in frames] == list(range(50))


def test_a_live_session_refuses_the_neural_renderer_and_a_photos_own_size_in_one_sentence(pipeline):
    from stylehead.errors import StyleheadError

    with pytest.raises(StyleheadError, match="warp renderer"):
        pipeline.live_session(EXAMPLE_PORTRAIT, renderer="neural")
    with pytest.raises(StyleheadError, match="choose size 256 or 512"):
        pipeline.live_session(EXAMPLE_PORTRAIT, size="original")


def test_motion_stream_applies_the_controls(pipeline, example_audio):
    still = MotionStream(pipeline.motion_model, MotionControls(still=True, mouth_scale=0.0), None)
    motion = still.push(example_audio[:32_000], final=True)
    assert len(motion) == 120
    assert np.abs(motion.pose).max() == 0
    assert np.abs(motion.displacement).max() == 0


def test_live_frames_are_the_offline_frames_where_the_motion_is_the_same(pipeline, example_audio, tmp_path):
    """Blinks, head and framing are drawn exactly as offline; the mouth differs only by the live speech features."""
    audio = example_audio[: 16_000 * 4]
    controls = dict(size="256", fps=25, still=True, seed=3, blink_rate=40.0)
    offline = pipeline(EXAMPLE_PORTRAIT, audio, tmp_path / "offline.mp4", mouth_scale=0.0, **controls)
    live = list(pipeline.stream(EXAMPLE_PORTRAIT, [audio[i : i + 320] for i in range(0, len(audio), 320)],
                                mouth_scale=0.0, **controls))  # fmt: skip
    assert len(live) == len(offline.landmarks) == 100
    np.testing.assert_allclose(np.stack([f.landmarks for f in live]), offline.landmarks, atol=1e-3)
    assert np.ptp(offline.landmarks[:, 37, 1]) > 2  # the eyes did blink: the comparison saw them move
    talking = pipeline(EXAMPLE_PORTRAIT, audio, tmp_path / "talking.mp4", **controls)
    live = np.stack([f.landmarks for f in pipeline.stream(EXAMPLE_PORTRAIT, [audio], **controls)])
    difference = np.linalg.norm(live - talking.landmarks, axis=-1)  # pixels, in a 256-pixel frame
    generated = np.isin(np.arange(68), pipeline.motion_model.points)  # mouth, jaw and eyes: the generator's
    assert difference[:, ~generated].max() < 0.01  # nothing else moves differently
    assert np.median(difference[:, generated]) < 1.0 and difference.max() < 6.0


def test_the_live_head_moves_with_the_spread_the_offline_head_is_given(pipeline, example_audio):
    """Offline, each clip's sampled head motion is rescaled to the talkers' spread; live, running statistics do it."""
    target = np.asarray(pipeline.motion_model.head_pose.config.default_pose_std)
    audio = np.tile(example_audio, 6)[: 16_000 * 60]
    for seed in (0, 4):  # seed 4's warm-up is far from its later motion: a spread fixed from it gave 2.8x
        stream = MotionStream(pipeline.motion_model, MotionControls(seed=seed), pipeline.style_models.driving_speech)
        pose = np.concatenate([stream.push(audio[i : i + 8000]).pose for i in range(0, len(audio), 8000)])
        ratio = pose[len(pose) // 4 :].std(0) / target  # after the first 15 s
        assert ratio.min() > 0.6 and ratio.max() < 1.6, ratio
