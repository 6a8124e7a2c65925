"""The paper's Table 2 protocol on real clips: `python -m stylehead evaluate talking-head`.

For each clip: the source image is its first frame with a face, the driving audio is its own sound
from that frame on. The pipeline animates the source (whole frame, original size, the frame rate
of 25/30/60 nearest the clip's), dlib tracks 68 landmarks on the generated and on the real video,
and frames are paired by time. The static baseline is the source frame held still. Reported per
clip and averaged over clips: LMD, D-L, D-V and D-A (:func:`stylehead.evaluation.metrics.talking_head_metrics`)
and CPBD (sharpness) of evenly spaced frames; the real clip's own CPBD is reported as ``real``.
As diagnostics, ``commanded`` scores the landmarks the renderer was told to draw (what the motion
model asks for, before rendering and re-tracking), and ``mouth_opening_std_ratio`` is the median
over clips of the commanded mouth opening's spread over the real one's.
"""

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from stylehead.errors import StyleheadError
from stylehead.evaluation.metrics import cpbd, talking_head_metrics
from stylehead.evaluation.report import Column, score_each
from stylehead.face.landmarks import mouth_opening
from stylehead.face.tracking import track_video
from stylehead.media import SAMPLE_RATE, read_audio, read_frames
from stylehead.options import option_specs
from stylehead.pipeline import StyleHeadPipeline

METHODS = ("model", "static")
KEYS = ("lmd", "dl", "dv", "da", "cpbd")
TABLE = [Column(key, title) for key, title in zip(KEYS, ("LMD", "D-L", "D-V", "D-A %", "CPBD"), strict=True)]


def evaluate_clip(path: Path, pipeline: StyleHeadPipeline, work_dir: Path, seed: int = 0, cpbd_frames: int = 6,
                  keep_landmarks: bool = False, **controls) -> dict:  # fmt: skip
    """Score one clip; :class:`StyleheadError` when it has no sound or no face.

    ``keep_landmarks`` adds the paired (T, 68, 2) arrays that were scored, ``landmarks`` →
    ``generated``, ``real``, ``commanded`` (for diagnostics; not JSON).
    """
    audio = read_audio(path)
    real = track_video(path)
    if not real.valid.any():
        raise StyleheadError(f"No face was found in {path.name}.")
    first = int(np.argmax(real.valid))
    source = read_frames(path, {first})[first]
    choices = next(spec.choices for spec in option_specs() if spec.name == "fps")
    fps = min(choices, key=lambda choice: abs(choice - real.fps))
    driving = audio[round(first / real.fps * SAMPLE_RATE) :]
    result = pipeline(source, driving, work_dir / f"{path.stem}.mp4", fps=fps, size="original", mode="full",
                      seed=seed, overwrite=True, **controls)  # fmt: skip
    generated = track_video(result.video)
    times = np.arange(len(generated)) / fps
    real_index = first + np.round(times * real.fps).astype(int)
    keep = real_index < len(real)
    gen_index = np.flatnonzero(keep)
    real_index = real_index[keep]
    pair_valid = generated.valid[gen_index] & real.valid[real_index]
    if pair_valid.sum() < 2:
        raise StyleheadError(f"Too few frames of {path.name} had a face in both videos to compare.")
    gen_landmarks = generated.landmarks[gen_index][pair_valid]
    commanded = result.landmarks[np.minimum(gen_index, len(result.landmarks) - 1)][pair_valid]
    real_landmarks = real.landmarks[real_index][pair_valid]
    static_landmarks = np.repeat(real.landmarks[first][None], len(real_landmarks), axis=0)
    sample = set(np.linspace(0, len(generated) - 1, cpbd_frames).round().astype(int).tolist())
    real_sample = set(np.linspace(first, len(real) - 1, cpbd_frames).round().astype(int).tolist())
    row = {
        "clip": path.name,
        "frames": int(pair_valid.sum()),
        "fps": fps,
        "model": {
            **talking_head_metrics(gen_landmarks, real_landmarks),
            "cpbd": cpbd(list(read_frames(result.video, sample).values())),
        },
        "static": {**talking_head_metrics(static_landmarks, real_landmarks), "cpbd": cpbd([source])},
        "real": {"cpbd": cpbd(list(read_frames(path, real_sample).values()))},
        # Diagnostics: the landmarks the renderer was told to draw, scored the same way (no video, so
        # no CPBD), and how much the real and the commanded mouth open and close.
        "commanded": talking_head_metrics(commanded, real_landmarks),
        "mouth_opening_std": {
            "real": float(mouth_opening(real_landmarks).std()),
            "commanded": float(mouth_opening(commanded).std()),
        },
    }
    if keep_landmarks:
        row["landmarks"] = {"generated": gen_landmarks, "real": real_landmarks, "commanded": commanded}
    return row


def evaluate_talking_head(clips: list[Path], pipeline: StyleHeadPipeline, seed: int = 0,
                          progress: Callable[[dict], None] | None = None, **controls) -> dict:  # fmt: skip
    """Score every clip; ``{"summary": {method: metrics}, "clips": [...], "skipped": [...]}``."""
    with tempfile.TemporaryDirectory(prefix="stylehead-eval-") as work:
        rows, skipped = score_each(clips, lambda _, path: evaluate_clip(path, pipeline, Path(work), seed=seed,
                                                                        **controls), "clip", progress)  # fmt: skip
    summary = {}
    if rows:
        for method in METHODS:
            summary[method] = {key: float(np.mean([row[method][key] for row in rows])) for key in KEYS}
        summary["real"] = {"cpbd": float(np.mean([row["real"]["cpbd"] for row in rows]))}
        summary["commanded"] = {key: float(np.mean([row["commanded"][key] for row in rows])) for key in KEYS[:-1]}
        ratios = [row["mouth_opening_std"]["commanded"] / max(row["mouth_opening_std"]["real"], 1e-9) for row in rows]
        summary["mouth_opening_std_ratio"] = float(np.median(ratios))  # commanded / real, median over clips
    return {"summary": summary, "clips": rows, "skipped": skipped}
