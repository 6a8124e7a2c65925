"""A live session's frames and their sound written to an mp4 as they come, for a sound that is not known in advance.

The frames go straight to the encoder (video only, in a scratch folder) and the sound to a wav beside
them; :meth:`LiveRecording.commit` muxes the two into the output without re-encoding the video and
puts it in place as every stylehead output is put (never over a file that is there unless asked).
"""

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile

from stylehead.audio.features import SAMPLE_RATE
from stylehead.errors import StyleheadError
from stylehead.live.session import LiveFrame
from stylehead.media import VideoWriter
from stylehead.media.ffmpeg import ffmpeg_exe
from stylehead.media.files import commit_output, partial_path


class LiveRecording:
    """Frames and sound of a live session → one H.264 + AAC mp4 at ``path``. Use as a context manager."""

    def __init__(self, path: Path, fps: float, overwrite: bool = False):
        self.path, self.overwrite = Path(path), overwrite
        self._scratch = tempfile.TemporaryDirectory(prefix="stylehead-live-")
        folder = Path(self._scratch.name)
        self._video = VideoWriter(folder / "video.mp4", fps)
        self._sound = soundfile.SoundFile(folder / "sound.wav", "w", SAMPLE_RATE, 1, "PCM_16")
        self.frames = 0

    def write(self, frame: LiveFrame) -> None:
        self._video.write(frame.image)
        self._sound.write(np.clip(frame.audio, -1.0, 1.0))
        self.frames += 1

    def commit(self) -> Path:
        """Finish both, mux them and put the mp4 in place; returns its path."""
        if self.frames == 0:
            raise StyleheadError("The live session gave no frames (it was stopped before 0.5 s of sound came); "
                                 "nothing was written.")  # fmt: skip
        self._sound.close()
        video = self._video.commit()
        partial = partial_path(self.path, ".mp4")
        command = [ffmpeg_exe(), "-y", "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(video),
                   "-i", str(Path(self._scratch.name) / "sound.wav"), "-map", "0:v:0", "-map", "1:a:0",
                   "-c:v", "copy", "-c:a", "aac", "-b:a", "128k", "-shortest", "-movflags", "+faststart",
                   "-f", "mp4", str(partial)]  # fmt: skip
        try:
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                lines = done.stderr.strip().splitlines()
                raise StyleheadError(f"Writing {self.path.name} failed in ffmpeg: {lines[-1] if lines else 'unknown'}.")
            commit_output(partial, self.path, self.overwrite)
        finally:
            partial.unlink(missing_ok=True)
            self.close()
        return self.path

    def close(self) -> None:
        """Let go of everything (after :meth:`commit`, or instead of it: nothing is written)."""
        if not self._sound.closed:
            self._sound.close()
        self._video.abort()
        self._scratch.cleanup()

    def __enter__(self) -> "LiveRecording":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
