"""The mouth and eye generator (paper §3.2, LSP's Audio2Feature): audio features → landmark motion.

Per 60-fps frame: an MLP (D → 512 → 512) over the frame's audio features (LSP stacks two 120 Hz
APC frames, 1024-d), a 3-layer LSTM with 256 units, and an MLP 256 → 512 → 512 → 3·P giving the
3D displacement of P landmarks (mouth, lower jaw, eyes) from the speaker's rest shape, in the face
frame (mm / ``target_scale``). The LSTM is causal, so the target is delayed by ``delay`` frames
(18 = 300 ms of look-ahead) in training, and inference pads the end and drops the first ``delay``
outputs (LSP, ``frame_future``).
"""

from dataclasses import dataclass, field

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from stylehead.motion.data import MOTION_POINTS


@dataclass
class MouthEyeGeneratorConfig:
    """Sizes and inputs of the mouth and eye generator."""

    input_dim: int = 40  # audio features per 60-fps frame (see stylehead.motion.audio_inputs)
    features: tuple[str, ...] = ("phones",)  # which audio inputs, in order: "phones", "mel", "apc"
    hidden_size: int = 512  # width of both MLPs
    lstm_size: int = 256  # units of each LSTM layer
    lstm_layers: int = 3
    dropout: float = 0.2  # between LSTM layers and in the MLPs (LSP uses 0; our data is ~100× smaller)
    points: tuple[int, ...] = field(default_factory=lambda: MOTION_POINTS)  # predicted landmark indices
    delay: int = 18  # frames of look-ahead: the output at t is the motion of frame t − delay
    target_scale: float = 10.0  # mm per output unit
    smoothing: float = 2.0  # Gaussian σ (frames) applied to generated motion (LSP smooths the mouth with σ = 2)


class _BatchNormTime(nn.BatchNorm1d):
    """BatchNorm1d over the channels of (B, T, C) sequences."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.transpose(1, 2)).transpose(1, 2)


class MouthEyeGenerator(nn.Module, PyTorchModelHubMixin, library_name="stylehead", tags=["stylehead", "lip-sync"]):
    """Audio features (B, T, D) → landmark displacements (B, T, P, 3) in mm."""

    def __init__(self, config: MouthEyeGeneratorConfig):
        super().__init__()
        self.config = config
        hidden, size = config.hidden_size, config.lstm_size
        self.encoder = nn.Sequential(
            nn.Linear(config.input_dim, hidden), _BatchNormTime(hidden), nn.LeakyReLU(0.2), nn.Dropout(config.dropout),
            nn.Linear(hidden, hidden),
        )  # fmt: skip
        self.lstm = nn.LSTM(hidden, size, config.lstm_layers, batch_first=True, dropout=config.dropout)
        self.decoder = nn.Sequential(
            nn.Linear(size, hidden), _BatchNormTime(hidden), nn.LeakyReLU(0.2), nn.Dropout(config.dropout),
            nn.Linear(hidden, hidden), _BatchNormTime(hidden), nn.LeakyReLU(0.2),
            nn.Linear(hidden, 3 * len(config.points)),
        )  # fmt: skip

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """(B, T, D) → (B, T, P, 3) displacements in mm (no delay compensation: see :meth:`generate`)."""
        return self.decode(self.encode(features))

    def encode(self, features: torch.Tensor) -> torch.Tensor:
        """(B, T, D) audio features → (B, T, lstm_size) hidden states of the LSTM."""
        hidden, _ = self.lstm(self.encoder(features))
        return hidden

    def decode(self, hidden: torch.Tensor) -> torch.Tensor:
        """(B, T, lstm_size) hidden states → (B, T, P, 3) displacements in mm."""
        out = self.decoder(hidden) * self.config.target_scale
        return out.view(*out.shape[:2], len(self.config.points), 3)

    def loss(self, features: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The paper's L_me for a batch: features (B, T, D), target (B, T, P, 3) mm, mask (B, T) bool."""
        return motion_loss(self.forward(features), target, mask, self.config.delay, self.config.target_scale)

    @torch.inference_mode()
    def generate(self, features: torch.Tensor) -> torch.Tensor:
        """(T, D) features of one clip → (T, P, 3) displacements, aligned with the audio."""
        delay = self.config.delay
        padded = torch.cat([features, features[-1:].expand(delay, -1)]) if delay else features
        motion = self.forward(padded[None].float())[0, delay:]
        return smooth_in_time(motion, self.config.smoothing)


def motion_loss(
    predicted: torch.Tensor,
    target: torch.Tensor,
    mask: torch.Tensor,
    delay: int,
    scale: float,
    norm: str = "squared",
) -> torch.Tensor:
    """Error between the delayed prediction and the target, in output units, over valid frames.

    ``norm="squared"`` is the paper's L_me (eq. 2, squared Euclidean distance: the network learns
    the mean motion for each sound); ``"absolute"`` sums absolute coordinate errors instead, so it
    learns the median, which for a mouth that is often closed is a mouth that closes. The output
    at frame t is compared with the target at t − ``delay``. A training loop holding a wrapped
    model (DDP) calls this on ``model(features)`` so that the wrapper sees the forward pass.
    """
    if norm not in ("squared", "absolute"):
        raise ValueError(f"norm must be 'squared' or 'absolute', not {norm!r}")
    predicted = predicted[:, delay:]
    target, mask = target[:, : target.shape[1] - delay], mask[:, : mask.shape[1] - delay].float()
    difference = (predicted - target) / scale
    error = (difference.pow(2) if norm == "squared" else difference.abs()).sum((-1, -2))
    return (error * mask).sum() / mask.sum().clamp(min=1.0)


def concordance_loss(
    predicted: torch.Tensor,
    target: torch.Tensor,
    mask: torch.Tensor,
    delay: int,
    basis: torch.Tensor,
) -> torch.Tensor:
    """1 − Lin's concordance correlation of the main motions, averaged over them: a mouth that moves as much.

    The squared L_me learns the mean motion for a sound. For a speaker never seen the sound leaves
    much of the motion uncertain, and the mean of an uncertain motion hardly moves: trained on L_me
    alone, the mouth opens and closes about r× as far as real mouths do (r, its correlation with
    them, ≈ 0.6). Concordance, 2·cov / (var_p + var_t + (mean_p − mean_t)²), is highest when the
    prediction is correlated with the real motion *and* has its mean and spread, whatever r is, and
    adding motion that is not in time with the real one lowers it. It is taken over the valid
    frames of the whole batch along each row of ``basis`` (K, P·3), unit directions of the real
    motion (the main ways mouth and jaw move together, from the training targets), so the tracker's
    frame-to-frame jitter, spread thinly over the other directions, is not asked for.
    """
    predicted = predicted[:, delay:].flatten(2)  # (B, T', P·3)
    target = target[:, : target.shape[1] - delay].flatten(2)
    keep = mask[:, : mask.shape[1] - delay].reshape(-1)
    p = (predicted.reshape(-1, predicted.shape[-1])[keep]) @ basis.T  # (N, K)
    t = (target.reshape(-1, target.shape[-1])[keep]) @ basis.T
    if len(p) < 2:
        return predicted.sum() * 0.0
    mean_p, mean_t = p.mean(0), t.mean(0)
    covariance = ((p - mean_p) * (t - mean_t)).mean(0)
    concordance = 2 * covariance / (p.var(0, unbiased=False) + t.var(0, unbiased=False) + (mean_p - mean_t) ** 2
                                     + 1e-8)  # fmt: skip
    return (1 - concordance).mean()


def principal_motions(displacements: torch.Tensor, count: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``count`` main directions (count, C) of (N, C) motion samples, and each one's share of the variance."""
    centred = displacements - displacements.mean(0)
    _, singular, directions = torch.linalg.svd(centred, full_matrices=False)
    share = singular**2 / (singular**2).sum()
    return directions[:count], share[:count]


def smooth_in_time(values: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian smoothing of (T, ...) values along time, with edges held (σ in frames; 0 = off)."""
    if sigma <= 0 or len(values) < 2:
        return values
    radius = int(3 * sigma + 0.5)
    taps = torch.exp(-0.5 * (torch.arange(-radius, radius + 1, dtype=values.dtype) / sigma) ** 2)
    taps = taps / taps.sum()
    flat = values.reshape(len(values), -1).T[:, None]  # (C, 1, T)
    padded = torch.nn.functional.pad(flat, (radius, radius), mode="replicate")
    return torch.nn.functional.conv1d(padded, taps[None, None]).reshape(flat.shape[0], -1).T.reshape(values.shape)
