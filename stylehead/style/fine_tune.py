"""Style transfer by fine-tuning (paper §5): the motion generators learn a reference's mouth and eye style.

The generated motion φ_mg (the generators' displacements on driving audio) and the reference's
motion φ_s (its tracked face-frame landmarks minus its rest shape) become 68×3 vectors, divided by
:data:`MOTION_SCALE_MM`. Only the points the generators move (mouth, jaw, eyes) are compared; the
others are zero in both. Then, as the paper's schedule says:

1. phase 1 — the style transfer network f alone (lr 1e-3 in the paper), the generators frozen;
2. phase 2 — the generators' tuned layers (and f) with L_transfer = L_mg + L_sc + L_r, a smaller
   learning rate, cosine annealing in both phases.

Where we differ, and why:

- f as a critic. Minimising L_sc = ‖mean f(φ_mg) − mean f(φ_s)‖² over f would let f simply forget
  the difference between the two motions (a constant f has L_sc = 0). The gradient penalty
  L_r = (‖∇f(φ̂)‖ − 1)² on mixtures φ̂ of both is the regulariser of a critic (WGAN-GP), so f here
  raises the gap ‖mean f(φ_mg) − mean f(φ_s)‖ minus ``penalty_weight`` · L_r, with the gradient
  taken along the gap's direction; the generators lower L_mg + L_sc. Phase 2 alternates one step
  of each. f starts from the network pretrained on the training speakers
  (``train/train_style_transfer.py``).
- L_shape, a symmetric Chamfer distance between the sets of generated and reference mouth shapes,
  is added to the generators' loss, so that the mouth shapes themselves move towards the
  reference's as well as f's features of them.
- Only the decoders change (the paper tunes everything at lr 1e-7): the LSTM's states are then
  computed once, a 30 s reference learns in well under a minute on 2 CPU cores, and a style's
  weight change is 1.8 MB.

L_mg keeps the lip sync: with the reference's own sound it is the generators' loss L_me against the
reference's tracked motion (the generators also learn the reference's mouth directly); without
sound it keeps the tuned generators close to where fine-tuning started on the driving speech
(distillation), so the style moves the motion only as far as L_sc and L_shape ask, plus L_timing
(:func:`timing_loss`): the inner-lip opening kept in time with the untuned generators' on the same
speech. Fine-tuning starts after the reference's moments are folded in, which already reshapes the
opening, so only an anchor from before the style keeps when the mouth opens (the furious preset's
lip sync on the validation speakers: 0.420 without it, 0.450 with it; ``docs/decisions.md``).
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from stylehead.face.landmarks import INNER_LIP_PAIRS
from stylehead.motion.mouth_eye_generator import MouthEyeGenerator, motion_loss
from stylehead.style.transfer import MOTION_SCALE_MM, StyleTransferNetwork, constraint_loss, regularisation_loss


@dataclass
class FineTuneConfig:
    """How long and how hard a style is fine-tuned."""

    critic_steps: int = 50  # phase 1: f alone
    steps: int = 100  # phase 2: alternating f and generator steps
    critic_learning_rate: float = 1e-3  # the paper's phase-1 rate
    learning_rate: float = 3e-4  # phase 2, for the generators' decoders
    window: int = 240  # frames (4 s at 60 fps) per driving window
    batch_size: int = 4
    reference_frames: int = 256  # reference vectors drawn per step
    style_weight: float = 1.0  # weight of L_sc in the generators' loss
    shape_weight: float = 1.0  # weight of L_shape (the mouth-shape set distance) in the generators' loss
    penalty_weight: float = 10.0  # weight of L_r in f's loss (WGAN-GP's λ)
    timing_weight: float = 3.0  # without the reference's sound: weight of L_timing (the opening kept in time
    # with the untuned generators' on the driving speech; docs/decisions.md)
    seed: int = 0


@dataclass
class StyleData:
    """What one fine-tuning run reads."""

    reference: torch.Tensor  # (N, 68, 3) mm: the reference's valid frames minus its rest shape
    driving: list[torch.Tensor]  # per generator, (T, D) driving audio inputs at 60 fps
    target: torch.Tensor | None = None  # (T, P, 3) mm: the reference's own motion on its own sound
    mask: torch.Tensor | None = None  # (T,) bool: valid frames of ``target``
    anchor: torch.Tensor | None = None  # (T, P, 3) mm: the generators' motion on ``driving`` before the style


def _vectors(motion: torch.Tensor, points: tuple[int, ...]) -> torch.Tensor:
    """(..., P, 3) mm displacements of ``points`` → (M, 204) scaled vectors, other points zero."""
    flat = motion.reshape(-1, len(points), 3) / MOTION_SCALE_MM
    full = flat.new_zeros(len(flat), 68, 3)
    full[:, list(points)] = flat
    return full.reshape(len(flat), -1)


def timing_loss(motion: torch.Tensor, before: torch.Tensor, points: tuple[int, ...]) -> torch.Tensor:
    """L_timing: 1 − the correlation, window by window, of the inner-lip opening of (B, L, P, 3) ``motion``
    with that of ``before`` (the generators' own, on the same speech). Blind to the opening's size and
    offset, which a style may change; it keeps when the mouth opens."""
    upper = [points.index(a) for a, _ in INNER_LIP_PAIRS]
    lower = [points.index(b) for _, b in INNER_LIP_PAIRS]

    def opening(m: torch.Tensor) -> torch.Tensor:
        gap = (m[..., lower, 1] - m[..., upper, 1]).mean(-1)  # (B, L)
        return gap - gap.mean(-1, keepdim=True)

    a, b = opening(motion), opening(before)
    r = (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1) + 1e-6)
    return (1 - r).mean()


SHAPE_POINTS = tuple(range(48, 68))  # the mouth: its shapes are what a speaking style shows most


def shape_loss(generated: torch.Tensor, reference: torch.Tensor, rng: np.random.Generator, frames: int
               ) -> torch.Tensor:  # fmt: skip
    """L_shape: symmetric Chamfer distance between sets of generated and reference mouth shapes.

    generated (..., P, 3) and reference (M, P, 3) scaled displacements; ``frames`` of each are drawn.
    Every reference shape should have a generated one near it (the style's shapes are produced) and
    every generated shape a reference one (no shapes the style never makes).
    """
    generated = generated.reshape(-1, generated.shape[-2] * 3)
    reference = reference.reshape(len(reference), -1)
    generated = generated[torch.from_numpy(rng.integers(0, len(generated), min(frames, len(generated))))]
    reference = reference[torch.from_numpy(rng.integers(0, len(reference), min(frames, len(reference))))]
    distances = torch.cdist(generated, reference).pow(2) / generated.shape[1]
    return distances.min(0).values.mean() + distances.min(1).values.mean()


def fine_tune(
    generators: list[MouthEyeGenerator],
    critic: StyleTransferNetwork,
    data: StyleData,
    config: FineTuneConfig | None = None,
    progress: Callable[[int, int], None] | None = None,
    device: str | torch.device = "cpu",
) -> tuple[list[dict[str, torch.Tensor]], dict[str, float]]:
    """Fine-tune the decoders of copies of ``generators``; returns (each one's weight deltas, last losses).

    Deltas hold the decoder parameters only: ``tuned[name] = original[name] + delta[name]``. The
    generators passed in are left unchanged. Only decoders change, so the LSTM's hidden states over
    the whole driving sequence are computed once (as at inference, one pass from the start) and
    each step runs the decoders on windows of them, one of which is always the start. ``device`` runs
    it on a GPU; deltas come back on the CPU.
    """
    config = config or FineTuneConfig()
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    points = tuple(generators[0].config.points)
    delay = generators[0].config.delay
    scale = generators[0].config.target_scale
    with torch.no_grad():
        hidden = [copy.deepcopy(g).eval().to(device).encode(d[None].float().to(device))[0]
                  for g, d in zip(generators, data.driving, strict=True)]  # fmt: skip
    count = min(len(h) for h in hidden)
    if data.target is not None:
        count = min(count, len(data.target))
    decoders = [copy.deepcopy(g.decoder).eval().to(device) for g in generators]  # eval: BatchNorm statistics stay fixed
    originals = [copy.deepcopy(d).requires_grad_(False) for d in decoders]
    parameters = [p for d in decoders for p in d.parameters()]
    critic = copy.deepcopy(critic).train().to(device)
    reference = data.reference.to(device)
    target_motion = data.target.to(device) if data.target is not None else None
    target_mask = data.mask.to(device) if data.mask is not None else None
    anchor = data.anchor.to(device) if data.anchor is not None else None
    reference_vectors = _vectors(reference[:, list(points)], points)
    mouth = [i for i, p in enumerate(points) if p in SHAPE_POINTS]
    reference_mouth = reference[:, [points[i] for i in mouth]] / MOTION_SCALE_MM
    total = config.critic_steps + config.steps

    def decode(modules, spans):
        outputs = []
        for module, states in zip(modules, hidden, strict=True):
            out = module(torch.stack([states[s] for s in spans])) * scale
            outputs.append(out.view(*out.shape[:2], len(points), 3))
        return torch.stack(outputs).mean(0)  # (B, L, P, 3), the ensemble's mean as at inference

    critic_optimizer = torch.optim.Adam(critic.parameters(), lr=config.critic_learning_rate, betas=(0.5, 0.9))
    critic_schedule = torch.optim.lr_scheduler.CosineAnnealingLR(critic_optimizer, max(1, total))
    optimizer = torch.optim.Adam(parameters, lr=config.learning_rate)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, max(1, config.steps))
    losses: dict[str, float] = {}
    length = min(config.window + delay, count)
    for step in range(total):
        # every batch holds the sequence's start: every generation begins with the LSTM's states warming
        # up from zero, so the decoders are tuned on those states too, not on steady ones alone
        starts = np.concatenate([[0], rng.integers(0, count - length + 1, config.batch_size - 1)])
        spans = [slice(int(s), int(s) + length) for s in starts]
        real = reference_vectors[torch.from_numpy(rng.integers(0, len(reference_vectors), config.reference_frames))]
        with torch.no_grad():
            fake = _vectors(decode(decoders, spans)[:, delay:], points)
        fake = fake[torch.from_numpy(rng.integers(0, len(fake), min(len(fake), config.reference_frames)))]
        # f: raise the gap it sees, with a unit-gradient penalty along it (phase 1, and every phase-2 step)
        gap = critic.mean_feature(fake) - critic.mean_feature(real)
        direction = torch.nn.functional.normalize(gap.detach(), dim=0)
        critic_loss = -gap.norm() + config.penalty_weight * regularisation_loss(critic, fake, real, direction=direction)
        critic_optimizer.zero_grad()
        critic_loss.backward()
        critic_optimizer.step()
        critic_schedule.step()
        if step >= config.critic_steps:  # phase 2: the generators lower L_mg + L_sc
            critic.requires_grad_(False)
            motion = decode(decoders, spans)
            if target_motion is not None:
                target = torch.stack([target_motion[s] for s in spans])
                mask = torch.stack([target_mask[s] for s in spans])
                mg = motion_loss(motion, target, mask, delay, scale)
            else:
                with torch.no_grad():
                    before = decode(originals, spans)
                mg = ((motion - before) / scale).pow(2).sum((-1, -2)).mean()
                if config.timing_weight and anchor is not None:
                    # the decoders' output at t is the motion of frame t − delay; the anchor's is frame t's
                    timing = torch.stack([anchor[s.start : s.stop - delay] for s in spans])
                    mg = mg + config.timing_weight * timing_loss(motion[:, delay:], timing, points)
            sc = constraint_loss(critic, _vectors(motion[:, delay:], points), real)
            shape = shape_loss(motion[:, delay:, mouth], reference_mouth, rng, config.reference_frames)
            loss = mg + config.style_weight * sc + config.shape_weight * shape
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            critic.requires_grad_(True)
            losses = {"mg": float(mg.detach()), "sc": float(sc.detach()), "shape": float(shape.detach())}
        if progress is not None:
            progress(step + 1, total)
    deltas = []
    for original, tuned in zip(originals, decoders, strict=True):
        before = dict(original.named_parameters())
        deltas.append({f"decoder.{name}": (value.detach() - before[name]).cpu()
                       for name, value in tuned.named_parameters()})  # fmt: skip
    return deltas, losses
