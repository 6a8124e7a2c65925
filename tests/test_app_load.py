"""Sustained load (opt-in: ``pytest -m load``; CI runs it as its own step): benchmarks/app_load.py as a test.

20 requests from 4 concurrent gradio_client visitors against ``python app.py``: each is completed
with its own output (an mp4 with sound as long as its audio) or refused with the queue-full message;
peak memory and temporary disk are printed (``-s``) and bounded.
"""

import pytest

pytest.importorskip("gradio_client")
pytest.importorskip("psutil")

from benchmarks.app_load import run_load, summary

pytestmark = pytest.mark.load


@pytest.mark.parametrize("queue_size", [16, 1])
def test_twenty_requests_from_four_clients_complete_or_are_refused_in_words(queue_size):
    report = run_load(requests=20, clients=4, queue_size=queue_size)
    print("\n" + summary(report))
    counts = report["counts"]
    assert counts["failed"] == counts["wrong output"] == 0, report["failures"]
    assert counts["completed"] + counts["refused"] == 20
    if queue_size == 16:  # room for every visitor: nobody is turned away
        assert counts["completed"] == 20
    else:  # four visitors for one queue place: some are turned away, in words
        assert counts["refused"] > 0 and report["refusal_messages"] == ["Queue is full! Please try again."]
    assert report["peak_memory_mb"] < 3000 and report["peak_temp_mb"] < 100
    assert report["request_folders_kept"] == counts["completed"]  # failed or refused requests leave nothing
