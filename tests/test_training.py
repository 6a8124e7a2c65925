"""Training scripts: 2-step smoke runs on tiny synthetic clips, resuming, and a 2-process CPU run."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

pytestmark = pytest.mark.integration  # every test here runs a training script

REPO = Path(__file__).resolve().parents[1]
TINY_MOTION = "model={hidden_size: 16, lstm_size: 8, lstm_layers: 2}"
TINY_POSE = "model={condition_size: 8, residual_size: 8, skip_size: 8, layers_per_block: 3}"
TINY_APC = "model={hidden_size: 16, num_layers: 2}"


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    """Four synthetic preprocessed clips (200 frames at 60 fps) and a split holding one out."""
    folder = tmp_path_factory.mktemp("clips")
    rng = np.random.default_rng(0)
    for i in range(4):
        t = 200
        opening = np.abs(np.sin(np.linspace(0, 20, t)))
        face = np.tile(rng.normal(scale=30, size=(1, 68, 3)), (t, 1, 1)).astype(np.float32)
        face[:, 57:60, 1] += 6 * opening[:, None]
        face[:, 65:68, 1] += 6 * opening[:, None]
        phones = np.zeros((t, 40), np.float32)
        phones[np.arange(t), (opening * 39).astype(int)] = 1
        speech = (rng.normal(size=(t, 24)) * 0.1 + opening[:, None]).astype(np.float16)  # 24-d "encoder states"
        np.savez(folder / f"clip{i}.npz", face_points=face, pose=rng.normal(scale=0.05, size=(t, 6)).astype(np.float32),
                 valid=np.ones(t, bool), mel=rng.random((2 * t, 80), dtype=np.float32), phones=phones,
                 loudness=(0.1 * opening + 0.01).astype(np.float32), source_fps=np.float32(25),
                 speech=speech)  # fmt: skip
    (folder / "split.yaml").write_text("validation: [clip3]\n")
    return folder


def run(script: str, data: Path, output: Path, *overrides: str, launcher: tuple[str, ...] = ()) -> str:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    command = [*launcher, str(REPO / "train" / script)] if launcher else [sys.executable, str(REPO / "train" / script)]
    command += ["--set", f"data={data}", f"split={data / 'split.yaml'}", f"output={output}", "steps=2",
                "eval_every=1", "batch_size=2", *overrides]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout + result.stderr


def test_train_motion_two_steps_and_resume(tiny_data, tmp_path):
    from stylehead.motion.mouth_eye_generator import MouthEyeGenerator

    output = tmp_path / "motion"
    run("train_motion.py", tiny_data, output, "window=60", "stride=20", "concordance_weight=1.0", "silence=0",
        TINY_MOTION)
    model = MouthEyeGenerator.from_pretrained(output / "mouth_eye_generator", strict=True)
    assert model.config.lstm_size == 8 and list(model.config.features) == ["speech"] and model.config.input_dim == 24
    assert (output / "mouth_eye_generator" / "loudness_baseline.safetensors").exists()
    log = json.loads((output / "training_log.json").read_text())
    assert log["validation_clips"] == ["clip3"] and "mouth_corr" in log["history"][-1]
    text = run("train_motion.py", tiny_data, output, "window=60", "stride=20", "silence=0", TINY_MOTION, "steps=4",
               "--resume")
    assert "resumed at step 2" in text
    assert json.loads((output / "checkpoints" / "trainer.json").read_text())["step"] == 4


def test_silent_windows_teach_a_closed_mouth(tiny_data, tmp_path):
    """Windows of silence (mouth at rest) join the training windows in the share asked for, and a
    log-mel generator trains with them."""
    from stylehead.motion.data import MOTION_POINTS
    from stylehead.motion.training_data import MotionWindows, load_clips

    windows = MotionWindows(load_clips(tiny_data), ("mel",), MOTION_POINTS, 60, 20)
    real = len(windows)
    windows.add_silence([torch.zeros(500, 160), torch.ones(400, 160)], 0.2, len(MOTION_POINTS))
    assert len(windows) - real == round(0.2 * real / 0.8)
    silent = [windows[i] for i in range(real, len(windows))]
    assert all(float(target.abs().max()) == 0.0 and bool(mask.all()) for _, target, mask in silent)
    assert {float(inputs[0, 0]) for inputs, _, _ in silent} == {0.0, 1.0}  # both recordings are used
    run("train_motion.py", tiny_data, tmp_path / "mel", "window=60", "stride=20", "features=[mel]", "silence=0.2",
        TINY_MOTION)


def test_train_head_pose_two_steps(tiny_data, tmp_path):
    from stylehead.motion.head_pose_model import HeadPoseModel

    run("train_head_pose.py", tiny_data, tmp_path / "pose", "window=60", "stride=30", TINY_POSE)
    model = HeadPoseModel.from_pretrained(tmp_path / "pose" / "head_pose_model", strict=True)
    assert model.config.receptive_field == 15


def test_calibrate_head_pose_writes_temperature_and_the_real_tracks_motion(tiny_data, tmp_path):
    from stylehead.face.pose import relative_pose
    from stylehead.motion.head_pose_model import HeadPoseModel
    from stylehead.motion.training_data import load_clips

    run("train_head_pose.py", tiny_data, tmp_path / "pose", "window=60", "stride=30", TINY_POSE)
    folder = tmp_path / "pose" / "head_pose_model"
    command = [sys.executable, str(REPO / "train" / "calibrate_head_pose.py"), "--model", str(folder),
               "--data", str(tiny_data), "--split", str(tiny_data / "split.yaml"), "--exclude", "clip2"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    config = HeadPoseModel.from_pretrained(folder, strict=True).config
    assert config.temperature in (1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.2, 2.4)
    kept = [c for c in load_clips(tiny_data) if c.name in ("clip0", "clip1")]  # clip2 excluded, clip3 held out
    real_std = np.mean([relative_pose(c.pose, c.valid).std(0) for c in kept], axis=0)
    np.testing.assert_allclose(config.default_pose_std, real_std, atol=1e-3)
    assert config.default_pose_speed > 0


def test_fit_rest_estimate_scores_held_out_speakers_and_never_fits_validation(tmp_path):
    from stylehead.face.pose import load_template
    from stylehead.face.rest_shape import RestEstimate
    from stylehead.safe_loading import read_header

    rng = np.random.default_rng(0)
    template = load_template().points.astype(np.float32)
    for i in range(5):  # five clips of talkers whose jaw drops as they talk
        t = 200
        opening = np.abs(np.sin(np.linspace(0, 20, t)))[:, None] * 15
        face = np.repeat(template[None] * rng.uniform(0.9, 1.1), t, axis=0)
        face[:, [55, 56, 57, 58, 59, 65, 66, 67], 1] += opening
        face[:, [7, 8, 9], 1] += 0.6 * opening
        np.savez(tmp_path / f"clip{i}.npz", face_points=face, pose=np.zeros((t, 6), np.float32),
                 valid=np.ones(t, bool), mel=np.zeros((2 * t, 80), np.float32), phones=np.zeros((t, 40), np.float32),
                 loudness=np.zeros(t, np.float32), source_fps=np.float32(25))  # fmt: skip
    # clip0 and clip1 are one speaker, clip3 and clip4 another: holding out clip3 holds out clip4 too
    (tmp_path / "speakers.tsv").write_text("file\tspeaker\nclip0.mp4\ta\nclip1.mp4\ta\nclip3.mp4\tc\nclip4.mp4\tc\n")
    (tmp_path / "split.yaml").write_text("speakers: speakers.tsv\nvalidation: [clip3]\n")
    output = tmp_path / "rest.safetensors"
    command = [sys.executable, str(REPO / "train" / "fit_rest_estimate.py"), "--data", str(tmp_path),
               "--split", str(tmp_path / "split.yaml"), "--output", str(output)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "3 training clips of 2 speakers" in result.stdout
    for method in ("frame as photographed", "close_to_rest", "rest estimate"):
        assert method in result.stdout
    RestEstimate.load(output)
    metadata = read_header(output).metadata
    assert metadata["trained_on"].split(",") == ["clip0", "clip1", "clip2"]  # clip3's speaker is held out
    scores = json.loads(metadata["held_out_scores"])
    assert set(scores["rest estimate"]) == {"mouth_error", "area_error", "calm_mouth_error", "own_motion_da"}
    # the chin and the lower lip come back with the learned estimate, not with the inner lips closed alone
    assert scores["rest estimate"]["mouth_error"] < 0.75 * scores["close_to_rest"]["mouth_error"]
    assert scores["close_to_rest"]["mouth_error"] < scores["frame as photographed"]["mouth_error"]


def test_train_apc_two_steps(tiny_data, tmp_path):
    from stylehead.audio.apc import APCEncoder

    run("train_apc.py", tiny_data, tmp_path / "apc", "window=64", TINY_APC)
    assert APCEncoder.from_pretrained(tmp_path / "apc" / "apc_encoder", strict=True).config.hidden_size == 16


def test_two_process_cpu_run(tiny_data, tmp_path):
    launcher = (sys.executable, "-m", "accelerate.commands.launch", "--num_processes", "2", "--cpu")
    run("train_motion.py", tiny_data, tmp_path / "ddp", "window=60", "stride=20", TINY_MOTION, launcher=launcher)
    assert (tmp_path / "ddp" / "mouth_eye_generator" / "model.safetensors").exists()


def test_train_style_transfer_two_steps(tiny_data, tmp_path):
    from stylehead.style.transfer import StyleTransferNetwork

    run("train_style_transfer.py", tiny_data, tmp_path / "f", "frames=8", "model={hidden: [32, 16]}")
    model = StyleTransferNetwork.from_pretrained(tmp_path / "f" / "style_transfer", strict=True)
    assert list(model.config.hidden) == [32, 16]
    assert "val_retrieval" in json.loads((tmp_path / "f" / "training_log.json").read_text())["history"][-1]


# The neural renderer's trainings (train/train_generator.py, train/train_style_mapping.py) ------------------

TINY_GENERATOR = ('model={"channels": [8, 8, 8], "resolution": 64}', 'discriminator={"ndf": 8, "layers": 2}')


@pytest.fixture(scope="module")
def render_data(tmp_path_factory, still_video) -> Path:
    """Self-reenactment samples of train/prepare_render_data.py at 64 px: two training clips, one held out."""
    sys.path.insert(0, str(REPO / "train"))
    try:
        from prepare_render_data import prepare_clip
    finally:
        sys.path.remove(str(REPO / "train"))
    folder = tmp_path_factory.mktemp("render_data")
    arrays = prepare_clip(still_video, size=64, targets=4, quality=90, seed=0)
    for split, name in (("train", "a"), ("train", "b"), ("validation", "c")):
        (folder / split).mkdir(exist_ok=True)
        np.savez(folder / split / f"{name}.npz", **arrays)
    return folder


def run_image(script: str, data: Path, output: Path, *overrides: str, launcher: tuple[str, ...] = ()) -> str:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    command = [*launcher, str(REPO / "train" / script)] if launcher else [sys.executable, str(REPO / "train" / script)]
    command += ["--set", f"data={data}", f"output={output}", "steps=2", "eval_every=1", "batch_size=2", "workers=0",
                "validation_samples=2", *TINY_GENERATOR, *overrides]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout + result.stderr


def test_prepared_render_samples_hold_crops_patterns_and_landmarks(render_data):
    data = np.load(render_data / "train" / "a.npz", allow_pickle=False)
    assert data["target_landmarks"].shape == (len(data["target_frames"]), 68, 2)
    assert data["pattern_landmarks"].shape == data["reference_landmarks"].shape == (4, 68, 2)
    assert {f"pattern_{k}" for k in range(4)} | {f"warped_{k}" for k in range(4)} <= set(data.files)
    assert data["source"].dtype == np.uint8 and data["source"][:2].tolist() == [0xFF, 0xD8]  # JPEG bytes


def test_train_generator_two_steps_resume_and_loss_curve(render_data, tmp_path):
    from stylehead.render.generator import StyleAwareGenerator

    output = tmp_path / "generator"
    run_image("train_generator.py", render_data, output)
    model = StyleAwareGenerator.from_pretrained(output / "style_aware_generator", strict=True)
    assert model.config.resolution == 64
    log = json.loads((output / "training_log.json").read_text())
    assert log["task"] == "generator" and log["validation_clips"] == ["c"]
    assert {"face_l1", "mouth_psnr", "mouth_ssim", "samples_per_second"} <= set(log["history"][-1])
    assert {"g_l1", "g_perceptual", "g_feature", "g_photometric", "d"} <= set(log["curve"][-1])
    card = (output / "style_aware_generator" / "README.md").read_text()
    assert "Held-out speakers (1): c" in card and "mouth_l1" in card
    text = run_image("train_generator.py", render_data, output, "steps=4", "--resume")
    assert "resumed at step 2" in text
    assert json.loads((output / "checkpoints" / "trainer.json").read_text())["step"] == 4


def test_train_style_mapping_two_steps(render_data, tmp_path):
    from stylehead.pipeline import load_generator

    run_image("train_style_mapping.py", render_data, tmp_path / "mapping")
    assert load_generator(None, tmp_path / "mapping" / "style_mapping", in_channels=4).config.in_channels == 4


def test_two_process_cpu_run_of_the_generator(render_data, tmp_path):
    launcher = (sys.executable, "-m", "accelerate.commands.launch", "--num_processes", "2", "--cpu")
    run_image("train_generator.py", render_data, tmp_path / "ddp", "max_minutes=5", launcher=launcher)
    assert (tmp_path / "ddp" / "style_aware_generator" / "model.safetensors").exists()


def test_evaluate_renderer_scores_warp_and_neural_on_the_same_frames(render_data, tmp_path):
    run_image("train_generator.py", render_data, tmp_path / "g")
    report_path = tmp_path / "report.json"
    command = [sys.executable, "-m", "stylehead", "evaluate", "renderer", "--data", str(render_data / "validation"),
               "--generator", str(tmp_path / "g" / "style_aware_generator"), "-o", str(report_path)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "mouth region winner" in result.stdout
    report = json.loads(report_path.read_text())
    for name in ("warp", "neural"):
        assert set(report["summary"][name]) >= {"face_l1", "face_psnr", "face_ssim", "mouth_l1", "cpbd"}
    assert report["summary"]["warp"]["mouth_l1"] < report["summary"]["neural"]["mouth_l1"]  # 2 steps learn nothing
    assert report["mouth_winner"] == "warp"


def test_bundle_weights_keeps_every_generator_of_an_ensemble(tmp_path):
    """Two runs reading the same features (other seeds) get their own folders instead of overwriting."""
    from stylehead.motion.audio_to_motion import AudioToMotion
    from stylehead.motion.head_pose_model import HeadPoseModel, HeadPoseModelConfig
    from stylehead.motion.mouth_eye_generator import MouthEyeGenerator, MouthEyeGeneratorConfig

    runs = []
    for seed in range(3):  # tiny untrained generators in the layout train_motion.py writes
        torch.manual_seed(seed)
        folder = tmp_path / f"motion{seed}" / "mouth_eye_generator"
        MouthEyeGenerator(MouthEyeGeneratorConfig(hidden_size=16, lstm_size=8, lstm_layers=2)).save_pretrained(folder)
        runs.append(str(folder.parent))
    pose_config = HeadPoseModelConfig(condition_size=8, residual_size=8, skip_size=8, layers_per_block=3)
    HeadPoseModel(pose_config).save_pretrained(tmp_path / "pose" / "head_pose_model")
    command = [sys.executable, str(REPO / "train" / "bundle_weights.py"), "--motion", *runs,
               "--head-pose", str(tmp_path / "pose"), "--output", str(tmp_path / "bundle")]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    folders = sorted(p.name for p in (tmp_path / "bundle").glob("mouth_eye_generator*"))
    assert folders == ["mouth_eye_generator", "mouth_eye_generator_phones", "mouth_eye_generator_phones_2"]
    generators = AudioToMotion.from_pretrained(tmp_path / "bundle").generators
    assert len({float(g.decoder[-1].bias.detach().sum()) for g in generators}) == 3  # three different networks kept
