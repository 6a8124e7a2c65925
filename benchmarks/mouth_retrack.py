"""How open does dlib read the rendered mouth, against how open it was commanded?

For each clip: its first frame is animated with the first seconds of its own audio (crop mode,
256 px), the written mp4 is re-tracked, and the mean re-tracked / commanded mouth opening (1 is
faithful) and their Pearson r are printed, then the medians and means over clips. ``--fade-in``
compares values of the mouth interior's fade-in (``stylehead.render.mouth_interior.FADE_IN``, set
for the run); the shipped value was chosen with this script on the training clips below.

    python benchmarks/mouth_retrack.py --fade-in 0.02 0.2 0.3
"""

import argparse
import tempfile
from pathlib import Path

import numpy as np

from stylehead.evaluation.render_fidelity import retrack_fidelity
from stylehead.face.tracking import track_video
from stylehead.media import VideoReader, read_audio
from stylehead.pipeline import StyleHeadPipeline
from stylehead.render import mouth_interior

TRAINING_CLIPS = ("megactor_CHTF_2.mp4", "lrs2_deepavsr_00008.mp4", "vox2_pcavs_00086.mp4",
                  "styletalk_andrew_clip_1.mp4", "hdtf_rdradio10_clip0.mp4")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=Path, default=Path("../shared/data/train"))
    parser.add_argument("--names", nargs="*", default=list(TRAINING_CLIPS))
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--fade-in", type=float, nargs="*", default=[mouth_interior.FADE_IN])
    args = parser.parse_args()
    pipeline = StyleHeadPipeline.from_pretrained()
    for fade_in in args.fade_in:
        mouth_interior.FADE_IN = fade_in
        ratios, correlations = [], []
        for name in args.names:
            path = args.clips / name
            source = next(iter(VideoReader(path)))
            audio = read_audio(path)[: int(args.seconds * 16_000)]
            with tempfile.TemporaryDirectory() as work:
                result = pipeline(source, audio, Path(work) / "out.mp4", fps=25, size=256)
                track = track_video(result.video)
            count = min(len(track), len(result.landmarks))
            scores = retrack_fidelity(track.landmarks[:count], track.valid[:count], result.landmarks[:count])
            ratios.append(scores["opening_ratio"])
            correlations.append(scores["mouth_corr"])
            print(f"fade-in {fade_in:g}  {name:<32} re-tracked/commanded {ratios[-1]:.3f}  r {correlations[-1]:.3f}")
        print(f"fade-in {fade_in:g}: median ratio {np.median(ratios):.3f}, mean r {np.mean(correlations):.3f}")


if __name__ == "__main__":
    main()
