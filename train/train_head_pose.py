"""Train the probabilistic head pose model (paper §3.2, L_ht) with accelerate.

    accelerate launch train/train_head_pose.py --config train/configs/head_pose.yaml
    accelerate launch --num_processes 2 --cpu train/train_head_pose.py --config ...

Teacher-forced Gaussian NLL of each next pose over windows of the training clips; keeps the weights
with the lowest validation NLL; writes ``<output>/head_pose_model/{config.json, model.safetensors}``.
Validation also samples poses for each held-out clip and reports the ratio of the sampled to the
real standard deviation of each rotation angle (the target is 0.5-2).
"""

from dataclasses import dataclass, field

import numpy as np
import torch
from common import finish_run, start_run, train_loop

from stylehead.audio.inputs import input_dim
from stylehead.face.pose import relative_pose
from stylehead.motion.head_pose_model import HeadPoseModel, HeadPoseModelConfig, gaussian_nll
from stylehead.motion.training_data import PoseWindows


@dataclass
class TrainHeadPoseConfig:
    """Everything a head pose model training run needs."""

    data: str = "runs/data"  # folder of preprocessed clips
    output: str = "runs/head_pose"  # weights, checkpoints and the training log
    split: str = "train/configs/split.yaml"  # validation speakers
    features: tuple[str, ...] = ("mel",)  # audio inputs conditioning the pose
    steps: int = 1500
    batch_size: int = 16
    window: int = 240  # frames per training window
    stride: int = 60
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    ema_decay: float = 0.995  # weight averaging (0 = off): the average is validated and saved
    eval_every: int = 150
    temperature: float = 0.3  # sampling temperature used in validation
    seed: int = 0
    model: dict = field(default_factory=dict)  # overrides of HeadPoseModelConfig fields


def main() -> None:
    run = start_run(TrainHeadPoseConfig, __doc__, "head_pose_model")
    config, args, accelerator, output, target = run.config, run.args, run.accelerator, run.output, run.target
    train_clips, val_clips = run.clips()
    speech_size = train_clips[0].speech.shape[1] if "speech" in config.features else 384
    model_config = HeadPoseModelConfig(input_dim=input_dim(config.features, speech_size=speech_size),
                                       features=config.features, **config.model)  # fmt: skip
    model = HeadPoseModel(model_config)
    lookahead = model_config.audio_lookahead
    windows = PoseWindows(train_clips, config.features, config.window, config.stride, lookahead)
    val_windows = PoseWindows(val_clips, config.features, config.window, config.window, lookahead)
    loader = torch.utils.data.DataLoader(windows, batch_size=config.batch_size, shuffle=True, drop_last=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)

    def loss_fn(wrapped, batch):
        poses, audio, mask = batch
        mean, sigma = wrapped(poses[:, :-1], audio)
        scale = torch.tensor(model_config.pose_scale)
        return gaussian_nll(mean / scale, sigma / scale, poses[:, 1:] / scale, mask)

    def validate(unwrapped):
        poses, audio, mask = (torch.stack(items) for items in zip(*val_windows.items, strict=True))
        scores = {"val_nll": float(unwrapped.nll(poses, audio, mask))}
        ratios = []
        for clip in val_clips:
            real = relative_pose(clip.pose, clip.valid)[clip.valid][:, :3]
            generator = torch.Generator().manual_seed(0)
            sampled = unwrapped.generate(clip.inputs(config.features), config.temperature, generator).numpy()
            ratios.append(sampled[:, :3].std(0) / np.maximum(real.std(0), 1e-3))
        for axis, value in zip(("pitch", "yaw", "roll"), np.median(ratios, axis=0), strict=True):
            scores[f"std_ratio_{axis}"] = float(value)
        return scores

    state = train_loop(
        accelerator, model, optimizer, loader, loss_fn, validate, lambda m: m.save_pretrained(target),
        steps=config.steps, eval_every=config.eval_every, output=output, resume=args.resume,
        score_key="val_nll", higher_is_better=False, name="head_pose_model", ema_decay=config.ema_decay,
    )  # fmt: skip
    if accelerator.is_main_process:
        finish_run(config, state, output, target, HeadPoseModel, args.push_to_hub, "val_nll",
                   train_clips=[c.name for c in train_clips], validation_clips=[c.name for c in val_clips])  # fmt: skip


if __name__ == "__main__":
    main()
