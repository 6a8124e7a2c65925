"""Does the mouth follow the sound on audio the models never heard: other languages, singing, a long song?

    python benchmarks/mouth_follows_sound.py --audio ../shared/data/audio [--weights BUNDLE ...]

There is no video of these clips, so the reference is the sound itself. For every audio file, and
for each weights bundle (the bundled one by default; give the previous bundle too to compare in one
run), the commanded mouth of the template face is compared with the clip's loudness:

- r: Pearson correlation of the mouth opening with the RMS envelope (60 fps, lightly smoothed), a
  mouth that opens on sound and closes in pauses scores well above 0;
- open on sound / in pauses: the mean opening (% of the interocular distance, above the rest
  mouth) over frames louder than half the clip's 95th-percentile RMS, and over frames quieter than
  5% of it (the clip's pauses; "-" when it has none);
- spread: the standard deviation of the opening (% IOD); real speakers in ../shared/data/train have
  a median of 4.6 (10-90%: 2.3-7.3).
"""

import argparse
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter1d

from stylehead.audio.phones import frame_rms
from stylehead.correlation import pearson
from stylehead.face.landmarks import mouth_opening
from stylehead.face.pose import load_template
from stylehead.face.rest_shape import apply_displacements
from stylehead.media import AUDIO_SUFFIXES, read_audio
from stylehead.motion.audio_to_motion import AudioToMotion
from stylehead.motion.data import MotionControls


def follow(model: AudioToMotion, audio: np.ndarray, rest: np.ndarray) -> dict[str, float]:
    motion = model(audio, MotionControls(still=True))
    opening = mouth_opening(apply_displacements(rest, motion.displacement, motion.points)[..., :2])
    opening = 100 * (opening - mouth_opening(rest[None, :, :2])[0])
    loudness = gaussian_filter1d(frame_rms(audio, len(opening)), 2.0)
    reference = max(float(np.percentile(loudness, 95)), 1e-6)
    loud, quiet = loudness > 0.5 * reference, loudness < 0.05 * reference
    return {
        "r": pearson(opening, loudness),
        "open_on_sound": float(opening[loud].mean()),
        "open_in_pauses": float(opening[quiet].mean()) if quiet.sum() >= 6 else float("nan"),
        "spread": float(opening.std()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--audio", type=Path, default=Path("../shared/data/audio"), help="a folder of audio files")
    parser.add_argument("--weights", nargs="*", default=[None], help="weights bundles (default: the bundled one)")
    args = parser.parse_args()
    rest = load_template().points.astype(np.float32)
    files = sorted(p for p in args.audio.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
    models = {str(w or "bundled"): AudioToMotion.from_pretrained(w) for w in args.weights}
    print(f"{'audio':40s} {'weights':24s} {'r':>6s} {'open on sound':>14s} {'in pauses':>10s} {'spread':>7s}")
    rows: dict[str, list] = {name: [] for name in models}
    for path in files:
        audio = read_audio(path)
        for name, model in models.items():
            row = follow(model, audio, rest)
            rows[name].append(row)
            pauses = "-" if np.isnan(row["open_in_pauses"]) else f"{row['open_in_pauses']:.2f}"
            print(f"{path.name[:40]:40s} {name[-24:]:24s} {row['r']:6.3f} {row['open_on_sound']:14.2f} "
                  f"{pauses:>10s} {row['spread']:7.2f}")  # fmt: skip
    for name, values in rows.items():
        print(
            f"mean over {len(values)} clips, {name}: r {np.mean([v['r'] for v in values]):.3f} "
            f"(lowest {min(v['r'] for v in values):.3f}), spread {np.mean([v['spread'] for v in values]):.2f}"
        )


if __name__ == "__main__":
    main()
