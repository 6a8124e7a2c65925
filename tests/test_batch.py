"""``batch``: manifests, claims and resuming, the summary, and a real 2-process ``accelerate launch`` killed and rerun.

Most tests run the batch in this process with a stand-in pipeline that writes a small file where the
video goes (the batch's own logic, in milliseconds); one runs the real models in-process, and the
last launches the command as a user would.
"""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from stylehead.batch import Job, plan, read_manifest, run
from stylehead.batch.manifest import job_id, plan_jobs
from stylehead.batch.processes import ProcessGroup
from stylehead.batch.records import STATE_FOLDER, BatchRecords
from stylehead.cli import main
from stylehead.errors import NoFaceError, StyleheadError
from stylehead.media import read_audio, write_wav
from stylehead.media.files import atomic_output, check_writable
from stylehead.options import AnimateOptions

ROOT = Path(__file__).resolve().parents[1]


class StandInPipeline:
    """Writes ``image|audio|seed`` where the video goes (through the same hidden-name commit), or fails as the
    real one does for a picture named ``sky*``; counts its calls."""

    def __init__(self):
        self.calls: list[Path] = []

    def __call__(self, image, audio, output, options, *, style, max_seconds, overwrite, contact_sheet):
        self.calls.append(Path(output))
        if Path(image).name.startswith("sky"):
            raise NoFaceError(f"No face was found in {Path(image).name}; use a clear, well-lit photo.")
        output = check_writable(output, overwrite=overwrite, suffixes=(".mp4",))
        with atomic_output(output, overwrite=overwrite) as partial:
            partial.write_text(f"{Path(image).name}|{Path(audio).name}|{options.seed}|{options.mouth_scale}")


@pytest.fixture
def folder(tmp_path) -> Path:
    """A folder with two pictures and a sound, as a manifest names them (the files are never opened here)."""
    (tmp_path / "media").mkdir()
    for name in ("me.png", "sky.png", "hello.wav"):
        (tmp_path / "media" / name).write_bytes(b"x")
    return tmp_path


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(rows) + "\n")
    return path


# --- the manifest -----------------------------------------------------------------------------------------------


def test_a_csv_manifest_reads_paths_from_its_folder_and_each_control_as_its_kind(folder):
    manifest = write_csv(folder / "jobs.csv", [
        "image,audio,style,mouth-scale,seed,still,size,blink_rate,output",
        "media/me.png,media/hello.wav,singing,1.2,3,yes,256,,first.mp4",
        "media/me.png,media/hello.wav,,,,,,,",
    ])  # fmt: skip
    first, second = plan(manifest, folder / "out")
    assert first.problem is None and second.problem is None
    assert first.image == folder / "media" / "me.png" and first.audio == folder / "media" / "hello.wav"
    assert first.style == "singing" and first.output == folder / "out" / "first.mp4"
    assert first.options == AnimateOptions(mouth_scale=1.2, seed=3, still=True, size="256")
    assert first.options.blink_rate is None  # an empty cell: the style's own
    assert second.options == AnimateOptions() and second.output == folder / "out" / "0002-me.mp4"
    assert first.number == 1 and len({first.id, second.id}) == 2


def test_a_jsonl_manifest_takes_typed_values_and_a_broken_line_fails_only_its_job(folder):
    manifest = folder / "jobs.jsonl"
    manifest.write_text("\n".join([
        json.dumps({"image": "media/me.png", "audio": "media/hello.wav", "seed": 7, "size": 256, "still": False}),
        "{not json",
        "",
        json.dumps({"image": str(folder / "media" / "me.png"), "audio": "media/hello.wav", "mouth_scale": "0.5"}),
    ]))  # fmt: skip
    first, broken, third = plan(manifest, folder / "out")
    assert first.options == AnimateOptions(seed=7, size="256") and first.image == folder / "media" / "me.png"
    assert broken.problem == "Line 2 is not a JSON object of the job's columns."
    assert third.options.mouth_scale == 0.5 and third.number == 3


def test_an_unknown_column_or_a_bad_value_is_that_jobs_error_not_the_batchs(folder):
    manifest = write_csv(folder / "jobs.csv", [
        "image,audio,mouth_scale,seed,mouht_scale,output",
        "media/me.png,media/hello.wav,1.0,1,,a.mp4",
        "media/me.png,media/hello.wav,,2,1.5,b.mp4",
        "media/me.png,media/hello.wav,9,3,,c.mp4",
        "media/me.png,media/hello.wav,big,4,,d.mp4",
        "media/me.png,media/hello.wav,1,4.5,,e.mp4",
        "media/me.png,media/hello.wav,1,5,,a.mp4",
        "media/me.png,media/hello.wav,1,6,,../f.mp4",
        "media/me.png,,1,7,,g.mp4",
    ])  # fmt: skip
    problems = [job.problem for job in plan(manifest, folder / "out")]
    assert problems[0] is None
    assert problems[1].startswith("There is no option 'mouht_scale'")
    assert problems[2] == "mouth_scale (--mouth-scale) must be between 0 and 2 (got 9.0)."
    assert problems[3] == "mouth_scale (--mouth-scale) must be a number (got 'big')."
    assert problems[4] == "seed (--seed) must be an integer (got 4.5)."
    assert problems[5] == "Job 1 writes a.mp4 too; give each job its own output name."
    assert "not a plain name inside the output folder" in problems[6]
    assert problems[7] == "Job 8 has no audio; give its audio file."
    assert all(p is None or (p.count(". ") == 0 and p.endswith(".")) for p in problems)  # one sentence each


@pytest.mark.parametrize(("name", "text", "message"), [
    ("missing.csv", None, "does not exist"),
    ("empty.csv", "", "has no jobs"),
    ("header_only.csv", "image,audio\n", "has no jobs"),
    ("no_image.csv", "picture,audio\nme.png,hello.wav\n", "has no image column"),
    ("no_image.jsonl", '{"picture": "me.png", "audio": "a.wav"}\n', "has no image column"),
    ("jobs.txt", "image,audio\nme.png,hello.wav\n", "should end in .csv or .jsonl"),
])  # fmt: skip
def test_a_manifest_that_is_wrong_as_a_whole_is_refused_before_any_work(tmp_path, name, text, message):
    if text is not None:
        (tmp_path / name).write_text(text)
    with pytest.raises(StyleheadError, match=message):
        read_manifest(tmp_path / name)


@pytest.mark.parametrize(("text", "message"), [
    (None, "The manifest .*jobs.csv does not exist"),
    ("", "The manifest jobs.csv has no jobs"),
    ("picture,audio\nme.png,hello.wav\n", "The manifest jobs.csv has no image column"),
])  # fmt: skip
def test_the_command_gives_one_error_line_and_exit_2_for_a_bad_manifest(tmp_path, capsys, text, message):
    import re

    if text is not None:
        (tmp_path / "jobs.csv").write_text(text)
    code = main(["batch", str(tmp_path / "jobs.csv"), "--output-dir", str(tmp_path / "out")])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and re.search(message, lines[0]), err
    assert not (tmp_path / "out").exists()  # refused before anything was made


def test_a_jobs_id_follows_its_content_and_its_place():
    row = {"image": "me.png", "audio": "a.wav", "seed": "1"}
    assert job_id(1, row) == job_id(1, {**row, "style": ""})  # an empty cell is no content
    assert len({job_id(1, row), job_id(2, row), job_id(1, {**row, "seed": "2"})}) == 3


# --- claims and records -----------------------------------------------------------------------------------------


def test_a_claim_is_exclusive_while_held_and_a_dead_processs_claim_is_taken_over(tmp_path):
    (job,) = plan_jobs([{"image": "me.png", "audio": "a.wav"}], tmp_path, tmp_path)
    records, others = BatchRecords(tmp_path, 0), BatchRecords(tmp_path, 1)
    claim = records.claim(job)
    assert claim is not None and claim.previous is None
    assert others.claim(job) is None  # held (locked) by a live claim
    claim.release()
    assert not claim.path.exists()
    again = others.claim(job)
    assert again is not None and again.previous is None
    again.release()
    # a process killed while making the job leaves its claim file, unlocked, and a partial video
    stale = tmp_path / STATE_FOLDER / "claims" / job.id
    stale.write_text(json.dumps({"pid": 1, "started": 0.0, "output_before": None}))
    (tmp_path / f".{job.output.stem}.0123456789ab.partial.mp4").write_bytes(b"half")
    taken = records.claim(job)
    assert taken is not None and taken.previous["pid"] == 1
    records.remove_partials(job)
    assert not list(tmp_path.glob("*.partial.mp4"))
    taken.release()


def test_a_done_record_holds_while_its_video_is_there_unchanged(tmp_path):
    (job,) = plan_jobs([{"image": "me.png", "audio": "a.wav", "output": "v.mp4"}], tmp_path, tmp_path)
    records = BatchRecords(tmp_path, 0)
    job.output.write_bytes(b"video")
    records.record_done(job, 1.5)
    assert records.finished(job).seconds == 1.5 and records.finished(job).output == "v.mp4"
    job.output.write_bytes(b"another video")  # replaced by someone: the job is made again
    assert records.finished(job) is None
    job.output.unlink()
    assert records.finished(job) is None


def test_a_video_put_in_place_by_a_process_that_died_before_recording_it_is_adopted(tmp_path):
    (job,) = plan_jobs([{"image": "me.png", "audio": "a.wav", "output": "v.mp4"}], tmp_path, tmp_path)
    records = BatchRecords(tmp_path, 0)
    claim = records.claim(job)
    assert records.adopt(job, claim.note) is None  # nothing there yet
    job.output.write_bytes(b"video")
    assert records.adopt(job, claim.note).output == "v.mp4"
    claim.release()


def test_jobs_are_dealt_out_by_number():
    jobs = list(range(1, 8))
    assert [ProcessGroup(i, 3).share(jobs) for i in range(3)] == [[1, 4, 7], [2, 5], [3, 6]]


# --- running, resuming, the summary -----------------------------------------------------------------------------


def test_a_failing_job_is_recorded_and_the_batch_goes_on_then_a_rerun_makes_only_what_is_missing(folder):
    manifest = write_csv(folder / "jobs.csv", [
        "image,audio,seed,mouth_scale",
        "media/me.png,media/hello.wav,1,",
        "media/sky.png,media/hello.wav,2,",
        "media/me.png,media/hello.wav,3,7",
        "media/me.png,media/hello.wav,4,0.5",
    ])  # fmt: skip
    out = folder / "out"
    pipe = StandInPipeline()
    summary = run(manifest, out, pipeline=pipe, options=AnimateOptions(size="256"))
    assert [job.status for job in summary.jobs] == ["done", "failed", "failed", "done"]
    assert summary.jobs[1].error.startswith("No face was found in sky.png")
    assert summary.jobs[2].error == "mouth_scale (--mouth-scale) must be between 0 and 2 (got 7.0)."
    assert len(pipe.calls) == 3  # the out-of-range job never reached the pipeline
    assert (out / "0004-me.mp4").read_text() == "me.png|hello.wav|4|0.5"
    assert summary.counts == {"done": 2, "skipped": 0, "failed": 2, "busy": 0}
    assert sorted(p.name for p in out.iterdir()) == [".stylehead-batch", "0001-me.mp4", "0004-me.mp4", "summary.csv",
                                                     "summary.json"]  # fmt: skip

    with (out / "summary.csv").open() as handle:
        table = list(csv.DictReader(handle))
    assert [row["status"] for row in table] == ["done", "failed", "failed", "done"]
    assert table[0]["output"] == "0001-me.mp4" and float(table[0]["seconds"]) >= 0 and table[0]["error"] == ""
    report = json.loads((out / "summary.json").read_text())
    assert report["counts"] == summary.counts and report["jobs"][1]["error"] == summary.jobs[1].error

    first = (out / "0001-me.mp4").stat()
    (out / "0004-me.mp4").unlink()  # removed since: made again
    pipe = StandInPipeline()
    again = run(manifest, out, pipeline=pipe, options=AnimateOptions(size="256"))
    assert [job.status for job in again.jobs] == ["skipped", "failed", "failed", "done"]
    assert pipe.calls == [out / "0002-sky.mp4", out / "0004-me.mp4"]
    assert again.jobs[0].seconds == summary.jobs[0].seconds  # a skipped job keeps the time it took
    assert (out / "0001-me.mp4").stat().st_mtime_ns == first.st_mtime_ns


def test_a_file_in_a_jobs_way_is_kept_unless_overwrite(folder):
    out = folder / "out"
    out.mkdir()
    (out / "mine.mp4").write_text("precious")
    jobs = [{"image": folder / "media" / "me.png", "audio": folder / "media" / "hello.wav", "output": "mine.mp4"}]
    summary = run(jobs, out, pipeline=StandInPipeline())
    assert summary.jobs[0].status == "failed" and "already exists" in summary.jobs[0].error
    assert (out / "mine.mp4").read_text() == "precious"
    summary = run(jobs, out, pipeline=StandInPipeline(), overwrite=True)
    assert summary.jobs[0].status == "done" and (out / "mine.mp4").read_text().startswith("me.png")


def test_jobs_from_python_as_job_objects_or_dicts(folder, monkeypatch):
    monkeypatch.chdir(folder)
    jobs = [Job("media/me.png", "media/hello.wav", controls={"seed": 5}), {"image": "media/me.png",
            "audio": "media/hello.wav", "seed": 6, "output": "six.mp4"}]  # fmt: skip
    summary = run(jobs, "out", pipeline=StandInPipeline())
    assert [job.output for job in summary.jobs] == ["0001-me.mp4", "six.mp4"]
    assert (folder / "out" / "six.mp4").read_text() == "me.png|hello.wav|6|1.0"
    with pytest.raises(StyleheadError, match="has no jobs"):
        run([], "out", pipeline=StandInPipeline())


def test_the_real_models_make_a_batch_in_this_process(tmp_path, portrait_path, speech_path):
    from stylehead.media.ffmpeg import probe

    audio = write_wav(tmp_path / "one_second.wav", read_audio(speech_path)[:16_000])
    jobs = [Job(portrait_path, audio, style="singing", controls={"seed": 1}),
            Job(portrait_path, audio, style="no-such-style"),
            Job(portrait_path, audio, controls={"seed": 2})]  # fmt: skip
    summary = run(jobs, tmp_path / "out", options=AnimateOptions(size="256", fps=25))
    assert [job.status for job in summary.jobs] == ["done", "failed", "done"]
    assert "neither a preset" in summary.jobs[1].error
    info = probe(tmp_path / "out" / "0001-portrait.mp4")
    assert info.size == (256, 256) and info.fps == 25 and info.has_audio


# --- processes ---------------------------------------------------------------------------------------------------


def launch(manifest: Path, out: Path, *launcher: str) -> subprocess.Popen:
    """``accelerate launch <launcher> -m stylehead batch`` as a user would, importing this checkout; on the CPU."""
    accelerate = Path(sys.executable).with_name("accelerate")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CUDA_VISIBLE_DEVICES": "", "HF_HUB_OFFLINE": "1"}
    command = [str(accelerate), "launch", *launcher, "--num_machines", "1", "--mixed_precision", "no",
               "--dynamo_backend", "no", "-m", "stylehead", "batch", str(manifest), "-o", str(out)]  # fmt: skip
    return subprocess.Popen(command, cwd=manifest.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)  # fmt: skip


def finish(process: subprocess.Popen, seconds: float = 300) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=seconds)
    return process.returncode, out, err


def videos(out: Path) -> list[Path]:
    """The videos in place (pathlib's ``*`` also matches the hidden partial files)."""
    return sorted(path for path in out.glob("*.mp4") if not path.name.startswith("."))


def attempts(out: Path) -> list[dict]:
    return [json.loads(line) for path in sorted((out / STATE_FOLDER / "attempts").glob("*.jsonl"))
            for line in path.read_text().splitlines()]  # fmt: skip


@pytest.mark.integration
def test_accelerate_launch_shares_the_jobs_over_two_processes_and_a_killed_batch_resumes(tmp_path, portrait_path,
                                                                                        speech_path):  # fmt: skip
    audio = write_wav(tmp_path / "one_second.wav", read_audio(speech_path)[:16_000])
    shutil.copy(portrait_path, tmp_path / "me.png")
    (tmp_path / "broken.png").write_bytes(portrait_path.read_bytes()[:300])  # a download cut short
    images = ["me.png", "me.png", "me.png", "broken.png", "me.png", "me.png"]
    manifest = write_csv(tmp_path / "jobs.csv", ["image,audio,size,seed"] + [
        f"{image},{audio.name},256,{seed}" for seed, image in enumerate(images, start=1)])  # fmt: skip
    out = tmp_path / "out"
    two_processes = ("--multi_gpu", "--num_processes", "2")  # torchrun's 2 processes; --cpu alone starts one

    # 1. stopped (SIGTERM, as a container stops) as soon as the first video is in place
    first = launch(manifest, out, *two_processes)
    deadline = time.time() + 240
    while not videos(out) and first.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    if not videos(out):
        first.kill()
        pytest.fail(f"no video within 240 s: {finish(first, 30)[2][-3000:]}")
    workers = psutil.Process(first.pid).children(recursive=True)
    first.send_signal(signal.SIGTERM)
    code, _, err = finish(first, 120)
    assert code != 0 and "error: stopped (SIGTERM)" in err, err
    psutil.wait_procs(workers, timeout=30)
    assert not [w for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]
    made_first = {path.name: (path.stat().st_ino, path.stat().st_mtime_ns) for path in videos(out)}
    assert 1 <= len(made_first) < 5 and not list(out.glob(".*.partial*"))  # stopped before the end; no half video
    done_first = {e["number"] for e in attempts(out) if e["event"] == "done"}

    # 2. the same command again makes the rest, each job once
    code, stdout, err = finish(launch(manifest, out, *two_processes))
    assert code == 0, err
    assert "6 jobs" in stdout and "1 failed" in stdout, stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["processes"] == 2 and len(summary["jobs"]) == 6
    status = {job["number"]: job["status"] for job in summary["jobs"]}
    assert {n for n, s in status.items() if s == "skipped"} == done_first
    assert status[4] == "failed" and "broken.png" in summary["jobs"][3]["error"]
    assert [p.name for p in videos(out)] == [f"{n:04d}-me.mp4" for n in (1, 2, 3, 5, 6)]
    for name, identity in made_first.items():  # never made again
        assert ((out / name).stat().st_ino, (out / name).stat().st_mtime_ns) == identity
    events = attempts(out)
    for number in (1, 2, 3, 5, 6):
        assert [e["event"] for e in events if e["number"] == number].count("done") == 1, number
    records = [json.loads(p.read_text()) for p in (out / STATE_FOLDER / "done").glob("*.json")]
    assert sorted(r["number"] for r in records) == [1, 2, 3, 5, 6]
    assert {r["process"] for r in records} == {0, 1}  # both processes made videos
    assert len({r["pid"] for r in records}) >= 2 and not list((out / STATE_FOLDER / "claims").iterdir())

    # 3. accelerate's --cpu launch (one process here): nothing is made again, the broken job is tried again
    code, stdout, err = finish(launch(manifest, out, "--cpu", "--num_processes", "2"))
    assert code == 0, err
    status = [job["status"] for job in json.loads((out / "summary.json").read_text())["jobs"]]
    assert status == ["skipped", "skipped", "skipped", "failed", "skipped", "skipped"]
    assert len([e for e in attempts(out) if e["event"] == "done"]) == 5


@pytest.mark.integration
def test_workers_started_here_share_the_jobs(tmp_path, portrait_path, speech_path):
    audio = write_wav(tmp_path / "one_second.wav", read_audio(speech_path)[:16_000])
    jobs = [Job(portrait_path, audio, controls={"seed": seed, "size": "256"}) for seed in range(3)]
    summary = run(jobs, tmp_path / "out", workers=2)
    assert [job.status for job in summary.jobs] == ["done"] * 3 and summary.processes == 2
    assert [job.process for job in summary.jobs] == [0, 1, 0]
