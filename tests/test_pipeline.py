"""StyleHeadPipeline and the `animate` command: portrait + audio -> a talking-head mp4."""

import subprocess
import sys

import numpy as np
import pytest

from stylehead.errors import NoFaceError, StyleheadError
from stylehead.media import VideoReader, read_audio, write_wav
from stylehead.media.ffmpeg import probe
from tests.synthetic import tone


@pytest.fixture(scope="module")
def pipeline():
    from stylehead import StyleHeadPipeline

    return StyleHeadPipeline.from_pretrained()


@pytest.fixture(scope="module")
def example_result(pipeline, portrait_path, speech_path, tmp_path_factory):
    """The bundled example animated once at 512×512, 30 fps, with its contact sheet."""
    output = tmp_path_factory.mktemp("animate") / "talking.mp4"
    return pipeline(portrait_path, speech_path, output, fps=30, size=512, contact_sheet=True)


@pytest.fixture(scope="module")
def short_speech(speech_path, tmp_path_factory):
    """The first 2.5 s of the example speech."""
    audio = read_audio(speech_path)[: int(2.5 * 16000)]
    return write_wav(tmp_path_factory.mktemp("audio") / "short.wav", audio)


def frames_of(path) -> np.ndarray:
    return np.stack(list(VideoReader(path)))


def test_animate_writes_h264_aac_matching_the_audio(example_result, speech_path):
    info = probe(example_result.video)
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert info.size == (512, 512) and info.fps == 30
    frames = sum(1 for _ in VideoReader(example_result.video))
    audio_seconds = len(read_audio(speech_path)) / 16000
    assert abs(frames / 30 - audio_seconds) <= 1 / 30
    assert example_result.num_frames == frames
    assert example_result.contact_sheet.exists() and example_result.contact_sheet.name == "talking.contact.jpg"
    assert set(example_result.timings) >= {"face", "motion", "render", "encode", "total"}


def test_rendered_video_retracks_to_the_commanded_landmarks(example_result):
    from stylehead.evaluation.render_fidelity import retrack_fidelity
    from stylehead.face.tracking import track_video

    track = track_video(example_result.video)
    count = min(len(track), len(example_result.landmarks))
    scores = retrack_fidelity(track.landmarks[:count], track.valid[:count], example_result.landmarks[:count])
    assert scores["valid_share"] > 0.98
    assert scores["mouth_corr"] >= 0.9
    assert scores["landmark_error"] <= 0.03


@pytest.mark.parametrize(("fps", "size", "mode"), [(25, 256, "crop"), (60, 256, "full")])
def test_fps_size_and_mode_are_respected(pipeline, portrait, short_speech, tmp_path, fps, size, mode):
    result = pipeline(portrait, short_speech, tmp_path / "out.mp4", fps=fps, size=size, mode=mode)
    info = probe(result.video)
    assert info.fps == fps
    height, width = portrait.shape[:2]
    expected = (size, size) if mode == "crop" else (size, round(height * size / width / 2) * 2)
    assert info.size == expected == result.size
    assert abs(result.num_frames - 2.5 * fps) <= 1


def test_same_seed_same_video_and_other_seed_other_motion(pipeline, portrait, short_speech, tmp_path):
    first = pipeline(portrait, short_speech, tmp_path / "a.mp4", seed=3, size=256)
    again = pipeline(portrait, short_speech, tmp_path / "b.mp4", seed=3, size=256)
    other = pipeline(portrait, short_speech, tmp_path / "c.mp4", seed=4, size=256)
    assert np.array_equal(frames_of(first.video), frames_of(again.video))
    assert not np.allclose(first.motion.pose, other.motion.pose)


def test_still_mode_and_controls(pipeline, portrait, short_speech, tmp_path):
    still = pipeline(portrait, short_speech, tmp_path / "still.mp4", still=True, blink_rate=0, size=256)
    assert np.all(still.motion.pose == 0) and np.all(still.motion.blink == 0)
    loud = pipeline(portrait, short_speech, tmp_path / "loud.mp4", mouth_scale=2.0, size=256)
    normal = pipeline(portrait, short_speech, tmp_path / "normal.mp4", size=256)
    assert np.abs(loud.motion.displacement).mean() == pytest.approx(2 * np.abs(normal.motion.displacement).mean(),
                                                                    rel=1e-4)  # fmt: skip
    calm = pipeline(portrait, short_speech, tmp_path / "calm.mp4", head_motion_scale=0.5, size=256)
    assert np.abs(calm.motion.pose).mean() == pytest.approx(0.5 * np.abs(normal.motion.pose).mean(), rel=1e-4)


def test_silence_keeps_the_mouth_closed(pipeline, portrait, tmp_path):
    result = pipeline(portrait, np.zeros(32000, np.float32), tmp_path / "quiet.mp4", size=256)
    assert any("silent" in note for note in result.notes)
    from stylehead.face import find_face, mouth_opening

    opening = mouth_opening(result.landmarks)
    assert opening.std() < 0.01  # still
    assert opening.max() - mouth_opening(find_face(portrait).landmarks[None])[0] < 0.05  # and as in the photo


def test_no_face_and_existing_output_are_refused(pipeline, short_speech, tmp_path, portrait):
    blank = np.full((256, 256, 3), 120, np.uint8)
    with pytest.raises(NoFaceError):
        pipeline(blank, short_speech, tmp_path / "x.mp4")
    assert not (tmp_path / "x.mp4").exists() and not list(tmp_path.glob(".*partial*"))
    existing = tmp_path / "mine.mp4"
    existing.write_bytes(b"user data")
    with pytest.raises(StyleheadError, match="already exists"):
        pipeline(portrait, short_speech, existing)
    assert existing.read_bytes() == b"user data"
    with pytest.raises(StyleheadError, match="must be one of 25, 30, 60"):
        pipeline(portrait, short_speech, tmp_path / "y.mp4", fps=24)


def test_save_and_load_pretrained_round_trip(pipeline, tmp_path):
    from stylehead import StyleHeadPipeline
    from stylehead.hub import BUNDLED_WEIGHTS

    folder = pipeline.save_pretrained(tmp_path / "bundle")
    assert (folder / "model_index.json").exists() and (folder / "README.md").exists()
    for name in ("speech_encoder", "mouth_eye_generator", "head_pose_model", "style_transfer"):  # each component
        saved, shipped = folder / name / "model.safetensors", BUNDLED_WEIGHTS / name / "model.safetensors"
        assert saved.read_bytes() == shipped.read_bytes(), name  # saved as it was stored (Whisper's float16 too)
    loaded = StyleHeadPipeline.from_pretrained(folder)
    assert loaded.preset_names() == pipeline.preset_names() and len(loaded.preset_names()) >= 5  # presets come along
    assert np.array_equal(loaded.style_models.driving_speech, pipeline.style_models.driving_speech)
    audio = tone(1.0)
    a, b = pipeline.motion_model(audio), loaded.motion_model(audio)
    assert np.array_equal(a.displacement, b.displacement) and np.array_equal(a.pose, b.pose)


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "stylehead", *map(str, args)], capture_output=True, text=True,
                          timeout=300)  # fmt: skip


def test_animate_command(portrait_path, short_speech, tmp_path):
    output = tmp_path / "cli.mp4"
    proc = run_cli("animate", "--image", portrait_path, "--audio", short_speech, "-o", output, "--size", "256",
                   "--fps", "25", "--seed", "1")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert output.exists() and (tmp_path / "cli.contact.jpg").exists()
    assert "256x256 at 25 fps" in proc.stdout
    again = run_cli("animate", "--image", portrait_path, "--audio", short_speech, "-o", output)
    assert again.returncode == 2 and again.stderr.startswith("error:") and "Traceback" not in again.stderr


def test_animate_command_without_a_face(short_speech, tmp_path):
    from stylehead.media.image import write_image

    blank = write_image(tmp_path / "wall.png", np.full((200, 300, 3), 200, np.uint8))
    proc = run_cli("animate", "--image", blank, "--audio", short_speech, "-o", tmp_path / "o.mp4")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "No face was found in wall.png" in proc.stderr
    assert not (tmp_path / "o.mp4").exists()


def test_benchmark_speed_command_writes_the_report(tmp_path):
    import json

    report_path = tmp_path / "speed.json"
    proc = run_cli("benchmark", "speed", "-o", report_path, "--long-minutes", "0.05")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(report_path.read_text())
    summary, speed = report["summary"], report["speed"]
    stages = summary["stage_fps"]
    assert speed["frames"] == 300 and speed["size"] == [512, 512]  # 10 s at 30 fps, 512×512
    assert summary["real_time_factor"] == pytest.approx(stages["end_to_end"] / 30)
    assert summary["share_of_floor"] == pytest.approx(stages["end_to_end"] / summary["encode_floor_fps"])
    assert stages["end_to_end"] < min(stages["motion"], stages["render"])  # the whole is slower than each stage
    assert summary["peak_memory_mb_10min"] is None  # only a 10-minute run may fill it
    assert 200 < report["memory"]["peak_memory_mb"] < 4000 and report["memory"]["minutes"] == 0.05
    assert f"real-time factor {summary['real_time_factor']:.2f}" in proc.stdout
