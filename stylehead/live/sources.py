"""Where a live session's sound comes from: a file played in real time, or a microphone."""

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from stylehead.audio.features import SAMPLE_RATE
from stylehead.errors import StyleheadError
from stylehead.media import read_audio

PACKET = 320  # samples (20 ms): what a sound card or a browser delivers at a time


def file_packets(path: str | Path, paced: bool = True, max_seconds: float | None = None) -> Iterator[np.ndarray]:
    """``path``'s sound in 20 ms packets, each when it would have arrived from a microphone (``paced``) or at once.
    The file is read at once (:class:`StyleheadError` when it cannot be), then played as the packets are asked for."""
    return _play(read_audio(path, max_seconds=max_seconds), paced)


def _play(samples: np.ndarray, paced: bool) -> Iterator[np.ndarray]:
    start = time.perf_counter()
    for first in range(0, len(samples), PACKET):
        if paced:
            wait = start + (first + PACKET) / SAMPLE_RATE - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
        yield samples[first : first + PACKET]


def microphone_packets(max_seconds: float | None = None) -> Iterator[np.ndarray]:
    """The default input device's sound, 16 kHz mono, in 20 ms packets, until ``max_seconds`` or Ctrl-C. The
    device is opened at once (:class:`StyleheadError` when it cannot be), then read as the packets are asked for.

    Needs the ``sounddevice`` package and PortAudio (``pip install sounddevice``; on Debian or Ubuntu
    ``apt install libportaudio2``), which stylehead does not install: a server has no microphone.
    """
    try:
        import sounddevice
    except (ImportError, OSError):
        raise StyleheadError("Listening to a microphone needs the sounddevice package and PortAudio (pip install "
                             "sounddevice; apt install libportaudio2); or stream a file with --audio.") from None
    try:
        stream = sounddevice.InputStream(samplerate=SAMPLE_RATE, channels=1, dtype="float32", blocksize=PACKET)
    except Exception as err:  # sounddevice.PortAudioError: no device, or none that records 16 kHz mono
        raise StyleheadError(f"No microphone could be opened here ({str(err).strip() or type(err).__name__}); "
                             "plug one in, or stream a file with --audio.") from None  # fmt: skip
    return _read(stream, None if max_seconds is None else int(max_seconds * SAMPLE_RATE))


def _read(stream, limit: int | None) -> Iterator[np.ndarray]:
    heard = 0
    with stream:
        while limit is None or heard < limit:
            data, _ = stream.read(PACKET)
            heard += len(data)
            yield np.asarray(data, np.float32).reshape(-1)
