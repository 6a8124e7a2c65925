"""Reading video frames with their frame rate, and writing H.264 + AAC mp4 files frame by frame."""

import subprocess
import tempfile
import weakref
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from stylehead.errors import MediaError
from stylehead.media.audio import SAMPLE_RATE, write_wav
from stylehead.media.ffmpeg import MediaInfo, ffmpeg_exe, probe
from stylehead.media.files import check_readable, commit_output, partial_path

VIDEO_FORMATS = "mp4, mov, mkv, webm, avi or mpg"
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg")  # what folder scans pick up


class VideoReader:
    """Frames of a video file, decoded one at a time: iterate to get (H, W, 3) uint8 RGB arrays.

    ``fps``, ``size`` (width, height), ``duration`` and ``has_audio`` are known before decoding;
    ``num_frames`` is the container's estimate. Rotation metadata is applied by ffmpeg.
    """

    def __init__(self, path: str | Path, max_seconds: float | None = None):
        self.path = check_readable(path)
        info: MediaInfo = probe(self.path)
        if not info.has_video:
            raise MediaError(f"{self.path.name} has no video stream; give a video file ({VIDEO_FORMATS}).")
        if max_seconds is not None and info.duration is not None and info.duration > max_seconds:
            raise MediaError(
                f"{self.path.name} is {info.duration:.0f} s long; the limit is {max_seconds:.0f} s, so trim it first."
            )
        self.info = info
        self.has_audio = info.has_audio
        self.duration = info.duration
        self.fps = info.fps if info.fps and info.fps > 0 else 25.0
        self.size = info.size
        self.num_frames = round(info.duration * self.fps) if info.duration else None

    def __iter__(self) -> Iterator[np.ndarray]:
        import imageio_ffmpeg

        frames = imageio_ffmpeg.read_frames(str(self.path), pix_fmt="rgb24")
        try:
            meta = next(frames)
        except (OSError, RuntimeError, StopIteration):
            raise MediaError(f"{self.path.name} could not be decoded as video; it may be corrupt.") from None
        width, height = meta["size"]
        self.size = (width, height)
        count = 0
        try:
            for raw in frames:
                count += 1
                yield np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3)
        except (OSError, RuntimeError) as err:
            if count == 0:
                raise MediaError(f"{self.path.name} could not be decoded as video; it may be corrupt.") from None
            if "ffmpeg" not in str(err).lower():
                raise
        finally:
            frames.close()
        if count == 0:
            raise MediaError(f"{self.path.name} holds no video frames; give a video with at least one frame.")


def read_frames(path: str | Path, indices: set[int]) -> dict[int, np.ndarray]:
    """The frames of ``path`` with these indices, decoded in one pass that stops after the last one."""
    frames: dict[int, np.ndarray] = {}
    for index, frame in enumerate(VideoReader(path)):
        if index in indices:
            frames[index] = frame.copy()
        if len(frames) == len(indices):
            break
    missing = sorted(set(indices) - set(frames))
    if missing:
        raise MediaError(f"{Path(path).name} ended before frame {missing[0]}.")
    return frames


def read_video(path: str | Path, max_seconds: float | None = None) -> tuple[np.ndarray, float]:
    """Read a whole (short) video into memory: ((T, H, W, 3) uint8 RGB, fps)."""
    reader = VideoReader(path, max_seconds=max_seconds)
    frames = np.stack(list(reader))
    return frames, reader.fps


_ENCODERS: "weakref.WeakSet[VideoWriter]" = weakref.WeakSet()  # writers whose ffmpeg may be running


def stop_all_encoders() -> None:
    """Abort every video being written in this process (its ffmpeg killed and reaped, its partial file removed):
    for a server stopping while requests run in other threads."""
    for writer in list(_ENCODERS):
        writer.abort()


class VideoWriter:
    """Write RGB frames to an H.264 (yuv420p) mp4, muxing AAC audio, streaming to ffmpeg.

    Memory stays constant whatever the length: each frame goes straight to the encoder. The file
    appears under its final name only when :meth:`close` succeeds. Odd frame sizes are padded by
    one pixel, as H.264 needs even sizes. Use as a context manager.

    Args:
        path: output ``.mp4`` path.
        fps: frames per second.
        audio: None, a path to any audio/video file (its first sound track is used), or mono
            float32 samples at ``sample_rate``.
        crf: x264 constant rate factor (lower is better quality, 18-23 is typical).
        preset: x264 speed preset; ``veryfast`` keeps encoding well ahead of rendering.
        overwrite: replace a file already at ``path`` (never a link or a special file); without it the
            file at ``path`` is kept, even one that appears while the video is written.
    """

    def __init__(
        self,
        path: str | Path,
        fps: float,
        audio: str | Path | np.ndarray | None = None,
        sample_rate: int = SAMPLE_RATE,
        crf: int = 20,
        preset: str = "veryfast",
        overwrite: bool = True,
    ):
        self.path = Path(path)
        self.overwrite = overwrite
        self.fps = fps
        self.crf = crf
        self.preset = preset
        self.frames_written = 0
        self._size: tuple[int, int] | None = None
        self._proc: subprocess.Popen | None = None
        self._scratch = tempfile.TemporaryDirectory(prefix="stylehead-writer-")
        if isinstance(audio, np.ndarray):
            audio = write_wav(Path(self._scratch.name) / "audio.wav", audio, sample_rate)
        self._audio_path = Path(audio) if audio is not None else None
        # Encoded beside the output (same file system) and renamed into place by close().
        self._tmp_path = partial_path(self.path, ".mp4")
        self._done = self._finished = False
        self._log = open(Path(self._scratch.name) / "ffmpeg.log", "w+b")  # noqa: SIM115 - closed in close()

    def _start(self, width: int, height: int) -> None:
        cmd = [
            ffmpeg_exe(), "-y", "-hide_banner", "-nostdin", "-loglevel", "error",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", f"{self.fps}",
            "-i", "-",
        ]  # fmt: skip
        if self._audio_path is not None:
            cmd += ["-i", str(self._audio_path), "-map", "0:v:0", "-map", "1:a:0", "-c:a", "aac", "-b:a", "128k"]
            cmd += ["-shortest"]
        cmd += [
            "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2",
            "-c:v", "libx264", "-preset", self.preset, "-crf", str(self.crf), "-pix_fmt", "yuv420p",
            "-movflags", "+faststart", "-f", "mp4", str(self._tmp_path),
        ]  # fmt: skip
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._log)
        _ENCODERS.add(self)
        self._size = (width, height)

    def write(self, frame: np.ndarray) -> None:
        """Append one (H, W, 3) uint8 RGB frame; every frame must have the size of the first."""
        height, width = frame.shape[:2]
        if self._proc is None:
            self._start(width, height)
        if (width, height) != self._size:
            raise ValueError(f"frame size {width}x{height} differs from the first frame's {self._size}")
        try:
            self._proc.stdin.write(np.ascontiguousarray(frame, dtype=np.uint8).tobytes())
        except BrokenPipeError:
            self._fail()
        self.frames_written += 1

    def _fail(self) -> None:
        self._proc.wait()
        self._log.seek(0)
        message = self._log.read().decode(errors="replace").strip().splitlines()
        self.abort()
        raise MediaError(f"Writing {self.path.name} failed in ffmpeg: {message[-1] if message else 'unknown error'}.")

    def finish(self) -> Path:
        """Finish encoding; returns the complete video under its hidden name (:meth:`commit` moves it into place)."""
        if self._proc is None:
            self.abort()
            raise ValueError("no frames were written")
        if not self._finished:
            self._proc.stdin.close()
            if self._proc.wait() != 0:
                self._fail()
            self._finished = True
        return self._tmp_path

    def commit(self) -> Path:
        """Move the finished video into place (:func:`~stylehead.media.files.commit_output`); returns its path."""
        commit_output(self.finish(), self.path, self.overwrite)
        self._cleanup()
        return self.path

    def close(self) -> Path:
        """Finish encoding and move the file into place; returns the output path."""
        if self._done:
            return self.path
        return self.commit()

    def abort(self) -> None:
        """Stop encoding and remove the partial file; the output path is left untouched."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._cleanup()

    def _cleanup(self) -> None:
        if not self._done:
            self._done = True
            self._tmp_path.unlink(missing_ok=True)
            self._log.close()
            self._scratch.cleanup()

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
