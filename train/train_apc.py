"""Train the APC audio encoder (paper §3.1; Chung et al. 2019) with accelerate.

    accelerate launch train/train_apc.py --config train/configs/apc.yaml
    accelerate launch --num_processes 2 --cpu train/train_apc.py --config ...

Self-supervised: the GRUs learn to predict the log-mel frame ``time_shift`` steps ahead (L1). The
paper trains on 26 h of Common Voice; here the speech is what can be had offline: the training
clips' sound (validation speakers excluded) plus any folders of audio files given in
``audio_dirs``. Keeps the weights with the lowest held-out L1 and writes
``<output>/apc_encoder/{config.json, model.safetensors}``.
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from common import finish_run, start_run, train_loop

from stylehead.audio.apc import APCConfig, APCEncoder
from stylehead.audio.features import log_mel
from stylehead.media import AUDIO_SUFFIXES, read_audio


@dataclass
class TrainAPCConfig:
    """Everything an APC training run needs."""

    data: str = "runs/data"  # preprocessed clips (their log-mel is used)
    split: str = "train/configs/split.yaml"  # validation speakers: their audio is held out
    audio_dirs: tuple[str, ...] = ()  # extra folders of speech/singing files
    output: str = "runs/apc"
    steps: int = 600
    batch_size: int = 16
    window: int = 480  # mel frames per window (4 s at 120 Hz)
    learning_rate: float = 1e-3
    ema_decay: float = 0.995  # weight averaging (0 = off): the average is validated and saved
    eval_every: int = 100
    seed: int = 0
    model: dict = field(default_factory=dict)  # overrides of APCConfig fields


class MelWindows(torch.utils.data.Dataset):
    """Fixed-length log-mel windows (half-overlapping) over a list of (T, 80) arrays."""

    def __init__(self, mels: list[np.ndarray], length: int):
        self.items = []
        for mel in mels:
            if len(mel) < length:
                mel = np.pad(mel, ((0, length - len(mel)), (0, 0)))
            for start in range(0, len(mel) - length + 1, length // 2):
                self.items.append(torch.from_numpy(np.ascontiguousarray(mel[start : start + length])).float())

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.items[index]


def main() -> None:
    run = start_run(TrainAPCConfig, __doc__, "apc_encoder")
    config, args, accelerator, output, target = run.config, run.args, run.accelerator, run.output, run.target
    train_clips, val_clips = run.clips()
    train_mels = [c.mel for c in train_clips]
    for folder in config.audio_dirs:
        for path in sorted(Path(folder).iterdir()):
            if path.suffix.lower() in AUDIO_SUFFIXES:
                train_mels.append(log_mel(torch.from_numpy(read_audio(path))).numpy())
    windows = MelWindows(train_mels, config.window)
    val_windows = torch.stack(MelWindows([c.mel for c in val_clips], config.window).items)
    model = APCEncoder(APCConfig(**config.model))
    loader = torch.utils.data.DataLoader(windows, batch_size=config.batch_size, shuffle=True, drop_last=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate)
    minutes = sum(len(m) for m in train_mels) / 120 / 60
    accelerator.print(f"APC: {minutes:.1f} min of audio in {len(windows)} windows")

    def loss_fn(wrapped, mel):
        shift = model.config.time_shift
        hidden = wrapped(mel[:, :-shift])
        head = accelerator.unwrap_model(wrapped).postnet
        return (head(hidden) - mel[:, shift:]).abs().mean()

    def validate(unwrapped):
        return {"val_l1": float(unwrapped.prediction_loss(val_windows))}

    state = train_loop(
        accelerator, model, optimizer, loader, loss_fn, validate, lambda m: m.save_pretrained(target),
        steps=config.steps, eval_every=config.eval_every, output=output, resume=args.resume,
        score_key="val_l1", higher_is_better=False, name="apc_encoder", ema_decay=config.ema_decay,
    )  # fmt: skip
    if accelerator.is_main_process:
        finish_run(config, state, output, target, APCEncoder, args.push_to_hub, "val_l1", audio_minutes=minutes)


if __name__ == "__main__":
    main()
