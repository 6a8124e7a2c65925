"""Split the training clips into k folds by speaker, balanced by duration, for cross-validation.

    python train/make_folds.py --clips ../shared/data/train --speakers train/configs/speakers.tsv \
        --output train/configs/experiments/folds --folds 4

Speakers are taken from the longest to the shortest and each goes to the fold with the least audio
so far (ties: the lowest fold number), so every clip of a speaker lands in one fold and the folds
hold about the same amount of speech. The rule uses only durations, never a score. Writes
``fold<k>.yaml`` split files (``validation`` = the fold's speakers).
"""

import argparse
from pathlib import Path

from stylehead.media import VIDEO_SUFFIXES
from stylehead.media.ffmpeg import probe
from stylehead.motion.speaker_split import read_speakers


def balanced_folds(durations: dict[str, float], speaker_of: dict[str, str], folds: int) -> list[list[str]]:
    """Speakers of the clips in ``durations`` (stem → seconds) dealt into ``folds`` lists."""
    totals: dict[str, float] = {}
    for clip, seconds in durations.items():
        speaker = speaker_of.get(clip, clip)
        totals[speaker] = totals.get(speaker, 0.0) + seconds
    result: list[list[str]] = [[] for _ in range(folds)]
    load = [0.0] * folds
    for speaker in sorted(totals, key=lambda s: (-totals[s], s)):
        k = min(range(folds), key=lambda i: (load[i], i))
        result[k].append(speaker)
        load[k] += totals[speaker]
    return [sorted(fold) for fold in result]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=Path, required=True)
    parser.add_argument("--speakers", type=Path, default=Path("train/configs/speakers.tsv"))
    parser.add_argument("--output", type=Path, default=Path("train/configs/experiments/folds"))
    parser.add_argument("--folds", type=int, default=4)
    args = parser.parse_args()
    clips = sorted(p for p in args.clips.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
    durations = {p.stem: probe(p).duration or 0.0 for p in clips}
    speaker_of = read_speakers(args.speakers)
    args.output.mkdir(parents=True, exist_ok=True)
    table = Path("..") / ".." / args.speakers.name if args.output.parent.name == "experiments" else args.speakers
    for k, speakers in enumerate(balanced_folds(durations, speaker_of, args.folds)):
        seconds = sum(d for c, d in durations.items() if speaker_of.get(c, c) in speakers)
        lines = [f"# {args.folds}-fold cross-validation by speaker (train/make_folds.py), fold {k}: these speakers",
                 f"# are held out ({seconds:.0f} s of video).", f"speakers: {table.as_posix()}", "validation:"]
        lines += [f"  - {speaker}" for speaker in speakers]
        (args.output / f"fold{k}.yaml").write_text("\n".join(lines) + "\n")
        print(f"fold {k}: {len(speakers)} speakers, {seconds:.0f} s")


if __name__ == "__main__":
    main()
