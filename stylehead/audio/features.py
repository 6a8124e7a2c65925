"""LSP's log-mel features, in torch so that training on a GPU and inference share one code path.

Exactly as Live Speech Portraits computes them (its ``compute_mel_one_sequence`` and ``Audio2Mel``):
16 kHz audio, 2 mel frames per 60-fps video frame (120 Hz). Mel frame i comes from its own clip of
266 samples (1/60 s) starting at ⌊i·133.33⌋, reflect-padded by 189 samples on each side; one
512-point STFT frame of it with a 266-sample Hann window centred in the 512 points gives the
magnitude spectrum, 80 Slaney mel bands between 90 and 7600 Hz, ``log(max(mel, 1e-5))``, then
``(log_mel + 11.513) / 11.513`` so that silence sits at 0 and speech mostly in [0, 1].
"""

import functools
import math

import torch

SAMPLE_RATE = 16_000
FPS = 60  # video frames per second inside stylehead
MEL_PER_FRAME = 2  # mel frames per video frame (120 Hz)
N_MELS = 80
N_FFT = 512
WIN_LENGTH = SAMPLE_RATE // FPS  # 266 samples = 1/60 s
HOP = SAMPLE_RATE / (FPS * MEL_PER_FRAME)  # 133.33 samples = 1/120 s
PAD = (N_FFT - int(HOP)) // 2  # 189: LSP's reflect padding of each clip
F_MIN, F_MAX = 90.0, 7600.0
LOG_FLOOR = 1e-5
LOG_OFFSET = -math.log(LOG_FLOOR)  # 11.513


def num_video_frames(num_samples: int) -> int:
    """Number of 60-fps frames LSP assigns to ``num_samples`` of 16 kHz audio."""
    return int(num_samples / SAMPLE_RATE * FPS)


@functools.cache
def _mel_basis() -> torch.Tensor:
    from torchaudio.functional import melscale_fbanks

    # torchaudio's Slaney filters match librosa's defaults (max difference 1e-7)
    return melscale_fbanks(N_FFT // 2 + 1, F_MIN, F_MAX, N_MELS, SAMPLE_RATE, norm="slaney", mel_scale="slaney")


@functools.cache
def _window() -> torch.Tensor:
    window = torch.zeros(N_FFT)
    left = (N_FFT - WIN_LENGTH) // 2
    window[left : left + WIN_LENGTH] = torch.hann_window(WIN_LENGTH, periodic=True)
    return window


def mel_clip_start(index: int) -> int:
    """First sample of mel frame ``index``'s own 1/60 s clip."""
    return int(index * HOP)


def log_mel(audio: torch.Tensor) -> torch.Tensor:
    """(N,) float 16 kHz audio → (2·T, 80) float32 normalised log-mel, T = :func:`num_video_frames`."""
    audio = torch.as_tensor(audio, dtype=torch.float32).flatten()
    count = MEL_PER_FRAME * num_video_frames(audio.numel())
    if count == 0:
        return torch.zeros(0, N_MELS)
    starts = (torch.arange(count, dtype=torch.float64) * HOP).long()
    padded = torch.nn.functional.pad(audio, (0, WIN_LENGTH))  # clips running past the end see zeros
    return log_mel_clips(padded[starts[:, None] + torch.arange(WIN_LENGTH)])


def log_mel_clips(clips: torch.Tensor) -> torch.Tensor:
    """(n, 266) clips, one per mel frame (see :func:`mel_clip_start`) → (n, 80) normalised log-mel."""
    clips = torch.nn.functional.pad(clips.float()[:, None], (PAD, PAD), mode="reflect")[:, 0]  # (n, 644)
    spectrum = torch.fft.rfft(clips[:, :N_FFT] * _window(), dim=-1).abs()  # (n, 257)
    mel = spectrum @ _mel_basis().to(spectrum.dtype)
    return ((torch.log(mel.clamp(min=LOG_FLOOR)) + LOG_OFFSET) / LOG_OFFSET).float()
