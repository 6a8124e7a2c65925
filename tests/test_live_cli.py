"""`stylehead live`: a file played in real time or a microphone in, frames out to an mp4 or a pipe."""

import subprocess
import sys
import types

import numpy as np
import pytest
import torch

from stylehead.media import read_audio
from stylehead.media.ffmpeg import probe

from .test_cli import assert_one_line_error, run_cli


def test_live_writes_the_frames_and_their_sound_as_made(portrait_path, speech_path, tmp_path):
    output = tmp_path / "live.mp4"
    result = run_cli("live", "--image", str(portrait_path), "--audio", str(speech_path), "-o", str(output),
                     "--no-pace", "--max-seconds", "60")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "0.50 s behind its sound" in result.stderr and str(output) in result.stderr
    info = probe(output)
    seconds = len(read_audio(speech_path)) / 16_000
    assert info.has_audio and info.size == (256, 256) and info.fps == 25
    assert info.duration == pytest.approx(seconds, abs=0.1)
    again = run_cli("live", "--image", str(portrait_path), "--audio", str(speech_path), "-o", str(output), "--no-pace")
    assert_one_line_error(again, "already exists")  # nothing the user made is replaced unless asked


def test_live_raw_frames_go_to_a_pipe(portrait_path, speech_path):
    command = [sys.executable, "-m", "stylehead", "live", "--image", str(portrait_path), "--audio", str(speech_path),
               "--raw", "--no-pace", "--size", "256", "--fps", "25", "--still"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, timeout=300)
    assert result.returncode == 0, result.stderr.decode()
    frames = len(read_audio(speech_path)) * 25 // 16_000
    assert len(result.stdout) == frames * 256 * 256 * 3
    video = np.frombuffer(result.stdout, np.uint8).reshape(frames, 256, 256, 3)
    assert video[frames // 2].std() > 20  # a picture, not a blank


def test_live_says_what_it_needs_in_one_sentence(portrait_path, tmp_path):
    assert_one_line_error(run_cli("live", "--image", str(portrait_path)), "-o OUT.mp4")
    # this machine has no sounddevice (or no microphone): one sentence saying what to do instead
    assert_one_line_error(run_cli("live", "--image", str(portrait_path), "-o", str(tmp_path / "m.mp4")), "--audio")
    assert list(tmp_path.iterdir()) == []
    assert_one_line_error(run_cli("live", "--image", str(portrait_path), "-o", str(tmp_path / "n.mp4"),
                                  "--renderer", "neural"), "renderer")  # fmt: skip
    junk = tmp_path.parent / "junk.wav"
    junk.write_bytes(bytes(range(256)) * 200)  # not audio: refused before the session says it is playing
    assert_one_line_error(run_cli("live", "--image", str(portrait_path), "--audio", str(junk),
                                  "-o", str(tmp_path / "j.mp4")), "could not be opened")  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def test_live_listens_to_a_microphone(monkeypatch, portrait_path, speech_path, tmp_path, capsys):
    """The microphone path, with a sound card that plays the example speech (sounddevice's InputStream API)."""
    speech = read_audio(speech_path)

    class InputStream:
        def __init__(self, samplerate, channels, dtype, blocksize):
            assert (samplerate, channels, dtype) == (16_000, 1, "float32")
            self.position = 0

        def read(self, frames):
            chunk = speech[self.position : self.position + frames]
            self.position += frames
            return np.pad(chunk, (0, frames - len(chunk)))[:, None], False

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

    monkeypatch.setitem(sys.modules, "sounddevice", types.SimpleNamespace(InputStream=InputStream))
    from stylehead.cli import main

    output = tmp_path / "mic.mp4"
    threads = torch.get_num_threads()
    try:
        assert main(["live", "--image", str(portrait_path), "-o", str(output), "--max-seconds", "3"]) == 0
    finally:
        torch.set_num_threads(threads)  # the command runs its models on one thread; the other tests on theirs
    assert "listening" in capsys.readouterr().err
    assert probe(output).duration == pytest.approx(3.0, abs=0.1)
