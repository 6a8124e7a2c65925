"""Audio features: LSP log-mel, APC encoder, manifold projection, phone features."""

import numpy as np
import pytest
import torch

from stylehead.audio.apc import APCConfig, APCEncoder
from stylehead.audio.features import log_mel, num_video_frames
from stylehead.audio.inputs import input_dim, stack_inputs
from stylehead.audio.phones import PHONES, phone_features
from stylehead.audio.projection import lle_weights, project
from tests.synthetic import tone


def test_log_mel_shape_range_and_silence():
    audio = tone(1.0, freq=440)
    mel = log_mel(torch.from_numpy(audio))
    assert mel.shape == (2 * num_video_frames(len(audio)), 80) == (120, 80)
    assert mel.dtype == torch.float32
    assert float(log_mel(torch.zeros(16_000)).max()) == 0.0  # silence sits at the floor
    band = mel[10:-10].mean(0).argmax()
    assert 5 < band < 15  # 440 Hz lands in a low mel band
    assert float(mel.min()) >= 0.0 and float(mel.max()) < 1.2


def test_log_mel_matches_lsps_per_clip_stft():
    """Each mel frame equals LSP's recipe: its own 266-sample clip, reflect-padded, one STFT frame."""
    from torchaudio.functional import melscale_fbanks

    audio = torch.from_numpy(tone(0.2, freq=300) + 0.1 * tone(0.2, freq=2500))
    mel = log_mel(audio)
    basis = melscale_fbanks(257, 90.0, 7600.0, 80, 16_000, norm="slaney", mel_scale="slaney").T
    for i in (0, 7, len(mel) - 1):
        start = int(i * 16_000 * 0.5 / 60)
        clip = torch.nn.functional.pad(audio[start : start + 266], (0, max(0, 266 - len(audio[start:]))))
        padded = torch.nn.functional.pad(clip[None, None], (189, 189), mode="reflect")[0, 0]
        spec = torch.stft(padded, 512, 133, 266, torch.hann_window(266), center=False, return_complex=True).abs()
        reference = (torch.log((basis @ spec)[:, 0].clamp(min=1e-5)) + 11.5129) / 11.5129
        assert torch.allclose(mel[i], reference, atol=1e-4)


def tiny_apc() -> APCEncoder:
    torch.manual_seed(0)
    return APCEncoder(APCConfig(mel_dim=8, hidden_size=16, num_layers=2, time_shift=2))


def test_apc_shapes_backward_and_strict_round_trip(tmp_path):
    model = tiny_apc()
    mel = torch.rand(3, 20, 8)
    assert model(mel).shape == (3, 20, 16)
    loss = model.prediction_loss(mel)
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())
    model.save_pretrained(tmp_path / "apc")
    loaded = APCEncoder.from_pretrained(tmp_path / "apc", strict=True)
    assert loaded.config == model.config and not loaded.training
    assert torch.allclose(loaded.encode(mel[0]), model.eval().encode(mel[0]))


def test_apc_is_causal():
    model = tiny_apc().eval()
    mel = torch.rand(1, 30, 8)
    changed = mel.clone()
    changed[:, 20:] += 1.0
    assert torch.allclose(model(mel)[:, :20], model(changed)[:, :20])


def test_lle_weights_rebuild_a_point_inside_its_neighbours():
    neighbours = torch.tensor([[[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]])
    point = torch.tensor([[0.2, 0.3]])
    weights = lle_weights(point, neighbours, ridge=1e-6)
    assert torch.allclose(weights.sum(-1), torch.ones(1))
    assert torch.allclose((weights[..., None] * neighbours).sum(1), point, atol=1e-4)


def test_projection_blend_and_manifold():
    torch.manual_seed(0)
    database = torch.randn(500, 4)
    database[:, 2:] = 0.0  # the manifold is the plane of the first two axes
    features = torch.randn(20, 4)
    projected = project(features, database, k=8, blend=1.0)
    assert projected[:, 2:].abs().max() < 1e-4
    assert torch.equal(project(features, database, blend=0.0), features)
    half = project(features, database, k=8, blend=0.5)
    assert torch.allclose(half, 0.5 * features + 0.5 * projected, atol=1e-5)


def test_phone_features_on_speech(speech_path):
    from stylehead.media import read_audio

    audio = read_audio(speech_path)
    phones = phone_features(audio)
    assert phones.shape == (num_video_frames(len(audio)), len(PHONES))
    assert np.allclose(phones.sum(1), 1.0, atol=1e-4)
    speech_share = 1.0 - phones[:, PHONES.index("SIL")].mean()
    assert 0.4 < speech_share < 0.95
    assert phones[:, PHONES.index("SIL")][: 60 * 0 + 5].mean() > 0.5  # the file starts with silence


def test_phone_features_of_silence_are_silence():
    phones = phone_features(np.zeros(32_000, np.float32))
    assert phones[:, PHONES.index("SIL")].min() > 0.99


def test_stack_inputs_folds_120hz_features():
    available = {"phones": np.zeros((10, 40)), "mel": np.ones((20, 80)), "apc": np.ones((21, 512))}
    stacked = stack_inputs(("phones", "mel", "apc"), available)
    assert stacked.shape == (10, input_dim(("phones", "mel", "apc"))) == (10, 40 + 160 + 1024)
    with pytest.raises(ValueError, match="unknown audio features"):
        input_dim(("pitch",))
