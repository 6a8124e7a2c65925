"""Time `learn-style` on a 30 s reference video with sound, stage by stage (target: at most 90 s).

The reference is made here: the bundled example portrait animated by the pipeline on the example
speech, looped to the length asked for (256×256, 25 fps), so the benchmark needs nothing from
outside the repository. Pass --video to time a real reference instead. In the same run, tracking the
video alone is timed as the floor: the share of the total that is learning.

    python benchmarks/learn_style_speed.py [--seconds 30] [--video ref.mp4]
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from stylehead import StyleHeadPipeline
from stylehead.face.tracking import track_video
from stylehead.media import read_audio
from stylehead.media.ffmpeg import probe
from stylehead.motion.audio_to_motion import AudioToMotion
from stylehead.style.learn import learn_style
from stylehead.style.models import StyleModels

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def make_reference(folder: Path, seconds: float) -> Path:
    speech = read_audio(EXAMPLES / "speech.wav")
    audio = np.resize(speech, int(seconds * 16000)).astype(np.float32)
    output = folder / "reference.mp4"
    StyleHeadPipeline.from_pretrained()(EXAMPLES / "portrait.png", audio, output, fps=25, size=256, seed=1)
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--video", type=Path, help="a reference video to time instead of the generated one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        video = args.video or make_reference(Path(folder), args.seconds)
        model = AudioToMotion.from_pretrained()
        started = time.perf_counter()
        track_video(video)
        floor = time.perf_counter() - started
        stages: dict[str, float] = {}
        last = [time.perf_counter()]

        def progress(stage: str, done: int, total: int) -> None:
            now = time.perf_counter()
            stages[stage] = stages.get(stage, 0.0) + now - last[0]
            last[0] = now

        started = last[0] = time.perf_counter()
        pack = learn_style(video, StyleModels.from_pretrained(motion=model), progress=progress)
        total = time.perf_counter() - started
        duration = probe(video).duration
    # time between progress reports, by the stage reported: "fine-tune" includes the audio features
    detail = ", ".join(f"{k} {v:.1f} s" for k, v in stages.items())
    print(f"learn-style on a {duration:.1f} s reference: {total:.1f} s in all (target <= 90 s); "
          f"tracking alone {floor:.1f} s ({100 * floor / total:.0f}% of it); by stage: {detail}")  # fmt: skip
    print(f"  learned: {'; '.join(pack.learned)}; pack of {sum(v.size for v in pack.deltas.values())} weight changes")


if __name__ == "__main__":
    main()
