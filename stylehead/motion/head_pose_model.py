"""The probabilistic head pose model (paper §3.2, L_ht; LSP's Audio2Headpose): audio → head motion.

An autoregressive WaveNet over the past head poses (7 layers × 2 blocks of dilated causal
convolutions, kernel 2: a receptive field of 255 frames, as the paper's "x_{t−255} ... x_{t−1}"),
with the audio features fed into every block, outputs a Gaussian (mean and standard deviation) over
the next pose. Training minimises the negative log-likelihood (L_ht) with teacher forcing;
generation samples frame by frame at a temperature (LSP: 0.3) with cached activations, so each new
frame costs one small step per layer instead of a pass over 255 frames.

Poses are (6,) vectors relative to the speaker's average pose: rotation vector in degrees and
translation in millimetres, divided by ``pose_scale`` inside the network.
"""

from dataclasses import dataclass

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn


@dataclass
class HeadPoseModelConfig:
    """Sizes and inputs of the head pose model."""

    input_dim: int = 160  # audio features per 60-fps frame (see stylehead.audio.inputs)
    features: tuple[str, ...] = ("mel",)  # which audio inputs condition the pose
    pose_dim: int = 6  # rotation vector (deg) + translation (mm)
    pose_scale: tuple[float, ...] = (4.0, 4.0, 2.0, 8.0, 8.0, 8.0)  # typical spread of each pose value
    condition_size: int = 128  # width of the audio conditioning fed to every block
    residual_size: int = 64  # channels inside the residual blocks (LSP: 128)
    skip_size: int = 128  # channels of the skip connections (LSP: 256)
    layers_per_block: int = 7  # dilations 1, 2, ..., 64
    blocks: int = 2  # receptive field 1 + blocks · (2^layers − 1) = 255 frames
    audio_lookahead: int = 15  # frames: the pose at t hears the audio up to t + 15 (250 ms, LSP)
    min_sigma: float = 0.03  # lower bound of the predicted standard deviation (LSP's sigma_min)
    dropout: float = 0.2  # on the pose history (LSP's Dropout2d(0.5) on the input)

    @property
    def receptive_field(self) -> int:
        return 1 + self.blocks * (2**self.layers_per_block - 1)


class HeadPoseModel(nn.Module, PyTorchModelHubMixin, library_name="stylehead", tags=["stylehead", "head-pose"]):
    """Past poses (B, T, 6) + audio (B, T, D) → Gaussian over each next pose."""

    def __init__(self, config: HeadPoseModelConfig):
        super().__init__()
        self.config = config
        res, skip, cond = config.residual_size, config.skip_size, config.condition_size
        self.audio = nn.Sequential(
            nn.Linear(config.input_dim, 256), nn.LayerNorm(256), nn.LeakyReLU(0.2), nn.Linear(256, cond)
        )
        self.start = nn.Linear(2 * config.pose_dim, res)
        self.dilations = [2**i for _ in range(config.blocks) for i in range(config.layers_per_block)]
        count = len(self.dilations)
        self.past = nn.ModuleList(nn.Linear(res, 2 * res, bias=False) for _ in range(count))  # tap at t − d
        self.now = nn.ModuleList(nn.Linear(res, 2 * res) for _ in range(count))  # tap at t
        self.condition = nn.ModuleList(nn.Linear(cond, 2 * res, bias=False) for _ in range(count))
        self.residual = nn.ModuleList(nn.Linear(res, res) for _ in range(count - 1))  # the last feeds only skips
        self.skip = nn.ModuleList(nn.Linear(res, skip) for _ in range(count))
        self.head = nn.Sequential(nn.LeakyReLU(0.2), nn.Linear(skip, skip), nn.LeakyReLU(0.2),
                                  nn.Linear(skip, 2 * config.pose_dim))  # fmt: skip
        self.input_dropout = nn.Dropout(config.dropout)
        self.register_buffer("scale", torch.tensor(config.pose_scale, dtype=torch.float32), persistent=False)

    def _history(self, poses: torch.Tensor) -> torch.Tensor:
        """(B, T, 6) poses → (B, T, 12) normalised [pose, velocity] of each frame."""
        scaled = poses / self.scale
        velocity = torch.diff(scaled, dim=1, prepend=scaled[:, :1])
        return torch.cat([scaled, velocity], dim=-1)

    def forward(self, poses: torch.Tensor, audio: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced pass. poses (B, T, 6) are frames 0..T−1, audio (B, T, D) is aligned with the
        frames to predict (1..T, already shifted by the look-ahead). Returns (mean, sigma) of frames
        1..T, each (B, T, 6) in pose units."""
        x = self.start(self.input_dropout(self._history(poses)))
        condition = self.audio(audio)
        skips = 0
        for i, d in enumerate(self.dilations):
            shifted = torch.nn.functional.pad(x, (0, 0, d, 0))[:, : x.shape[1]]  # x at t − d (zeros before 0)
            gates = self.past[i](shifted) + self.now[i](x) + self.condition[i](condition)
            filt, gate = gates.chunk(2, dim=-1)
            h = torch.tanh(filt) * torch.sigmoid(gate)
            skips = skips + self.skip[i](h)
            if i < len(self.residual):
                x = x + self.residual[i](h)
        out = self.head(skips)
        mean, log_sigma = out.chunk(2, dim=-1)
        sigma = torch.exp(log_sigma).clamp(min=self.config.min_sigma)
        return mean * self.scale, sigma * self.scale

    def nll(self, poses: torch.Tensor, audio: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """The paper's L_ht: Gaussian negative log-likelihood of each next pose (normalised units).

        poses (B, T+1, 6), audio (B, T, D) aligned with frames 1..T, mask (B, T) of valid targets.
        """
        mean, sigma = self.forward(poses[:, :-1], audio)
        return gaussian_nll(mean / self.scale, sigma / self.scale, poses[:, 1:] / self.scale, mask)

    @torch.inference_mode()
    def generate(
        self, audio: torch.Tensor, temperature: float = 0.3, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Sample a (T, 6) pose sequence for (T, D) audio features, starting from the average pose.

        Each step runs one position through every layer, reading the activations it needs from
        per-layer caches (the "fast WaveNet" scheme), so the cost grows linearly with T.
        """
        self.eval()
        count = len(audio)
        lookahead = self.config.audio_lookahead
        padded = torch.cat([audio, audio[-1:].expand(lookahead, -1)]) if count else audio
        condition = self.audio(padded[lookahead:].float())  # (T, C): frame t hears audio t + lookahead
        res = self.config.residual_size
        caches = [torch.zeros(d, res) for d in self.dilations]  # last d inputs of each layer
        previous = torch.zeros(self.config.pose_dim)
        last_velocity_base = previous
        poses = torch.zeros(count, self.config.pose_dim)
        for t in range(count):
            scaled = previous / self.scale
            history = torch.cat([scaled, scaled - last_velocity_base / self.scale])
            x = self.start(history)
            skips = 0
            for i, d in enumerate(self.dilations):
                cache = caches[i]
                old = cache[t % d]
                gates = self.past[i](old) + self.now[i](x) + self.condition[i](condition[t])
                cache[t % d] = x
                filt, gate = gates.chunk(2)
                h = torch.tanh(filt) * torch.sigmoid(gate)
                skips = skips + self.skip[i](h)
                if i < len(self.residual):
                    x = x + self.residual[i](h)
            mean, log_sigma = self.head(skips).chunk(2)
            sigma = torch.exp(log_sigma).clamp(min=self.config.min_sigma)
            noise = torch.randn(self.config.pose_dim, generator=generator)
            sample = (mean + temperature * sigma * noise) * self.scale
            last_velocity_base, previous = previous, sample
            poses[t] = sample
        return poses


def gaussian_nll(mean: torch.Tensor, sigma: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None):
    """Mean negative log-likelihood of ``target`` under independent Gaussians (constant dropped)."""
    nll = torch.log(sigma) + 0.5 * ((target - mean) / sigma) ** 2
    nll = nll.sum(-1)
    if mask is None:
        return nll.mean()
    mask = mask.float()
    return (nll * mask).sum() / mask.sum().clamp(min=1.0)
