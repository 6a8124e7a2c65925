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

import numpy as np
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
    # default sampling temperature, one value or one per pose value (train/calibrate_head_pose.py sets it)
    temperature: float | tuple[float, ...] = 1.0
    # the head motion of people talking naturally in the training clips: without a style, the pipeline
    # rescales sampled motion to this spread (6,) and mean angular speed (degrees/s), as a style's own
    # statistics do (train/calibrate_head_pose.py measures them; None leaves the motion as sampled)
    default_pose_std: tuple[float, ...] | None = None
    default_pose_speed: float | None = None

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

    def motion(self, audio: torch.Tensor, temperature: float | tuple[float, ...] | None = None,
               generator: torch.Generator | None = None) -> np.ndarray:  # fmt: skip
        """(T, 6) head motion about zero for (T, D) audio features, as the pipeline uses it.

        The sampler starts from the average pose and takes a few seconds to settle into its
        stationary motion, so it first runs over a warm-up (the opening frames of the same audio,
        up to one receptive field) whose output is dropped; the result is then centred, so the
        head moves about the portrait's pose instead of settling at an offset.
        """
        if temperature is None:
            temperature = self.config.temperature
        warm_up = audio[: min(len(audio), self.config.receptive_field)]
        poses = self.generate(torch.cat([warm_up, audio]), temperature, generator).numpy()[len(warm_up) :]
        return poses - poses.mean(0, keepdims=True)

    @torch.inference_mode()
    def generate(
        self,
        audio: torch.Tensor,
        temperature: float | tuple[float, ...] = 0.3,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Sample a (T, 6) pose sequence for (T, D) audio features, starting from the average pose.

        Each step runs one position through every layer, reading the activations it needs from
        per-layer caches (the "fast WaveNet" scheme), so the cost grows linearly with T. The audio
        conditioning of every layer is computed for all frames at once; the per-frame loop runs in
        numpy on fused weights, where tiny matrix products cost about a microsecond.
        """
        self.eval()
        count = len(audio)
        if count == 0:
            return torch.zeros(0, self.config.pose_dim)
        lookahead = self.config.audio_lookahead
        padded = torch.cat([audio, audio[-1:].expand(lookahead, -1)])
        layer_conditions = self.layer_conditions(padded[lookahead:])  # frame t hears audio t + lookahead
        noise = torch.randn(count, self.config.pose_dim, generator=generator).numpy()
        noise *= np.asarray(temperature, dtype=np.float32)  # one temperature, or one per pose value
        return torch.from_numpy(PoseSampler(self).run(layer_conditions, noise))

    @torch.inference_mode()
    def layer_conditions(self, audio: torch.Tensor) -> list[np.ndarray]:
        """Each layer's (T, 2·residual) audio conditioning (its ``now`` bias included) for (T, D) audio features
        already aligned with the frames to sample: what :class:`PoseSampler` reads."""
        condition = self.audio(audio.float())
        return [(c(condition) + n.bias).numpy() for c, n in zip(self.condition, self.now, strict=True)]


class PoseSampler:
    """The head pose model's autoregressive sampler, one frame after another, with its state kept between calls.

    :meth:`HeadPoseModel.generate` runs it over a whole clip; a live session (:mod:`stylehead.live`)
    feeds it a few frames at a time and gets the same poses for the same conditions and noise. The
    weights are fused once into numpy arrays, where tiny matrix products cost about a microsecond.
    """

    def __init__(self, model: HeadPoseModel):
        def weight(layer):
            return layer.weight.detach().float().numpy().T

        def bias(layer):
            return layer.bias.detach().float().numpy()

        config = model.config
        self.config = config
        self.dilations = list(model.dilations)
        self.scale = np.asarray(config.pose_scale, dtype=np.float32)
        self.start = weight(model.start), bias(model.start)
        self.taps = [np.concatenate([weight(p), weight(n)]) for p, n in zip(model.past, model.now, strict=True)]
        count = len(self.dilations)
        # each layer's skip and residual outputs in one product (the last layer feeds only the skips)
        outs = [[model.skip[i]] + ([model.residual[i]] if i < len(model.residual) else []) for i in range(count)]
        self.outs = [np.concatenate([weight(layer) for layer in layers], 1) for layers in outs]
        self.out_biases = [np.concatenate([bias(layer) for layer in layers]) for layers in outs]
        self.head = [(weight(layer), bias(layer)) for layer in model.head if isinstance(layer, nn.Linear)]
        self.log_min_sigma = np.log(config.min_sigma)
        self.caches = [np.zeros((d, config.residual_size), np.float32) for d in self.dilations]
        self.previous = np.zeros(config.pose_dim, np.float32)
        self.before = self.previous
        self.frame = 0  # frames sampled so far: which cache slot each layer reads

    def run(self, layer_conditions: list[np.ndarray], noise: np.ndarray) -> np.ndarray:
        """(T, 6) the next T poses, for each layer's (T, 2·residual) conditioning and (T, 6) scaled noise."""
        config, res, skip_size = self.config, self.config.residual_size, self.config.skip_size
        start_w, start_b = self.start
        poses = np.zeros((len(noise), config.pose_dim), np.float32)
        for row in range(len(noise)):
            t = self.frame
            scaled = self.previous / self.scale
            x = np.concatenate([scaled, scaled - self.before / self.scale]) @ start_w + start_b
            skips = 0.0
            for i, d in enumerate(self.dilations):
                slot = t % d
                gates = np.concatenate([self.caches[i][slot], x]) @ self.taps[i] + layer_conditions[i][row]
                self.caches[i][slot] = x
                h = np.tanh(gates[:res]) / (1.0 + np.exp(-gates[res:]))
                out = h @ self.outs[i] + self.out_biases[i]
                skips = skips + out[:skip_size]
                if out.shape[0] > skip_size:
                    x = x + out[skip_size:]
            hidden = skips
            for w, b in self.head:  # the head is (LeakyReLU, Linear) twice
                hidden = np.where(hidden > 0, hidden, 0.2 * hidden) @ w + b
            mean, log_sigma = hidden[: config.pose_dim], hidden[config.pose_dim :]
            sigma = np.exp(np.maximum(log_sigma, self.log_min_sigma))
            sample = (mean + sigma * noise[row]) * self.scale
            self.before, self.previous = self.previous, sample.astype(np.float32)
            poses[row] = self.previous
            self.frame += 1
        return poses


def gaussian_nll(mean: torch.Tensor, sigma: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None):
    """Mean negative log-likelihood of ``target`` under independent Gaussians (constant dropped)."""
    nll = torch.log(sigma) + 0.5 * ((target - mean) / sigma) ** 2
    nll = nll.sum(-1)
    if mask is None:
        return nll.mean()
    mask = mask.float()
    return (nll * mask).sum() / mask.sum().clamp(min=1.0)
