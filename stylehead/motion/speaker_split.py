"""Holding out by speaker, never by clip name.

Clip names do not identify people: the same speaker appears under several names (a talk-show host
in two corpora, one interviewee in two VoxCeleb2 clips, every GRID sentence). A split file names
the speakers to hold out and the table that says who speaks in each clip:

    speakers: speakers.tsv      # file<TAB>speaker, one line per clip; relative to the split file
    validation:                 # held-out speakers (a clip name stands for its speaker)
      - hdtf_wda_katiehill
      - grid

Every clip of a held-out speaker is held out, so no speaker is ever on both sides. A clip missing
from the table is its own speaker (a user's new clips).
"""

import csv
from dataclasses import dataclass
from pathlib import Path

import yaml


def read_speakers(path: str | Path) -> dict[str, str]:
    """Clip stem → speaker id, from a ``file<TAB>speaker`` table with a header line."""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return {Path(row["file"]).stem: row["speaker"] for row in rows}


@dataclass(frozen=True)
class SpeakerSplit:
    """Which speakers are held out, and who speaks in each known clip."""

    held_out: frozenset[str]  # speaker ids
    speaker_of: dict[str, str]  # clip stem → speaker id

    def speaker(self, clip: str) -> str:
        """The speaker of a clip (its stem, or a path); a clip not in the table is its own speaker."""
        stem = Path(clip).stem
        return self.speaker_of.get(stem, stem)

    def is_held_out(self, clip: str) -> bool:
        return self.speaker(clip) in self.held_out

    def divide(self, names: list[str]) -> tuple[list[str], list[str]]:
        """(training, held-out) clip names."""
        return [n for n in names if not self.is_held_out(n)], [n for n in names if self.is_held_out(n)]


def load_split(path: str | Path) -> SpeakerSplit:
    """A split file (see the module docstring) → :class:`SpeakerSplit`."""
    path = Path(path)
    values = yaml.safe_load(path.read_text()) or {}
    speaker_of = read_speakers(path.parent / values["speakers"]) if values.get("speakers") else {}
    held_out = frozenset(speaker_of.get(str(entry), str(entry)) for entry in values.get("validation") or [])
    return SpeakerSplit(held_out, speaker_of)
