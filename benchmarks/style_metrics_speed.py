"""Time SLD, SLV and SMD over the paper's whole grid (F = 1..100, v = 1..20) on a 30 s pair.

Target: under 10 s for two 30 s clips at 30 fps (900 frames each). The landmarks are synthetic
(the template face with drifting points and a moving mouth): the cost does not depend on them.

    python benchmarks/style_metrics_speed.py [--seconds 30 --fps 30]
"""

import argparse
import time

import numpy as np

from stylehead.evaluation.metrics import STYLE_STRIDES, STYLE_WINDOWS, style_metrics
from stylehead.face.pose import load_template


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--fps", type=float, default=30.0)
    args = parser.parse_args()
    frames = int(args.seconds * args.fps)
    rng = np.random.default_rng(0)
    face = load_template().points[:, :2] * 3 + 250
    reference = face[None] + rng.normal(0, 1, (frames, 68, 2)).cumsum(0) * 0.05
    generated = face[None] + rng.normal(0, 1, (frames, 68, 2)).cumsum(0) * 0.05
    started = time.perf_counter()
    values = style_metrics(reference, generated)
    elapsed = time.perf_counter() - started
    grid = len(STYLE_WINDOWS) * len(STYLE_STRIDES)
    print(f"{frames} + {frames} frames, {grid} (F, v) pairs: SLD {values['sld']:.3f}, SLV {values['slv']:.3f}, "
          f"SMD {values['smd']:.3f} in {elapsed:.2f} s (target < 10 s)")  # fmt: skip


if __name__ == "__main__":
    main()
