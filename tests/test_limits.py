"""Every limit is configurable, has a safe default, and refuses a long or large input before the heavy work."""

import numpy as np
import pytest
import soundfile

from stylehead.cli import main
from stylehead.errors import MediaError
from stylehead.media import read_audio, write_wav
from tests.synthetic import tone


@pytest.fixture
def no_heavy_work(monkeypatch):
    """Face detection, style learning and tracking fail the test if a refusal comes too late."""

    def heavy(*args, **kwargs):
        raise AssertionError("the heavy work started before the input was refused")

    import stylehead.face.tracking
    import stylehead.motion.audio_to_motion
    import stylehead.pipeline

    monkeypatch.setattr(stylehead.pipeline.Portrait, "from_image", heavy)
    monkeypatch.setattr(stylehead.face.tracking, "track_video", heavy)
    monkeypatch.setattr(stylehead.motion.audio_to_motion.AudioToMotion, "audio_features", heavy)


def test_too_long_audio_is_refused_before_the_portrait_is_looked_at(tmp_path, portrait_path, no_heavy_work, capsys):
    audio = write_wav(tmp_path / "long.wav", tone(3.0))
    code = main(["animate", "--image", str(portrait_path), "--audio", str(audio), "-o", str(tmp_path / "o.mp4"),
                 "--max-seconds", "2"])  # fmt: skip
    assert code == 2 and "long.wav is 3 s long; the limit is 2 s, so trim it first." in capsys.readouterr().err


def test_original_size_is_refused_for_a_portrait_over_the_output_limit(tmp_path, portrait_path, speech_path,
                                                                       no_heavy_work, capsys):  # fmt: skip
    code = main(["animate", "--image", str(portrait_path), "--audio", str(speech_path), "-o", str(tmp_path / "o.mp4"),
                 "--size", "original", "--max-output-pixels", "100000"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "portrait.png is 512x512 pixels" in err and "choose size 512 or 256" in err


def test_too_long_reference_video_is_refused_before_tracking(tmp_path, still_video, no_heavy_work, capsys):
    code = main(["learn-style", str(still_video), "-o", str(tmp_path / "s.safetensors"), "--max-seconds", "1"])
    assert code == 2 and "is 2 s long; the limit is 1 s" in capsys.readouterr().err


def test_audio_that_understates_its_length_is_cut_off_while_decoding(tmp_path, monkeypatch):
    """A container that does not say (or lies about) its duration: decoding stops past the limit."""
    import stylehead.media.audio
    from stylehead.media.ffmpeg import MediaInfo
    from tests.test_media import ffmpeg

    soundfile.write(tmp_path / "long.wav", tone(4.0), 16_000)
    ffmpeg("-i", str(tmp_path / "long.wav"), "-c:a", "aac", str(tmp_path / "long.m4a"))
    monkeypatch.setattr(stylehead.media.audio, "probe", lambda path: MediaInfo(False, True, None, None, None))
    decoded = []
    real_decode = stylehead.media.audio.decode_audio
    monkeypatch.setattr(stylehead.media.audio, "decode_audio",
                        lambda *args: decoded.append(real_decode(*args)) or decoded[-1])  # fmt: skip
    with pytest.raises(MediaError, match="longer than the limit of 1 s"):
        read_audio(tmp_path / "long.m4a", max_seconds=1)
    assert len(decoded[0]) / 4 / 16_000 <= 2.05  # float32 samples: about max_seconds + 1, not 4 s
    for name in ("long.wav",):  # libsndfile's path reads at most max_seconds + 1 too
        with pytest.raises(MediaError, match="longer than the limit"):
            read_audio(tmp_path / name, max_seconds=1)
    assert len(read_audio(tmp_path / "long.wav", max_seconds=5)) == 4 * 16_000


APP_LIMITS = {  # environment variable → (AppLimits field, value set, the safe default)
    "STYLEHEAD_MAX_AUDIO_SECONDS": ("max_audio_seconds", 30, 120),
    "STYLEHEAD_MAX_IMAGE_PIXELS": ("max_image_pixels", 1_000_000, 25_000_000),
    "STYLEHEAD_MAX_REFERENCE_SECONDS": ("max_reference_seconds", 10, 60),
    "STYLEHEAD_MAX_OUTPUT_PIXELS": ("max_output_pixels", 512 * 512, 1920 * 1080),
    "STYLEHEAD_CONCURRENCY": ("concurrency", 2, 1),
    "STYLEHEAD_QUEUE_SIZE": ("queue_size", 3, 16),
    "STYLEHEAD_KEEP_MINUTES": ("keep_minutes", 5, 30),
    "STYLEHEAD_MAX_KEPT_REQUESTS": ("max_kept_requests", 8, 64),
}


def test_the_apps_limits_come_from_the_environment_with_safe_defaults(monkeypatch):
    app = pytest.importorskip("app")
    for variable in APP_LIMITS:
        monkeypatch.delenv(variable, raising=False)
    defaults = app.AppLimits()
    for variable, (name, value, default) in APP_LIMITS.items():
        assert getattr(defaults, name) == default, name
        monkeypatch.setenv(variable, str(value))
    limits = app.AppLimits()
    assert all(getattr(limits, name) == value for name, value, _ in APP_LIMITS.values())
    monkeypatch.setattr(app, "LIMITS", limits)
    demo = app.build_demo()
    assert demo._queue.max_size == 3 and demo._queue.default_concurrency_limit == 2


def test_the_app_refuses_over_the_limit_inputs_before_work(monkeypatch, tmp_path, portrait_path, no_heavy_work):
    app = pytest.importorskip("app")
    import gradio as gr

    from tests.test_app import animate_args

    monkeypatch.setattr(app, "OUTPUT_ROOT", tmp_path / "outputs")
    monkeypatch.setattr(app, "LIMITS", app.AppLimits(max_audio_seconds=1, max_image_pixels=100_000,
                                                     max_output_pixels=50_000))  # fmt: skip
    long = write_wav(tmp_path / "long.wav", tone(2.0))
    short = write_wav(tmp_path / "short.wav", tone(0.5))
    small = tmp_path / "small.png"
    from PIL import Image

    Image.fromarray(np.zeros((300, 300, 3), np.uint8)).save(small)
    cases = [(animate_args(small, long, style_video=str(tmp_path / "never-learned.mp4")), "long.wav is 2 s long"),
             (animate_args(portrait_path, short), "512x512 pixels; the limit is 100,000"),
             (animate_args(small, short, size="original"), "size 'original' keeps them all")]  # fmt: skip
    for args, message in cases:
        with pytest.raises(gr.Error, match=message):
            app.animate(**args, progress=lambda *a, **k: None)
    assert not list((tmp_path / "outputs").iterdir())  # refused requests leave no folder


def test_too_large_reference_frames_are_refused_before_tracking(tmp_path, no_heavy_work):
    """Frame size is checked from the container, like the length: an 8K reference is not tracked for minutes."""
    from stylehead.errors import StyleheadError
    from stylehead.style.learn import LearnStyleConfig, learn_style
    from stylehead.style.models import StyleModels
    from tests.synthetic import write_still_video

    video = write_still_video(tmp_path / "big.mp4", np.zeros((480, 640, 3), np.uint8), frames=3)
    with pytest.raises(StyleheadError, match=r"big\.mp4 is 640x480 pixels a frame; the limit is 100,000 pixels"):
        learn_style(video, StyleModels.from_pretrained(), config=LearnStyleConfig(max_frame_pixels=100_000))
