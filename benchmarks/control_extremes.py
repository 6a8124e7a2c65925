"""Work is bounded: the time of one animation at each control's accepted extreme against the defaults, in one run.

    python benchmarks/control_extremes.py [--image examples/portrait.png] [--audio examples/speech.wav] [--seconds 4]

Every control is range-checked before any work (``stylehead/options.py``); within those ranges no
request should take more than a small multiple of the default's time (more frames at 60 fps, more
pixels at a larger size, are the user's choice and scale as such). Prints seconds and the ratio to
the default for each setting, each timed right after a default run (the faster of two tries of each),
so that a busy machine's drift does not show as a ratio.
"""

import argparse
import tempfile
import time
from pathlib import Path

from stylehead.media import read_audio
from stylehead.options import AnimateOptions, option_specs
from stylehead.pipeline import StyleHeadPipeline

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def extremes() -> list[tuple[str, dict, str | None]]:
    """(label, controls, style) for each numeric control at its low and high end, each choice, and the presets."""
    runs: list[tuple[str, dict, str | None]] = []
    for spec in option_specs():
        if spec.low is not None and spec.name != "seed":
            runs += [(f"{spec.name}={value:g}", {spec.name: spec.kind(value)}, None) for value in (spec.low, spec.high)]
        elif spec.choices is not None and spec.name not in ("renderer", "size"):
            runs += [(f"{spec.name}={value}", {spec.name: value}, None) for value in spec.choices
                     if value != spec.default]  # fmt: skip
    runs += [("seed=2147483647", {"seed": 2**31 - 1}, None), ("still", {"still": True}, None)]
    runs += [("style furious, strength 1.5, head 2, mouth 2", {"style_strength": 1.5, "head_motion_scale": 2.0,
                                                                  "mouth_scale": 2.0}, "furious")]  # fmt: skip
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", type=Path, default=EXAMPLES / "portrait.png")
    parser.add_argument("--audio", type=Path, default=EXAMPLES / "speech.wav")
    parser.add_argument("--seconds", type=float, default=4.0, help="of the audio, from its start")
    args = parser.parse_args()
    pipe = StyleHeadPipeline.from_pretrained()
    audio = read_audio(args.audio)[: int(args.seconds * 16_000)]
    base = AnimateOptions(size="256")
    with tempfile.TemporaryDirectory() as folder:

        def timed(index: int, controls: dict, style: str | None) -> float:
            started = time.perf_counter()
            pipe(args.image, audio, Path(folder) / f"{index}.mp4", base.replace(**controls), style=style,
                 overwrite=True)
            return time.perf_counter() - started

        timed(-1, {}, None)  # warm-up: models and the face detector load

        def paired(index: int, controls: dict, style: str | None) -> tuple[float, float]:
            """(seconds, ratio to a default run made right before it): the faster of two tries of each."""
            tries = [(timed(index, {}, None), timed(index, controls, style)) for _ in range(2)]
            default, seconds = min(t[0] for t in tries), min(t[1] for t in tries)
            return seconds, seconds / default

        print(f"{'setting (256 px crop, ' + f'{args.seconds:g} s of audio)':<50}{'seconds':>9}{'x default':>11}")
        worst = ("", 0.0)
        for index, (label, controls, style) in enumerate(extremes(), start=1):
            seconds, ratio = paired(index, controls, style)
            worst = max(worst, (label, ratio), key=lambda item: item[1])
            print(f"{label:<50}{seconds:>9.2f}{ratio:>11.2f}")
        print(f"slowest: {worst[0]} at {worst[1]:.2f}x the default")


if __name__ == "__main__":
    main()
