"""Pretrain the style transfer network f (paper §5) with accelerate.

    accelerate launch train/train_style_transfer.py --config train/configs/style_transfer.yaml

The paper starts style transfer from an f pretrained on VoxCeleb2 without saying how. Here f learns
what stays the same within one speaker's motion and differs between speakers: each clip's frames
become motion vectors (face-frame landmarks minus the clip's rest shape, 68×3), and the mean
feature of frames from a clip's first half must pick out the mean feature of frames from the same
clip's second half among the other clips of the batch (InfoNCE). Validation: on the held-out
speakers, the share of clips whose first half retrieves their own second half (chance is one in
the number of clips). Keeps the best and writes ``<output>/style_transfer/``.
"""

from dataclasses import dataclass, field

import numpy as np
import torch
from common import finish_run, start_run, train_loop

from stylehead.motion.training_data import Clip
from stylehead.style.transfer import MOTION_SCALE_MM, StyleTransferConfig, StyleTransferNetwork


@dataclass
class TrainStyleTransferConfig:
    """Everything a pretraining run of f needs."""

    data: str = "runs/data"  # preprocessed clips (face-frame points and rest shapes)
    split: str = "train/configs/split.yaml"  # validation speakers
    output: str = "runs/style_transfer"
    steps: int = 600
    batch_size: int = 16  # clips per batch: each is a positive pair, the others its negatives
    frames: int = 32  # frames drawn from each half of a clip
    min_frames: int = 60  # clips with fewer valid frames are left out
    temperature: float = 0.1
    learning_rate: float = 1e-4
    ema_decay: float = 0.0
    eval_every: int = 100
    seed: int = 0
    model: dict = field(default_factory=dict)  # overrides of StyleTransferConfig fields


def motion_vectors(clip: Clip) -> torch.Tensor:
    """(T_valid, 204) float32: the clip's valid frames as displacements from its rest shape."""
    points = clip.face_points[clip.valid].astype(np.float32) - clip.rest[None].astype(np.float32)
    return torch.from_numpy(points.reshape(len(points), -1) / MOTION_SCALE_MM)


class HalfClipPairs(torch.utils.data.Dataset):
    """Item i: (frames from clip i's first half, frames from its second half), each (n, 204)."""

    def __init__(self, vectors: list[torch.Tensor], frames: int, repeats: int = 64):
        self.vectors, self.frames, self.repeats = vectors, frames, repeats

    def __len__(self) -> int:
        return len(self.vectors) * self.repeats

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        vectors = self.vectors[index % len(self.vectors)]
        half = len(vectors) // 2
        first = vectors[torch.randint(0, half, (self.frames,))]
        second = vectors[torch.randint(half, len(vectors), (self.frames,))]
        return first, second


def info_nce(network, first: torch.Tensor, second: torch.Tensor, temperature: float) -> torch.Tensor:
    """(k, n, 204) pairs → the cross-entropy of matching each first half to its own second half."""
    a = torch.nn.functional.normalize(network(first).mean(1), dim=1)
    b = torch.nn.functional.normalize(network(second).mean(1), dim=1)
    logits = a @ b.T / temperature
    return torch.nn.functional.cross_entropy(logits, torch.arange(len(a), device=a.device))


@torch.no_grad()
def retrieval_accuracy(network: StyleTransferNetwork, vectors: list[torch.Tensor]) -> float:
    """Share of clips whose first-half mean feature is nearest to their own second half's."""
    if len(vectors) < 2:
        return float("nan")
    firsts = torch.stack([network(v[: len(v) // 2]).mean(0) for v in vectors])
    seconds = torch.stack([network(v[len(v) // 2 :]).mean(0) for v in vectors])
    a, b = torch.nn.functional.normalize(firsts, dim=1), torch.nn.functional.normalize(seconds, dim=1)
    return float(((a @ b.T).argmax(1) == torch.arange(len(vectors))).float().mean())


def main() -> None:
    run = start_run(TrainStyleTransferConfig, __doc__, "style_transfer")
    config, args, accelerator, output, target = run.config, run.args, run.accelerator, run.output, run.target
    train_clips, val_clips = run.clips()
    train_vectors = [motion_vectors(c) for c in train_clips if c.valid.sum() >= config.min_frames]
    val_vectors = [motion_vectors(c) for c in val_clips if c.valid.sum() >= config.min_frames]
    if len(train_vectors) < config.batch_size:
        raise SystemExit(f"{len(train_vectors)} training clips are fewer than batch_size={config.batch_size}")
    model = StyleTransferNetwork(StyleTransferConfig(**config.model))
    pairs = HalfClipPairs(train_vectors, config.frames)
    loader = torch.utils.data.DataLoader(pairs, batch_size=config.batch_size, shuffle=True, drop_last=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate)
    accelerator.print(f"style transfer f: {len(train_vectors)} training clips, {len(val_vectors)} validation clips")

    def loss_fn(wrapped, batch):
        first, second = batch
        return info_nce(wrapped, first, second, config.temperature)

    def validate(unwrapped):
        return {"val_retrieval": retrieval_accuracy(unwrapped, val_vectors)}

    state = train_loop(
        accelerator, model, optimizer, loader, loss_fn, validate, lambda m: m.save_pretrained(target),
        steps=config.steps, eval_every=config.eval_every, output=output, resume=args.resume,
        score_key="val_retrieval", higher_is_better=True, name="style_transfer", ema_decay=config.ema_decay,
    )  # fmt: skip
    if accelerator.is_main_process:
        finish_run(config, state, output, target, StyleTransferNetwork, args.push_to_hub, "val_retrieval",
                   train_clips=len(train_vectors))  # fmt: skip


if __name__ == "__main__":
    main()
