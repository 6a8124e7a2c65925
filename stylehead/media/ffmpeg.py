"""The static ffmpeg shipped inside the imageio-ffmpeg wheel: probing and decoding.

No system ffmpeg is needed. ffmpeg has no machine-readable probe without ffprobe (which the wheel
does not ship), so :func:`probe` reads the stream lines ffmpeg prints for ``-i FILE``.
"""

import functools
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from stylehead.errors import MediaError


@functools.cache
def ffmpeg_exe() -> str:
    """Path of the bundled ffmpeg binary."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@dataclass(frozen=True)
class MediaInfo:
    """What a media file contains, as ffmpeg sees it."""

    has_video: bool  # a real video stream (cover art in audio files does not count)
    has_audio: bool
    duration: float | None  # seconds, None when the container does not say
    fps: float | None  # frames per second of the video stream
    size: tuple[int, int] | None  # (width, height) of the video stream
    video_codec: str | None = None  # e.g. "h264"
    audio_codec: str | None = None  # e.g. "aac"

    @property
    def is_picture(self) -> bool:
        """Whether the file is a still image (a picture codec, no sound, at most one frame's time), not a video."""
        return (self.video_codec in _PICTURE_CODECS and not self.has_audio
                and (self.duration is None or self.duration <= 0.1))  # fmt: skip


_PICTURE_CODECS = {"png", "mjpeg", "gif", "webp", "bmp", "tiff", "jpeg2000"}  # what ffmpeg calls still images


_NOT_MEDIA = {"tty"}  # ffmpeg "plays" any text file as ANSI art: that is not a video
_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #\S+.*?: Video: (.*)")
_SIZE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
_FPS = re.compile(r"([\d.]+)\s*(?:fps|tbr)")


def probe(path: str | Path) -> MediaInfo:
    """Inspect ``path`` with ffmpeg; raise :class:`MediaError` when ffmpeg cannot open it."""
    path = Path(path)
    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=60,
    )
    log = proc.stderr
    container = re.search(r"Input #0, ([\w,]+),", log)
    if "Stream #" not in log or (container and container[1] in _NOT_MEDIA):
        raise MediaError(
            f"{path.name} could not be opened as audio or video: it is corrupt or not a media file "
            "(export it as mp4 for video or wav for audio)."
        )
    duration = None
    if m := _DURATION.search(log):
        duration = int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3])
    has_video, fps, size, video_codec = False, None, None, None
    for m in _VIDEO.finditer(log):
        desc = m[1]
        if "attached pic" in desc:  # album art inside an mp3/m4a is not a video
            continue
        has_video = True
        video_codec = desc.split()[0].rstrip(",")
        if s := _SIZE.search(desc):
            size = (int(s[1]), int(s[2]))
        if f := _FPS.search(desc):
            fps = float(f[1])
        break
    audio = re.search(r"Stream #\S+.*?: Audio: (\w+)", log)
    return MediaInfo(has_video=has_video, has_audio=audio is not None, duration=duration, fps=fps, size=size,
                     video_codec=video_codec, audio_codec=audio[1] if audio else None)  # fmt: skip


def decode_audio(path: str | Path, sample_rate: int, max_seconds: float | None = None) -> bytes:
    """Decode the first audio stream of ``path`` to mono float32 little-endian PCM bytes.

    With ``max_seconds``, decoding stops a second past it (a file may claim less than it holds).
    """
    limit = ["-t", f"{max_seconds + 1:g}"] if max_seconds is not None else []
    cmd = [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error",
        "-i", str(path), "-map", "0:a:0", "-vn", "-ac", "1", "-ar", str(sample_rate), *limit,
        "-f", "f32le", "-",
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, timeout=600)
    if proc.returncode != 0:
        raise MediaError(f"{Path(path).name} has no readable audio: it is corrupt or has no sound track.")
    return proc.stdout
