"""The command line: ``python -m stylehead track``, its outputs and its one-line errors."""

import subprocess
import sys

import numpy as np
import pytest

from stylehead.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """Run ``python -m stylehead`` in a real subprocess, as a user would."""
    return subprocess.run([sys.executable, "-m", "stylehead", *args], capture_output=True, text=True, timeout=300)


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_track_video_writes_the_documented_arrays(tmp_path, still_video):
    output = tmp_path / "track.npz"
    result = run_cli("track", str(still_video), "--output", str(output), "--with-audio")
    assert result.returncode == 0, result.stderr
    assert "100.0%" in result.stdout
    with np.load(output) as data:
        assert data["landmarks"].shape == (60, 68, 2) and data["landmarks"].dtype == np.float32
        assert data["pose"].shape == (60, 6) and data["valid"].shape == (60,) and data["valid"].dtype == bool
        assert float(data["fps"]) == 25.0
        for key in ("mouth_opening", "eye_opening"):
            assert data[key].shape == (60,) and np.all(data[key] >= 0)
        assert 0.07 < data["eye_opening"].mean() < 0.3  # open eyes, interocular-normalised
        assert abs(len(data["audio"]) / int(data["sample_rate"]) - 2.4) < 0.1


def test_track_still_image(tmp_path, portrait_path):
    output = tmp_path / "portrait.npz"
    assert main(["track", str(portrait_path), "-o", str(output)]) == 0
    with np.load(output) as data:
        assert data["landmarks"].shape == (1, 68, 2) and data["valid"].all()


def test_existing_output_is_not_overwritten(tmp_path, still_video, capsys):
    output = tmp_path / "mine.npz"
    output.write_bytes(b"precious")
    assert main(["track", str(still_video), "-o", str(output)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert output.read_bytes() == b"precious"


def test_no_face(tmp_path, faceless_video):
    result = run_cli("track", str(faceless_video), "-o", str(tmp_path / "t.npz"))
    assert_one_line_error(result, "No face was found")
    assert not (tmp_path / "t.npz").exists()


def test_corrupt_video(tmp_path, still_video):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(still_video.read_bytes()[:2000])  # a truncated download
    result = run_cli("track", str(broken), "-o", str(tmp_path / "t.npz"))
    assert_one_line_error(result, "broken.mp4")


def test_unsupported_format(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a video at all\n" * 50)
    result = run_cli("track", str(notes), "-o", str(tmp_path / "t.npz"))
    assert_one_line_error(result, "notes.txt", "not a media file")


def test_video_without_audio_where_audio_is_needed(tmp_path, silent_video):
    result = run_cli("track", str(silent_video), "-o", str(tmp_path / "t.npz"), "--with-audio")
    assert_one_line_error(result, "has no audio track")


@pytest.mark.parametrize("name", ["empty.mp4", "empty.png"])
def test_empty_file(tmp_path, name):
    empty = tmp_path / name
    empty.touch()
    result = run_cli("track", str(empty), "-o", str(tmp_path / "t.npz"))
    assert_one_line_error(result, "is empty")


def test_image_without_a_face(tmp_path):
    from PIL import Image

    Image.new("RGB", (320, 240), (40, 120, 200)).save(tmp_path / "sky.jpg")
    result = run_cli("track", str(tmp_path / "sky.jpg"), "-o", str(tmp_path / "t.npz"))
    assert_one_line_error(result, "No face was found in sky.jpg")


def test_motion_video_has_sound_and_the_audio_duration(tmp_path, speech_path):
    from stylehead.media import probe

    output = tmp_path / "motion.mp4"
    result = run_cli("motion", "--audio", str(speech_path), "-o", str(output), "--fps", "25")
    assert result.returncode == 0, result.stderr
    info = probe(output)
    assert info.has_video and info.has_audio and info.fps == 25 and info.size == (512, 512)
    assert abs(info.duration - probe(speech_path).duration) < 0.15


def test_motion_arrays(tmp_path, speech_path):
    output = tmp_path / "motion.npz"
    assert main(["motion", "--audio", str(speech_path), "-o", str(output), "--still", "--seed", "3"]) == 0
    with np.load(output) as data:
        assert data["landmarks"].shape[1:] == (68, 2) and float(data["fps"]) == 30.0
        assert np.abs(data["pose"]).max() == 0.0  # --still


def test_motion_refuses_a_wrong_output_type_and_too_long_audio(tmp_path, speech_path):
    result = run_cli("motion", "--audio", str(speech_path), "-o", str(tmp_path / "out.gif"))
    assert_one_line_error(result, "should end in .mp4")
    result = run_cli("motion", "--audio", str(speech_path), "-o", str(tmp_path / "o.npz"), "--max-seconds", "5")
    assert_one_line_error(result, "limit is 5 s")


def test_evaluate_lipsync_needs_a_folder_of_videos(tmp_path):
    result = run_cli("evaluate", "lipsync", "--clips", str(tmp_path / "nowhere"), "-o", str(tmp_path / "r.json"))
    assert_one_line_error(result, "is not a folder")
    (tmp_path / "empty").mkdir()
    result = run_cli("evaluate", "lipsync", "--clips", str(tmp_path / "empty"), "-o", str(tmp_path / "r.json"))
    assert_one_line_error(result, "holds no videos")


def test_evaluate_lipsync_scores_a_still_face_and_prints_what_it_writes(tmp_path, still_video):
    """A face that never moves is matched exactly by the static baseline; the model's moving mouth is not.
    The printed table is the report's summary, row for row."""
    import json

    clips = tmp_path / "clips"
    clips.mkdir()
    (clips / "still.mp4").symlink_to(still_video)
    report = tmp_path / "report.json"
    result = run_cli("evaluate", "lipsync", "--clips", str(clips), "-o", str(report))
    assert result.returncode == 0, result.stderr
    data = json.loads(report.read_text())
    summary = data["summary"]
    assert data["clips"][0]["clip"] == "still.mp4" and data["clips"][0]["frames"] > 100
    assert summary["static"]["lmd"] < 0.5  # no motion, and the face has none (what is left is tracking jitter)
    assert summary["model"]["lmd"] > summary["static"]["lmd"] and summary["model"]["dv"] > summary["static"]["dv"]
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()[1:4]}
    for method in ("model", "loudness", "static"):
        assert rows[method][:2] == [f"{summary[method]['mouth_corr']:.3f}", f"{summary[method]['lmd']:.3f}"]


def test_a_bare_call_lists_the_commands_instead_of_an_error(capsys):
    assert main([]) == 2
    shown = capsys.readouterr()
    assert "animate" in shown.out and "learn-style" in shown.out and "evaluate" in shown.out
    assert "error" not in shown.err
