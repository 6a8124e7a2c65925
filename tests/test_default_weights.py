"""The weights shipped in the package: present, small, strictly loadable, and behaving sensibly."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from stylehead.errors import StyleheadError
from stylehead.face.landmarks import mouth_opening
from stylehead.face.rest_shape import apply_displacements
from stylehead.hub import BUNDLED_WEIGHTS, resolve_weights
from stylehead.motion.audio_to_motion import AudioToMotion
from stylehead.motion.data import MotionControls


@pytest.fixture(scope="module")
def motion_model() -> AudioToMotion:
    return AudioToMotion.from_pretrained()


@pytest.fixture(scope="module")
def rest() -> np.ndarray:
    from stylehead.face.pose import load_template

    return load_template().points.astype(np.float32)


def test_bundle_is_complete_small_and_documented():
    files = [p for p in BUNDLED_WEIGHTS.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= 40 * 1024 * 1024
    for component in ("mouth_eye_generator", "head_pose_model", "speech_encoder"):
        assert (BUNDLED_WEIGHTS / component / "config.json").exists()
        assert (BUNDLED_WEIGHTS / component / "model.safetensors").exists()
    generator = json.loads((BUNDLED_WEIGHTS / "mouth_eye_generator" / "config.json").read_text())
    assert generator["features"] == ["speech"]  # the pretrained speech encoder's states, not 11 minutes' phonetics
    assert not any(p.suffix in (".bin", ".pt", ".pth", ".pkl", ".ckpt") for p in files)
    card = (BUNDLED_WEIGHTS / "README.md").read_text()
    assert "Training data" in card and "mouth_corr" in card


def test_silence_gives_a_closed_still_mouth(motion_model, rest):
    motion = motion_model(np.zeros(3 * 16_000, np.float32), MotionControls(still=True))
    face = apply_displacements(rest, motion.displacement, motion.points)
    opening = mouth_opening(face[..., :2])
    assert opening.max() - mouth_opening(rest[None, :, :2])[0] < 0.05  # interocular units: closed
    assert opening.std() < 0.01  # and still
    assert np.abs(motion.pose).max() == 0.0


def test_speech_moves_the_mouth_and_the_head(motion_model, rest, speech_path):
    from stylehead.media import read_audio

    def opening_std(audio):
        motion = motion_model(audio, MotionControls(still=True))
        return mouth_opening(apply_displacements(rest, motion.displacement, motion.points)[..., :2]).std()

    speech = read_audio(speech_path)[: 6 * 16_000]
    motion = motion_model(speech)
    assert len(motion) == 360 and motion.pose.shape == (360, 6) and motion.blink.shape == (360,)
    # the mouth moves about as much as real speakers' (std ≈ 0.046 of the interocular distance, median over
    # the training clips), not the r×-shrunk mean motion that L_me alone learns
    assert opening_std(speech) > max(0.025, 3 * opening_std(np.zeros_like(speech)))
    assert motion.pose[:, :3].std() > 0.1  # degrees


def test_head_moves_like_the_natural_training_talkers_unless_a_style_says_otherwise(motion_model, speech_path):
    from stylehead.face.pose import angular_speed
    from stylehead.media import read_audio

    config = motion_model.head_pose.config
    audio = read_audio(speech_path)[: 6 * 16_000]
    default = motion_model(audio).pose
    np.testing.assert_allclose(default.std(0), config.default_pose_std, rtol=0.15)
    assert angular_speed(default, 60) == pytest.approx(config.default_pose_speed, rel=0.15)
    style = (1.0, 6.0, 0.5, 2.0, 2.0, 2.0)
    styled = motion_model(audio, MotionControls(pose_std=style, pose_speed=8.0)).pose
    np.testing.assert_allclose(styled.std(0), style, rtol=0.15)
    assert angular_speed(styled, 60) == pytest.approx(8.0, rel=0.15)
    doubled = motion_model(audio, MotionControls(head_motion_scale=2.0)).pose
    np.testing.assert_allclose(doubled, 2 * default, atol=1e-4)


def test_same_seed_same_motion(motion_model, speech_path):
    from stylehead.media import read_audio

    audio = read_audio(speech_path)[: 3 * 16_000]
    a, b = motion_model(audio, MotionControls(seed=5)), motion_model(audio, MotionControls(seed=5))
    c = motion_model(audio, MotionControls(seed=6))
    assert np.array_equal(a.pose, b.pose) and np.array_equal(a.blink, b.blink)
    assert not np.array_equal(a.pose, c.pose)


def test_weights_resolution_order(tmp_path, monkeypatch):
    assert resolve_weights() == BUNDLED_WEIGHTS
    monkeypatch.setenv("STYLEHEAD_WEIGHTS", str(tmp_path))
    assert resolve_weights() == tmp_path
    assert resolve_weights(BUNDLED_WEIGHTS) == BUNDLED_WEIGHTS  # an explicit folder wins
    with pytest.raises(StyleheadError, match="No weights folder"):
        resolve_weights(tmp_path / "missing")


def test_hub_repo_id_resolves_from_the_local_cache_offline(tmp_path):
    """The real snapshot_download path, against a hand-built cache, with HF_HUB_OFFLINE=1."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "models--someone--stylehead-test"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = repo / "snapshots" / commit
    shutil.copytree(BUNDLED_WEIGHTS, snapshot, ignore=shutil.ignore_patterns("__pycache__"))
    (snapshot / "presets" / "neutral.safetensors").rename(snapshot / "presets" / "hub_only.safetensors")
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_HUB_CACHE=str(tmp_path))
    code = (
        "from stylehead import StyleHeadPipeline; import json; "
        "pipe = StyleHeadPipeline.from_pretrained('someone/stylehead-test'); "
        "print(json.dumps([str(pipe.weights), pipe.preset_names()]))"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    weights, presets = json.loads(result.stdout.strip().splitlines()[-1])
    assert weights.endswith(commit)
    assert "hub_only" in presets and "neutral" not in presets  # the Hub bundle brings its own presets
    missing = subprocess.run(
        [sys.executable, "-c", "from stylehead.hub import resolve_weights; resolve_weights('someone/absent')"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert missing.returncode != 0 and "not in the local Hugging Face cache" in missing.stderr
