"""Checks on the real media in ../shared/data (opt in: ``pytest -m data``; skipped when absent)."""

import pytest

from benchmarks.face_coverage import portrait_coverage, video_coverage
from tests.conftest import SHARED_DATA

pytestmark = [
    pytest.mark.data,
    pytest.mark.skipif(not SHARED_DATA.exists(), reason="../shared/data is not present"),
]


def test_faces_found_on_at_least_19_of_21_portraits():
    found, total, misses = portrait_coverage(SHARED_DATA / "portraits")
    assert total == 21
    assert found >= 19, misses
    assert all(m.startswith("No face was found") for m in misses)


def test_training_videos_are_at_least_95_percent_valid():
    valid, total, rows = video_coverage(SHARED_DATA / "train")
    assert total > 10_000
    assert valid / total >= 0.95, [r for r in rows if r[1] < r[2]]
