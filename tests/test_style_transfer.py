"""Learning and using a style: head-pose restyling, mouth moments, fine-tuning, packs on real motion
weights, the `learn-style` command and `animate --style`."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from stylehead.errors import StyleheadError
from stylehead.media import read_audio, write_wav
from tests.synthetic import tone


@pytest.fixture(scope="module")
def motion_model():
    from stylehead.motion.audio_to_motion import AudioToMotion

    return AudioToMotion.from_pretrained()


@pytest.fixture(scope="module")
def reference_video(tmp_path_factory, portrait_path, speech_path):
    """A 5 s talking reference with sound: the example portrait animated by the pipeline itself."""
    from stylehead import StyleHeadPipeline

    audio = write_wav(tmp_path_factory.mktemp("audio") / "ref.wav", read_audio(speech_path)[: 5 * 16000])
    output = tmp_path_factory.mktemp("reference") / "talking reference.mp4"  # a space in the name
    StyleHeadPipeline.from_pretrained()(portrait_path, audio, output, fps=25, size=256, head_motion_scale=2.0)
    return output


def test_restyled_head_pose_has_the_styles_spread_and_speed():
    from scipy.ndimage import gaussian_filter1d

    from stylehead.face.pose import angular_speed
    from stylehead.motion.audio_to_motion import restyle_pose

    rng = np.random.default_rng(0)  # stationary, smooth motion, like the head pose model's
    pose = gaussian_filter1d(rng.normal(0, 1.0, (600, 6)), 8, axis=0).astype(np.float32)
    pose -= pose.mean(0)  # about zero, as sampled motion is
    std = (2.0, 5.0, 1.0, 3.0, 2.0, 6.0)
    for speed in (4.0, 40.0):  # slower and faster than the sampled motion
        out = restyle_pose(pose, std, speed)
        assert out.shape == pose.shape
        assert np.allclose(out.std(0), std, rtol=0.05)
        assert angular_speed(out, 60) == pytest.approx(speed, rel=0.1)
    assert np.allclose(restyle_pose(pose, None, None), pose, atol=1e-6)


def test_mouth_moments_move_onto_the_generated_motion_and_fold_into_a_layer():
    from stylehead.style.moments import fold_affine, match_moments

    rng = np.random.default_rng(1)
    generated = rng.normal(0, 1.0, (2000, 4, 3))
    direction = np.zeros((4, 3))
    direction[2, 1] = 1.0  # the reference opens one point's y a lot, about an offset
    reference = 0.5 * rng.normal(0, 1.0, (1500, 4, 3)) + 3.0 * rng.normal(0, 1.0, (1500, 1, 1)) * direction + 2.0
    a, shift = match_moments(generated, reference, components=1)
    moved = generated.reshape(len(generated), -1) @ a.T + shift
    assert np.allclose(moved.mean(0), reference.reshape(len(reference), -1).mean(0), atol=0.1)
    assert moved[:, 7].std() == pytest.approx(reference[:, 2, 1].std(), rel=0.1)  # along the reference's axis
    assert moved[:, 0].std() == pytest.approx(1.0, rel=0.1)  # elsewhere as it was

    layer = torch.nn.Linear(5, 12)
    hidden = torch.randn(7, 5)
    before = layer(hidden).detach().numpy() * 10.0
    fold_affine(layer, a, shift, np.arange(12), scale=10.0)
    after = layer(hidden).detach().numpy() * 10.0
    assert np.allclose(after, before @ a.T + shift, atol=1e-4)


def tiny_generators():
    from stylehead.motion.mouth_eye_generator import MouthEyeGenerator, MouthEyeGeneratorConfig

    torch.manual_seed(0)
    config = MouthEyeGeneratorConfig(input_dim=6, hidden_size=32, lstm_size=16, lstm_layers=1, delay=2, dropout=0.0)
    return [MouthEyeGenerator(config).eval(), MouthEyeGenerator(config).eval()]


def test_fine_tuning_moves_the_mouth_towards_the_reference_and_only_changes_decoders():
    from stylehead.motion.data import MOTION_POINTS
    from stylehead.style.fine_tune import FineTuneConfig, StyleData, fine_tune, shape_loss
    from stylehead.style.transfer import StyleTransferConfig, StyleTransferNetwork

    generators = tiny_generators()
    before = [{k: v.clone() for k, v in g.state_dict().items()} for g in generators]
    driving = [torch.randn(400, 6), torch.randn(400, 6)]
    reference = torch.zeros(300, 68, 3)
    reference[:, 57, 1] = 4.0 + torch.randn(300)  # the lower lip held low: a mouth kept open
    reference[:, 66, 1] = 3.0 + torch.randn(300)
    critic = StyleTransferNetwork(StyleTransferConfig(hidden=(64, 32, 16)))
    config = FineTuneConfig(critic_steps=10, steps=60, window=60, batch_size=2, reference_frames=128,
                            learning_rate=3e-3)  # fmt: skip
    deltas, losses = fine_tune(generators, critic, StyleData(reference, driving), config)
    assert set(losses) == {"mg", "sc", "shape"}
    for generator, delta, saved in zip(generators, deltas, before, strict=True):
        assert delta and all(key.startswith("decoder.") for key in delta)
        assert all(torch.equal(v, saved[k]) for k, v in generator.state_dict().items())  # left unchanged
    rng = np.random.default_rng(0)
    mouth = [i for i, p in enumerate(MOTION_POINTS) if p >= 48]
    reference_mouth = reference[:, [MOTION_POINTS[i] for i in mouth]] / 5.0

    def distance(models):
        with torch.no_grad():
            out = torch.stack([m(d[None])[0] for m, d in zip(models, driving, strict=True)]).mean(0)
        return float(shape_loss(out[:, mouth] / 5.0, reference_mouth, rng, 256))

    import copy

    tuned = [copy.deepcopy(g) for g in generators]
    for model, delta in zip(tuned, deltas, strict=True):
        with torch.no_grad():
            for name, parameter in model.named_parameters():
                if name in delta:
                    parameter += delta[name]
    assert distance(tuned) < 0.7 * distance(generators)


def test_the_timing_loss_ignores_size_and_offset_but_not_time():
    from stylehead.motion.data import MOTION_POINTS
    from stylehead.style.fine_tune import timing_loss

    points = tuple(MOTION_POINTS)
    time = torch.arange(120.0)
    before = torch.zeros(2, 120, len(points), 3)
    before[:, :, points.index(66), 1] = torch.sin(time / 5)  # the lower lip goes up and down
    bigger = 2.5 * before + 0.7  # a wider mouth, held further open: the same timing
    late = torch.roll(before, 8, dims=1)  # the same opening, 8 frames late
    assert float(timing_loss(bigger, before, points)) < 1e-5
    assert float(timing_loss(late, before, points)) > 0.3


def test_fine_tuning_without_sound_keeps_the_opening_in_time_with_the_anchor():
    import copy

    from stylehead.style.fine_tune import FineTuneConfig, StyleData, fine_tune, timing_loss
    from stylehead.style.transfer import StyleTransferConfig, StyleTransferNetwork

    generators = tiny_generators()
    driving = [torch.randn(400, 6), torch.randn(400, 6)]
    with torch.no_grad():
        anchor = torch.stack([g.generate(d) for g, d in zip(generators, driving, strict=True)]).mean(0)
    reference = torch.zeros(300, 68, 3)
    reference[:, 57, 1] = 4.0 + 2 * torch.randn(300)  # a wide, busy mouth the generators must move towards
    reference[:, 66, 1] = 3.0 + 2 * torch.randn(300)
    points = tuple(generators[0].config.points)

    def drift(weight: float) -> float:
        config = FineTuneConfig(critic_steps=10, steps=60, window=60, batch_size=2, reference_frames=128,
                                learning_rate=3e-3, timing_weight=weight)  # fmt: skip
        critic = StyleTransferNetwork(StyleTransferConfig(hidden=(64, 32, 16)))
        deltas, _ = fine_tune(generators, critic, StyleData(reference, driving, anchor=anchor), config)
        tuned = [copy.deepcopy(g) for g in generators]
        with torch.no_grad():
            for model, delta in zip(tuned, deltas, strict=True):
                for name, parameter in model.named_parameters():
                    parameter += delta.get(name, 0)
            out = torch.stack([g.generate(d) for g, d in zip(tuned, driving, strict=True)]).mean(0)
        return float(timing_loss(out[None], anchor[None], points))

    assert drift(30.0) < 0.5 * drift(0.0)  # measured 0.06 against 0.51


def test_with_style_applies_deltas_and_refuses_foreign_ones(motion_model):
    name = motion_model.generator_names[0]
    weight = dict(motion_model.generators[0].named_parameters())["decoder.7.bias"]
    delta = np.full(weight.shape, 0.01, np.float16)
    styled = motion_model.with_style({f"{name}.decoder.7.bias": delta}, motion_model.fingerprint)
    changed = dict(styled.generators[0].named_parameters())["decoder.7.bias"]
    assert torch.allclose(changed, weight + 0.01, atol=1e-4)
    assert torch.equal(dict(motion_model.generators[0].named_parameters())["decoder.7.bias"], weight)  # shared model
    with pytest.raises(StyleheadError, match="other motion weights"):
        motion_model.with_style({f"{name}.decoder.7.bias": delta}, base="0123456789abcdef")
    with pytest.raises(StyleheadError, match="does not fit"):
        motion_model.with_style({f"{name}.decoder.7.bias": np.zeros(3, np.float16)})
    with pytest.raises(StyleheadError, match="do not have"):
        motion_model.with_style({"teeth_generator.decoder.7.bias": delta})


@pytest.mark.integration
def test_learn_style_from_a_video_with_sound(reference_video, motion_model):
    from stylehead.style.fine_tune import FineTuneConfig
    from stylehead.style.learn import LearnStyleConfig, learn_style
    from stylehead.style.models import StyleModels

    stages = []
    config = LearnStyleConfig(fine_tune=FineTuneConfig(critic_steps=4, steps=8))
    pack = learn_style(reference_video, StyleModels.from_pretrained(motion=motion_model), name="mine", config=config,
                       progress=lambda stage, done, total: stages.append((stage, done, total)))  # fmt: skip
    assert pack.name == "mine" and pack.source == "talking reference.mp4"
    assert {s for s, _, _ in stages} == {"track", "fine-tune"} and stages[-1][1] == stages[-1][2] == 12
    assert pack.reference_landmarks.shape == (4, 68, 2) and np.isfinite(pack.reference_landmarks).all()
    # the reference was animated with twice the default head motion: its spread is measured, not assumed
    assert (pack.pose_std[:3] > 0.3).all() and pack.pose_speed > 1.0
    assert any("own sound" in item for item in pack.learned) and not pack.not_learned
    assert pack.deltas and all(k.split(".")[0] in motion_model.generator_names for k in pack.deltas)


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "stylehead", *map(str, args)], capture_output=True, text=True)


def test_learn_style_command_then_animate_with_the_pack(reference_video, portrait_path, tmp_path):
    from stylehead.media.ffmpeg import probe
    from stylehead.style.pack import StylePack

    pack_path = tmp_path / "mine.safetensors"
    learned = run_cli("learn-style", reference_video, "-o", pack_path, "--name", "mine", "--steps", "6")
    assert learned.returncode == 0, learned.stderr
    assert "style 'mine'" in learned.stdout and StylePack.load(pack_path).name == "mine"
    again = run_cli("learn-style", reference_video, "-o", pack_path, "--steps", "2")
    assert again.returncode == 2 and "already exists" in again.stderr  # nothing the user made is overwritten
    audio = write_wav(tmp_path / "short.wav", read_audio(reference_video)[: 2 * 16000])
    video = tmp_path / "styled.mp4"
    result = run_cli("animate", "--image", portrait_path, "--audio", audio, "--style", pack_path, "-o", video,
                     "--size", "256", "--no-contact-sheet")  # fmt: skip
    assert result.returncode == 0, result.stderr
    info = probe(video)
    assert (info.video_codec, info.audio_codec) == ("h264", "aac") and abs(info.duration - 2.0) < 0.1


@pytest.mark.integration
def test_style_errors_are_one_clear_sentence(faceless_video, silent_video, portrait_path, tmp_path):
    cases = {
        ("learn-style", faceless_video, "-o", tmp_path / "a.safetensors"): "No face was found",
        ("learn-style", silent_video, "-o", tmp_path / "b.safetensors"): "shows a face for only",
        ("learn-style", silent_video, "-o", tmp_path / "c.pt"): "should end in .safetensors",
    }
    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(b"\x80\x04not a safetensors file at all")
    audio = write_wav(tmp_path / "a.wav", tone(1.0))
    for style, message in {corrupt: "not a style pack", "no-such-style": "neither a preset"}.items():
        args = ("animate", "--image", portrait_path, "--audio", audio, "--style", style, "-o", tmp_path / "x.mp4")
        cases[args] = message
    for args, message in cases.items():
        result = run_cli(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr
        assert result.stderr.count("\n") == 1  # one line


def test_presets_are_valid_motion_only_packs(motion_model):
    from stylehead.motion.data import MotionControls
    from stylehead.style.library import load_style, styled
    from stylehead.style.models import StyleModels

    models = StyleModels.from_pretrained(motion=motion_model)
    names = models.preset_names()
    assert {"neutral", "singing"} <= set(names) and len(names) >= 5
    for name in names:
        pack = load_style(name, models)
        assert pack.name == name and pack.source and pack.licence
        assert (models.presets / f"{name}.safetensors").stat().st_size < 2_500_000
        _, controls = styled(motion_model, pack, MotionControls())  # fits the bundled weights
        assert controls.pose_std is not None and controls.blinks.rate_per_minute == pack.blink_rate_per_minute
