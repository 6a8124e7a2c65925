"""Preprocessed clips (``train/preprocess.py``) for training and fine-tuning the motion models."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from stylehead.audio.apc import APCEncoder
from stylehead.audio.inputs import stack_inputs
from stylehead.audio.projection import project
from stylehead.face.pose import relative_pose
from stylehead.face.rest_shape import displacements, rest_shape
from stylehead.motion.speaker_split import load_split
from stylehead.safe_loading import load_component


@dataclass
class Clip:
    """One preprocessed clip at 60 fps."""

    name: str
    face_points: np.ndarray  # (T, 68, 3) face-frame mm
    pose: np.ndarray  # (T, 6)
    valid: np.ndarray  # (T,) bool
    mel: np.ndarray  # (2T, 80)
    phones: np.ndarray  # (T, 40)
    loudness: np.ndarray  # (T,)
    rest: np.ndarray  # (68, 3) the speaker's mouth-at-rest shape
    apc: np.ndarray | None = None  # (2T, H) when an APC encoder has been run
    speech: np.ndarray | None = None  # (T, D) speech encoder states, when preprocessing computed them

    def __len__(self) -> int:
        return len(self.valid)

    def inputs(self, features: tuple[str, ...]) -> torch.Tensor:
        """(T, D) stacked audio inputs, cut to the clip's length."""
        available = {"mel": self.mel, "phones": self.phones, "apc": self.apc, "speech": self.speech}
        missing = [name for name in features if available.get(name) is None]
        if missing:
            raise ValueError(f"clip {self.name} has no {missing} features: run train/preprocess.py again")
        return stack_inputs(features, available)[: len(self)]


def load_clips(folder: Path) -> list[Clip]:
    clips = []
    for path in sorted(Path(folder).glob("*.npz")):
        with np.load(path) as data:
            valid = data["valid"]
            if valid.sum() < 30:
                continue
            clips.append(
                Clip(
                    name=path.stem,
                    face_points=data["face_points"],
                    pose=data["pose"],
                    valid=valid,
                    mel=data["mel"],
                    phones=data["phones"],
                    loudness=data["loudness"],
                    rest=rest_shape(data["face_points"], valid),
                    speech=data["speech"].astype(np.float32) if "speech" in data else None,
                )
            )
    if not clips:
        raise FileNotFoundError(f"no preprocessed clips in {folder}: run train/preprocess.py first")
    return clips


def attach_apc(clips: list[Clip], weights: str | Path, projection: float = 0.0,
               database_clips: list[Clip] | None = None) -> None:  # fmt: skip
    """Compute each clip's APC features with the encoder in ``weights`` (a local ``apc_encoder/`` folder).

    With ``projection`` > 0 the features are projected onto the manifold of the features of
    ``database_clips`` (the training clips: held-out clips must never be in the database).
    """

    encoder = load_component(APCEncoder, weights)
    for clip in clips:
        clip.apc = encoder.encode(torch.from_numpy(clip.mel)).numpy()
    if projection > 0:
        database = torch.from_numpy(np.concatenate([c.apc[::4] for c in database_clips or clips]))
        for clip in clips:
            clip.apc = project(torch.from_numpy(clip.apc), database, blend=projection).numpy()


def split_clips(clips: list[Clip], split_file: Path) -> tuple[list[Clip], list[Clip]]:
    """(training, validation) clips by the held-out speakers of a split file (see :mod:`.speaker_split`)."""
    split = load_split(split_file)
    return [c for c in clips if not split.is_held_out(c.name)], [c for c in clips if split.is_held_out(c.name)]


class MotionWindows(torch.utils.data.Dataset):
    """Windows of ``length`` frames over clips: (inputs (L, D), motion targets (L, P, 3), mask (L,)).

    One window starts every ``stride`` frames. With ``stretch`` > 0 each draw also changes the
    speaking rate: a stretch of s takes round(L·s) source frames and resamples inputs and targets
    together to L frames, s drawn uniformly from [1 − stretch, 1 + stretch].
    """

    def __init__(self, clips: list[Clip], features: tuple[str, ...], points: tuple[int, ...], length: int,
                 stride: int, stretch: float = 0.0, seed: int = 0):  # fmt: skip
        self.length, self.stretch = length, stretch
        self.rng = np.random.default_rng(seed)
        self.clips, self.index = [], []
        for clip in clips:
            inputs = clip.inputs(features)
            count = min(len(inputs), len(clip))
            target = torch.from_numpy(displacements(clip.face_points[:count], clip.rest, points))
            mask = torch.from_numpy(clip.valid[:count].copy())
            self._add(inputs[:count], target, mask, stride)

    def _add(self, inputs: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, stride: int) -> None:
        self.clips.append((inputs, target, mask))
        count = len(inputs)
        self.index += [(len(self.clips) - 1, start) for start in range(0, max(1, count - self.length + 1), stride)]

    def add_silence(self, inputs: list[torch.Tensor], share: float, points: int) -> None:
        """Add windows of silence, the mouth at rest throughout, as ``share`` of all windows.

        ``inputs`` are (T, D) features of silent recordings (digital silence, a faint noise floor).
        Real clips hold only short pauses between words; without whole windows of silence a
        generator has never heard a silent second and, given one, opens the mouth at random.
        """
        wanted = round(share * len(self.index) / max(1e-9, 1 - share))
        before = len(self.index)
        for silent in inputs:
            stride = max(1, (len(silent) - self.length) * len(inputs) // max(1, wanted))
            self._add(silent, torch.zeros(len(silent), points, 3), torch.ones(len(silent), dtype=torch.bool), stride)
        added = self.index[before:]
        self.index = self.index[:before] + [added[i] for i in np.linspace(0, len(added) - 1, wanted).astype(int)]

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        clip, start = self.index[index]
        inputs, target, mask = self.clips[clip]
        if self.stretch <= 0:
            stop = start + self.length
            return _pad(inputs[start:stop], target[start:stop], mask[start:stop], self.length)
        factor = self.rng.uniform(1 - self.stretch, 1 + self.stretch)
        span = min(len(inputs) - start, max(2, round(self.length * factor)))
        times = torch.linspace(start, start + span - 1, round(span / factor))[: self.length]
        low = times.floor().long().clamp(max=len(inputs) - 1)
        high = (low + 1).clamp(max=len(inputs) - 1)
        weight = (times - low.float())[:, None]
        stretched_inputs = inputs[low] * (1 - weight) + inputs[high] * weight
        stretched_target = target[low] * (1 - weight[..., None]) + target[high] * weight[..., None]
        return _pad(stretched_inputs, stretched_target, mask[low] & mask[high], self.length)


def _pad(inputs, target, mask, length):
    missing = length - len(inputs)
    if missing <= 0:
        return inputs, target, mask
    return (
        torch.cat([inputs, inputs[-1:].expand(missing, -1)]),
        torch.cat([target, target[-1:].expand(missing, -1, -1)]),
        torch.cat([mask, torch.zeros(missing, dtype=torch.bool)]),
    )


class PoseWindows(torch.utils.data.Dataset):
    """Windows for the head pose model: poses (L+1, 6), audio (L, D) for frames 1..L, mask (L,)."""

    def __init__(self, clips: list[Clip], features: tuple[str, ...], length: int, stride: int, lookahead: int):
        self.items = []
        for clip in clips:
            inputs = clip.inputs(features)
            count = min(len(inputs), len(clip))
            poses = torch.from_numpy(relative_pose(clip.pose[:count], clip.valid[:count]))
            audio = torch.cat([inputs[:count], inputs[count - 1 : count].expand(lookahead + 1, -1)])
            valid = torch.from_numpy(clip.valid[:count].copy())
            for start in range(0, max(1, count - length), stride):
                stop = min(start + length + 1, count)
                window_poses = poses[start:stop]
                window_audio = audio[start + 1 + lookahead : stop + lookahead]
                mask = valid[start + 1 : stop] & valid[start : stop - 1]
                missing = length - len(mask)
                if missing > 0:
                    window_poses = torch.cat([window_poses, window_poses[-1:].expand(missing, -1)])
                    window_audio = torch.cat([window_audio, window_audio[-1:].expand(missing, -1)])
                    mask = torch.cat([mask, torch.zeros(missing, dtype=torch.bool)])
                self.items.append((window_poses, window_audio, mask))

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.items[index]
