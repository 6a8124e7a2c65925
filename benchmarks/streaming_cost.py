"""What a live mode would pay per update: the motion models on windows of recent audio, stage by stage.

    python benchmarks/streaming_cost.py [--audio examples/speech.wav] [--seconds 1 2 4 8]

A streaming talking head recomputes the motion of a window of the most recent audio at every hop
(issue 23). This times, for windows of several lengths, the audio features (log-mel and the Whisper
speech encoder, which always reads a 30 s window, padded), the mouth and eye generator, the head
pose model, and the whole motion call, each the faster of two runs after a warm-up. It bounds the
hop a 2-core CPU can sustain while it also renders: compute per update must stay well under the hop.
"""

import argparse
import time
from pathlib import Path

import torch

from stylehead.media import read_audio
from stylehead.motion.audio_to_motion import AudioToMotion
from stylehead.motion.data import MotionControls

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def best_of(function, runs: int = 2) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--audio", type=Path, default=EXAMPLES / "speech.wav")
    parser.add_argument("--seconds", type=float, nargs="+", default=[1.0, 2.0, 4.0, 8.0])
    args = parser.parse_args()
    model = AudioToMotion.from_pretrained()
    audio = read_audio(args.audio)
    print(f"torch threads {torch.get_num_threads()}; features read: {', '.join(sorted(model.features_needed))}")
    print(f"{'window':>8}{'features':>10}{'generator':>11}{'head pose':>11}{'motion':>9}  (seconds)")
    for seconds in args.seconds:
        window = audio[: int(seconds * 16_000)]
        model(window)  # warm-up
        features = model.audio_features(window)
        timings = (
            best_of(lambda: model.audio_features(window)),  # noqa: B023 (used at once)
            best_of(lambda: model.mouth_and_eyes(features)),  # noqa: B023
            best_of(lambda: model.head_poses(features, MotionControls())),  # noqa: B023
            best_of(lambda: model(window)),  # noqa: B023
        )
        print(f"{seconds:>7g}s" + "".join(f"{t:>{w}.3f}" for t, w in zip(timings, (10, 11, 11, 9), strict=True)))


if __name__ == "__main__":
    main()
