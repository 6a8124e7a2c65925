"""A live session: one portrait, audio pushed as it arrives, video frames out as soon as they are final.

    session = pipe.live_session("portrait.png", style="expressive", size="256", fps=25)
    for chunk in microphone():                  # (N,) float32 16 kHz, any N
        for frame in session.push(chunk):       # LiveFrame: image, index, time, audio
            show(frame.image)
    for frame in session.finish():              # the frames the last audio still owed
        show(frame.image)

A frame showing audio time t comes out once audio up to t + :attr:`LiveSession.lookahead_seconds`
has been pushed: the mouth generator was trained to hear 0.3 s ahead, the speech features need a
little more, the smoothing half its width. The frames are those of the offline path for the same
audio, seed and controls up to the live features' edge effects (``docs/live.md`` states how far);
the head motion is the same model's, with spread and speed fixed at the start (:mod:`stylehead.live.pose_stream`).
"""

from dataclasses import dataclass

import numpy as np

from stylehead.audio.features import FPS, SAMPLE_RATE
from stylehead.live.motion_stream import MotionStream
from stylehead.motion.data import Motion, motion_at
from stylehead.render.warp_renderer import WarpRenderer


@dataclass
class LiveFrame:
    """One frame of a live session."""

    image: np.ndarray  # (H, W, 3) uint8 RGB, the caller's to keep
    index: int  # 0, 1, 2, ... at the session's frame rate
    time: float  # seconds of audio from the session's start to this frame's start
    audio: np.ndarray  # (n,) float32 16 kHz: the sound that goes with this frame
    landmarks: np.ndarray  # (68, 2) float32: where the face's landmarks were drawn, in the frame's pixels


class LiveSession:
    """Frames for audio pushed a chunk at a time (see the module's note). Not thread-safe: one caller at a time."""

    def __init__(self, renderer: WarpRenderer, motion: MotionStream, fps: float, notes: list[str] | None = None):
        self.renderer, self.motion, self.fps = renderer, motion, float(fps)
        self.notes = notes or []  # things the user should know (several faces, a style that could not learn all)
        self.index = 0  # output frames given out
        self.source: Motion | None = None  # 60-fps frames received and not yet passed (the last one kept)
        self.source_first = 0  # number of source's first frame
        self.finished = False

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the frames."""
        return self.renderer.size

    @property
    def lookahead_seconds(self) -> float:
        """How far the audio must have come past a frame's time before the frame comes out."""
        return self.motion.lookahead_frames / FPS

    @property
    def seconds_received(self) -> float:
        return self.motion.buffer.end / SAMPLE_RATE

    def push(self, samples: np.ndarray) -> list[LiveFrame]:
        """The frames that are final now that ``samples`` ((N,) float32 mono 16 kHz) have come."""
        if self.finished:
            raise RuntimeError("this live session has finished; start a new one")
        samples = np.asarray(samples, np.float32).ravel()
        if not np.isfinite(samples).all():
            samples = np.nan_to_num(samples, nan=0.0, posinf=0.0, neginf=0.0)
        return self._frames(self.motion.push(np.clip(samples, -1.0, 1.0)), final=False)

    def finish(self) -> list[LiveFrame]:
        """The last frames: every frame the audio pushed so far counts, as many as offline."""
        if self.finished:
            return []
        frames = self._frames(self.motion.push(np.zeros(0, np.float32), final=True), final=True)
        self.finished = True
        return frames

    def _frames(self, chunk: Motion, final: bool) -> list[LiveFrame]:
        self._append(chunk)
        if self.source is None:
            return []
        total = int(self.motion.buffer.end * self.fps // SAMPLE_RATE) if final else None
        last = self.source_first + len(self.source) - 1  # the last 60-fps frame there is
        indices = []
        n = self.index
        while (total is None and n * FPS / self.fps <= last) or (total is not None and n < total):
            indices.append(n)
            n += 1
        if not indices:
            return []
        motion = motion_at(self.source, np.asarray(indices) * FPS / self.fps - self.source_first, self.fps)
        targets = self.renderer.targets(motion)
        frames = []
        for row, n in enumerate(indices):
            image = self.renderer.render(targets.landmarks[row], targets.head[row]).copy()
            start, stop = round(n * SAMPLE_RATE / self.fps), round((n + 1) * SAMPLE_RATE / self.fps)
            frames.append(LiveFrame(image, n, start / SAMPLE_RATE, self.motion.buffer.read(start, stop),
                                    targets.landmarks[row].copy()))  # fmt: skip
        self.index = indices[-1] + 1
        self._trim(int(np.floor(self.index * FPS / self.fps)))
        return frames

    def _append(self, chunk: Motion) -> None:
        if len(chunk) == 0:
            return
        if self.source is None:
            self.source = chunk
            return
        source = self.source
        displacement = np.concatenate([source.displacement, chunk.displacement])
        self.source = Motion(chunk.points, displacement, np.concatenate([source.pose, chunk.pose]),
                             np.concatenate([source.blink, chunk.blink]))  # fmt: skip

    def _trim(self, keep_from: int) -> None:
        """Let go of source frames before ``keep_from`` (memory stays flat over a long session)."""
        if self.source is None:
            return
        drop = min(keep_from - self.source_first, len(self.source) - 1)  # the last frame stays: the next ones mix it
        if drop > 0:
            s = self.source
            self.source = Motion(s.points, s.displacement[drop:], s.pose[drop:], s.blink[drop:])
            self.source_first += drop
