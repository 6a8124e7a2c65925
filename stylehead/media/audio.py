"""Reading audio from any common file, or from the sound track of a video, as mono 16 kHz float32."""

from pathlib import Path

import numpy as np

from stylehead.errors import MediaError
from stylehead.media.ffmpeg import decode_audio, probe
from stylehead.media.files import check_readable

SAMPLE_RATE = 16_000  # Hz: every model in stylehead works on 16 kHz audio (LSP, paper §6.2)

AUDIO_FORMATS = "wav, mp3, flac, ogg, m4a, or a video with sound"
AUDIO_SUFFIXES = (".wav", ".mp3", ".flac", ".ogg", ".m4a", ".aac", ".opus")
MIN_SAMPLE_RATE = 4_000  # Hz: below this a file holds no speech (telephone audio is 8 kHz)


def read_audio(path: str | Path, sample_rate: int = SAMPLE_RATE, max_seconds: float | None = None) -> np.ndarray:
    """Read ``path`` as mono float32 in [-1, 1] at ``sample_rate``: (N,) float32.

    Channels are averaged; samples beyond ±1 are clipped. A file holding NaN or infinite samples is
    refused (:class:`MediaError`): it is broken, and silence in its place would hide that. Files that libsndfile can
    read (wav, flac, ogg, mp3, ...) are read directly; everything else (m4a, aac, opus, the audio
    track of a video) goes through the bundled ffmpeg.
    """
    path = check_readable(path)
    if max_seconds is not None:
        check_duration(path, max_seconds)
    audio = _read_with_soundfile(path, sample_rate, max_seconds)
    if audio is None:
        info = probe(path)
        if not info.has_audio:
            if info.is_picture:
                raise MediaError(f"{path.name} is a picture, not sound; give the speech or song as {AUDIO_FORMATS}.")
            if info.has_video:
                raise MediaError(f"The video {path.name} has no audio track; use a video with sound or an audio file.")
            raise MediaError(f"{path.name} has no audio track; give an audio file ({AUDIO_FORMATS}).")
        audio = np.frombuffer(decode_audio(path, sample_rate, max_seconds), dtype=np.float32).copy()
    broken = int(np.count_nonzero(~np.isfinite(audio)))
    if broken:
        samples = "sample that is not a number" if broken == 1 else "samples that are not numbers"
        raise MediaError(f"{path.name} holds {broken} {samples} (NaN or infinite); "
                         "export the audio again from its source.")  # fmt: skip
    np.clip(audio, -1.0, 1.0, out=audio)
    if audio.size == 0:
        raise MediaError(f"{path.name} contains no audio samples; give a clip with sound in it.")
    if max_seconds is not None and audio.size > max_seconds * sample_rate:  # the container understated it
        raise MediaError(f"{path.name} is longer than the limit of {max_seconds:.0f} s; trim it first.")
    return audio


def check_duration(path: str | Path, max_seconds: float) -> None:
    """Refuse ``path`` when its container says it lasts longer than ``max_seconds``, before decoding it."""
    path = check_readable(path)
    info = probe(path)
    if info.duration is not None and info.duration > max_seconds:
        raise MediaError(
            f"{path.name} is {info.duration:.0f} s long; the limit is {max_seconds:.0f} s, so trim it first."
        )


def _read_with_soundfile(path: Path, sample_rate: int, max_seconds: float | None = None) -> np.ndarray | None:
    """Decode with libsndfile, or return None when it does not know the format.

    With ``max_seconds``, at most a little more than that is decoded, whatever the header claims.
    """
    import soundfile

    try:
        with soundfile.SoundFile(str(path)) as sound:
            frames = -1 if max_seconds is None else int((max_seconds + 1) * sound.samplerate)
            data, rate = sound.read(frames, dtype="float32", always_2d=True), sound.samplerate
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError):
        return None
    if rate < MIN_SAMPLE_RATE:
        raise MediaError(f"{path.name} is sampled at {rate:,} Hz, too slow to hold speech (at least "
                         f"{MIN_SAMPLE_RATE:,} Hz; 16,000 or more is usual); export it again.")  # fmt: skip
    mono = data.mean(axis=1, dtype=np.float32)
    return resample(mono, rate, sample_rate)


def resample(audio: np.ndarray, rate: int, target_rate: int) -> np.ndarray:
    """High-quality resampling (soxr) of a mono float32 signal."""
    if rate == target_rate or audio.size == 0:
        return np.ascontiguousarray(audio, dtype=np.float32)
    import soxr

    clean = np.nan_to_num(audio, nan=0.0, posinf=0.0, neginf=0.0)
    return soxr.resample(clean, rate, target_rate, quality="HQ").astype(np.float32)


def write_wav(path: str | Path, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Path:
    """Write mono float audio as 16-bit PCM wav."""
    import soundfile

    soundfile.write(str(path), np.clip(audio, -1.0, 1.0), sample_rate, subtype="PCM_16")
    return Path(path)
