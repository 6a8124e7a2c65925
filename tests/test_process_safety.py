"""Real processes against one output: two writers to one name, SIGTERM mid-render, the app stopping mid-request.

Each test starts ``python -m stylehead`` (or ``python app.py``) as a user or a container would, and then
looks at the folder the output goes to and at the processes left running.
"""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from stylehead.media import read_audio, write_wav
from stylehead.media.ffmpeg import probe

ROOT = Path(__file__).resolve().parents[1]


def animate_command(image: Path, audio: Path, output: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "stylehead", "animate", "--image", str(image), "--audio", str(audio), "--size", "256",
            "--fps", "25", "-o", str(output), *extra]  # fmt: skip


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def running(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Those still alive (a zombie counts as alive: nobody reaped it)."""
    alive = []
    for process in processes:
        try:
            if process.is_running():
                alive.append(process)
        except psutil.NoSuchProcess:
            pass
    return alive


def wait_for(condition, seconds: float, what: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        if process is not None and process.poll() is not None:
            pytest.fail(f"the process ended (exit {process.returncode}) before {what}")
        time.sleep(0.05)
    pytest.fail(f"no {what} within {seconds:.0f} s")


@pytest.fixture(scope="module")
def audio(speech_path, tmp_path_factory) -> Path:
    return write_wav(tmp_path_factory.mktemp("audio") / "speech.wav", read_audio(speech_path)[: 3 * 16_000])


def test_two_animate_processes_to_one_output_exactly_one_succeeds(portrait_path, audio, tmp_path):
    output = tmp_path / "out.mp4"
    runs = [subprocess.Popen(animate_command(portrait_path, audio, output, "--seed", str(seed)), cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for seed in (1, 2)]  # fmt: skip
    results = [(run.wait(timeout=300), run.stderr.read()) for run in runs]
    for run in runs:
        run.stdout.close(), run.stderr.close()
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    refused = next(err for code, err in results if code == 2).strip()
    assert refused.count("\n") == 0 and refused.startswith("error: ") and "Traceback" not in refused
    assert "appeared while this ran" in refused or "already exists" in refused, refused
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.contact.jpg", "out.mp4"]  # no partial file left
    assert probe(output).has_video and abs(probe(output).duration - 3.0) < 0.1


def test_sigterm_mid_render_leaves_nothing_and_no_child_process(portrait_path, speech_path, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    long_audio = write_wav(tmp_path / "long.wav", read_audio(speech_path)[: 10 * 16_000])
    run = subprocess.Popen(animate_command(portrait_path, long_audio, folder / "out.mp4"), cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    # rendering has begun once the encoder writes its hidden partial file
    wait_for(lambda: any(p.name.endswith(".partial.mp4") for p in folder.iterdir()), 240, "partial video", run)
    children = descendants(run.pid)
    assert any("ffmpeg" in " ".join(child.cmdline()).lower() for child in children), children
    run.send_signal(signal.SIGTERM)
    code = run.wait(timeout=60)
    err = run.stderr.read().strip()
    run.stdout.close(), run.stderr.close()
    assert code == 128 + signal.SIGTERM and err.count("\n") == 0 and "SIGTERM" in err and "Traceback" not in err, err
    time.sleep(0.5)
    assert not list(folder.iterdir())
    assert not running(children), running(children)


@pytest.mark.skipif(sys.platform != "linux", reason="the app's SIGTERM handling is checked where Spaces run")
def test_the_app_stopped_mid_request_removes_its_folder_and_its_encoder(portrait_path, speech_path, tmp_path):
    import socket

    from gradio_client import Client, handle_file

    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1", "TMPDIR": str(tmp_path)}
    app = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)  # fmt: skip
    requests = tmp_path / "stylehead-app"
    long_audio = write_wav(tmp_path / "long.wav", read_audio(speech_path)[: 10 * 16_000])
    try:
        url = f"http://127.0.0.1:{port}/"
        client = None

        def connect() -> bool:
            nonlocal client
            try:
                client = Client(url, verbose=False)
                return True
            except Exception:  # not serving yet
                return False

        wait_for(connect, 240, "app serving", app)
        threading.Thread(target=lambda: _quietly(lambda: client.predict(
            handle_file(str(portrait_path)), handle_file(str(long_audio)), api_name="/animate")), daemon=True).start()

        def encoding() -> bool:
            return requests.exists() and any(p.name.endswith(".partial.mp4") for p in requests.rglob("*"))

        wait_for(encoding, 240, "request being encoded", app)
        children = descendants(app.pid)
        app.send_signal(signal.SIGTERM)
        code = app.wait(timeout=60)
        assert code == 128 + signal.SIGTERM, app.stderr.read()
        time.sleep(0.5)
        assert not list(requests.iterdir())  # the running request's folder is gone
        assert not running(children), running(children)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
        app.stderr.close()


def _quietly(call) -> None:
    with contextlib.suppress(Exception):  # the app was stopped under it: that is the point
        call()
