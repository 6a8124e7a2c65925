"""Every split holds speakers out, never clip names: no speaker is ever on both sides."""

from pathlib import Path

import pytest

from stylehead.motion.speaker_split import load_split, read_speakers
from tests.conftest import REPO, SHARED_DATA

CONFIGS = REPO / "train" / "configs"
SPLIT_FILES = [CONFIGS / "split.yaml", CONFIGS / "experiments" / "dev_split.yaml",
               *sorted((CONFIGS / "experiments" / "folds").glob("fold*.yaml"))]  # fmt: skip
TABLE = read_speakers(CONFIGS / "speakers.tsv")


def training_clip_names() -> list[str]:
    with open(CONFIGS / "speakers.tsv") as handle:
        rows = [line.split("\t")[0] for line in handle.read().splitlines()[1:]]
    return [Path(row).stem for row in rows if row.startswith("train/")]


@pytest.mark.parametrize("path", SPLIT_FILES, ids=lambda p: p.stem)
def test_no_speaker_is_on_both_sides_of_a_split(path):
    split = load_split(path)
    training, held_out = split.divide(training_clip_names())
    assert held_out and training
    assert not {split.speaker(n) for n in training} & {split.speaker(n) for n in held_out}
    assert split.held_out <= set(TABLE.values()), "a split names a speaker the table does not know"


def test_a_clip_name_holds_out_every_clip_of_its_speaker(tmp_path):
    (tmp_path / "who.tsv").write_text("file\tspeaker\ntrain/a.mp4\tann\ntrain/b.mov\tann\ntrain/c.mp4\tcy\n")
    (tmp_path / "split.yaml").write_text("speakers: who.tsv\nvalidation: [a]\n")
    split = load_split(tmp_path / "split.yaml")
    assert split.divide(["a", "b", "c", "new"]) == (["c", "new"], ["a", "b"])
    assert split.speaker("new_clip.mp4") == "new_clip"  # a clip the table does not know is its own speaker


def test_the_validation_split_has_eight_speakers_with_one_clip_each():
    split = load_split(CONFIGS / "split.yaml")
    _, held_out = split.divide(training_clip_names())
    assert len(split.held_out) == len(held_out) == 8


def test_the_folds_cover_every_training_clip_once():
    names = training_clip_names()
    folds = [load_split(p) for p in sorted((CONFIGS / "experiments" / "folds").glob("fold*.yaml"))]
    assert len(folds) == 4
    counts = {n: sum(fold.is_held_out(n) for fold in folds) for n in names}
    assert set(counts.values()) == {1}, [n for n, c in counts.items() if c != 1]


@pytest.mark.data
def test_the_speaker_table_is_the_shared_datas():
    if not (SHARED_DATA / "speakers.tsv").exists():
        pytest.skip("../shared/data is absent")
    assert read_speakers(SHARED_DATA / "speakers.tsv") == TABLE
    on_disk = sorted(p.stem for p in (SHARED_DATA / "train").iterdir())
    assert on_disk == sorted(training_clip_names())
