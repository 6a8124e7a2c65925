"""How far real talkers' mouth, jaw and eye points move from their rest, against how far the models move them.

    python benchmarks/displacement_range.py [--data runs/data] [--weights BUNDLE] [--pack PACK --audio AUDIO]

For each preprocessed training clip (``train/preprocess.py`` output), every frame's largest move of the
generator's points from the clip's median face (mm, in the face frame), pooled over clips: the
percentiles that ``stylehead/motion/displacement_limit.py`` is set against. With ``--audio``, the same
for the motion a bundle (and a style pack) makes from that audio, before the limit, frame by frame
over its first 90 frames (60 fps) and after.
"""

import argparse
from pathlib import Path

import numpy as np

from stylehead.motion.mouth_eye_generator import MouthEyeGeneratorConfig

POINTS = list(MouthEyeGeneratorConfig().points)


def real_moves(data: Path) -> np.ndarray:
    moves = []
    for path in sorted(data.glob("*.npz")):
        clip = np.load(path)
        faces = clip["face_points"][clip["valid"].astype(bool)][:, POINTS]
        if len(faces) >= 10:
            moves.append(np.linalg.norm(faces - np.median(faces, 0), axis=-1).max(1))
    return np.concatenate(moves)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("runs/data"))
    parser.add_argument("--weights", help="weights folder or Hub id (default: bundled)")
    parser.add_argument("--pack", help="a style pack or preset name to apply")
    parser.add_argument("--audio", type=Path, help="audio to generate from")
    args = parser.parse_args()

    moves = real_moves(args.data)
    p50, p99, p999, top = np.percentile(moves, [50, 99, 99.9, 100])
    print(f"real talkers ({len(moves)} frames): largest point move from rest per frame, mm: "
          f"median {p50:.1f}, 99% {p99:.1f}, 99.9% {p999:.1f}, max {top:.1f}")  # fmt: skip
    if args.audio is not None:
        from stylehead.media import read_audio
        from stylehead.motion.audio_to_motion import AudioToMotion
        from stylehead.motion.data import MotionControls
        from stylehead.style.library import load_style, styled
        from stylehead.style.models import StyleModels

        model = AudioToMotion.from_pretrained(args.weights)
        if args.pack:
            model, _ = styled(model, load_style(args.pack, StyleModels.from_pretrained(motion=model)), MotionControls())
        generated = model.mouth_and_eyes(model.audio_features(read_audio(args.audio)))  # before the limit
        frames = np.linalg.norm(generated, axis=-1).max(1)
        start = " ".join(f"{v:.1f}" for v in frames[:90:6])
        print(f"generated ({args.pack or 'no style'}), frames 0-90 every 6: {start}; "
              f"later median {np.median(frames[90:]):.1f}, max {frames[90:].max():.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
