"""Why `evaluate talking-head` gives the D-A it gives: the mouth's opening level, closure and rendering.

For each clip, as in ``python -m stylehead evaluate talking-head`` (same pipeline, seed and controls),
from the paired landmarks that were scored:

- ``D-A``; ``D-A static``, the static baseline's; ``D-A commanded``, of the landmarks the renderer
  was told to draw (the gap between the two is what rendering and re-tracking cost); and
  ``D-A level-shifted``: the generated inner-lip areas moved to the real clip's mean area, i.e. the
  error left once each speaker's own opening level is known (the audio does not say it; the static
  baseline's first frame does);
- ``gen/real area``: the generated mean inner-lip area over the real one;
- ``rendered/commanded``: the re-tracked mean area over the one the renderer was told to draw;
- the 5% quantile of the inner-lip gap (in interocular distances) of the real and the commanded
  mouth: how far each closes;
- LMD of the rendered and of the commanded landmarks.

    python benchmarks/talking_head_diagnostics.py --clips runs/validation_clips [--head-motion-scale 0]
    STYLEHEAD_WEIGHTS=runs/dev_bundle python benchmarks/talking_head_diagnostics.py --clips runs/dev_clips
"""

import argparse
import tempfile
from pathlib import Path

import numpy as np

from stylehead.errors import StyleheadError
from stylehead.evaluation.metrics import normalise_landmarks, polygon_area, talking_head_metrics
from stylehead.evaluation.talking_head import evaluate_clip
from stylehead.face.landmarks import INNER_LIPS, mouth_opening
from stylehead.media import VIDEO_SUFFIXES
from stylehead.pipeline import StyleHeadPipeline


def areas(landmarks: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Inner-lip polygon area of each frame, pose removed as the metric does it."""
    return polygon_area(normalise_landmarks(landmarks, reference)[:, list(INNER_LIPS)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=Path, default=Path("runs/validation_clips"))
    parser.add_argument("--head-motion-scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    pipeline = StyleHeadPipeline.from_pretrained()
    clips = sorted(p for p in args.clips.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
    columns = ("D-A", "D-A static", "D-A commanded", "D-A level-shifted", "gen/real area", "rendered/commanded",
               "real gap 5%", "commanded gap 5%", "LMD", "LMD commanded")  # fmt: skip
    print(f"{'clip':<32}" + "".join(f"{c:>20}" for c in columns))
    rows = []
    with tempfile.TemporaryDirectory(prefix="stylehead-diagnostics-") as work:
        for path in clips:
            try:
                row = evaluate_clip(path, pipeline, Path(work), seed=args.seed, keep_landmarks=True,
                                    head_motion_scale=args.head_motion_scale)  # fmt: skip
            except StyleheadError as err:
                print(f"{path.name}: skipped ({err})")
                continue
            marks = row["landmarks"]
            reference = marks["real"][0, :, :2].astype(np.float64)
            real, generated, commanded = (areas(marks[k], reference) for k in ("real", "generated", "commanded"))
            scale = max(real.mean(), 1e-9)
            values = (
                np.abs(generated - real).mean() / scale * 100,
                row["static"]["da"],
                row["commanded"]["da"],
                np.abs(generated - generated.mean() + real.mean() - real).mean() / scale * 100,
                generated.mean() / scale,
                generated.mean() / max(commanded.mean(), 1e-9),
                np.quantile(mouth_opening(marks["real"][..., :2]), 0.05),
                np.quantile(mouth_opening(marks["commanded"][..., :2]), 0.05),
                row["model"]["lmd"],
                talking_head_metrics(marks["commanded"], marks["real"])["lmd"],
            )
            rows.append(values)
            print(f"{path.name[:32]:<32}" + "".join(f"{v:>20.3f}" for v in values), flush=True)
    if rows:
        print(f"{'mean':<32}" + "".join(f"{v:>20.3f}" for v in np.mean(rows, axis=0)))


if __name__ == "__main__":
    main()
