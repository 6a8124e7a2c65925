"""The web app's Live tab: speak into the microphone (or play an audio file) and the portrait talks back in the page.

The page (``live.js``) sends 16 kHz audio in small requests to :func:`LiveTab.push`, a gr.HTML server function
(a plain POST that bypasses gradio's queue), and draws the JPEG frames each answer brings; ``docs/live.md`` says
why this transport and what it measured. :class:`LiveSessions` keeps the sessions running on the server: at
most ``limit`` at once, one per visitor (a second Start replaces the first), and a session that sends nothing
for ``idle_seconds`` (a closed tab, a lost network) ends and frees its slot. The frames come from
:meth:`stylehead.StyleHeadPipeline.live_session`; nothing here loads a model at import.
"""

import base64
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from stylehead.errors import StyleheadError

SAMPLE_RATE = 16000
IDLE_SECONDS = 5.0  # no audio for this long: the page is gone
MAX_PUSH_SECONDS = 5.0  # one request's audio at most (the page sends about 20-100 ms)
PART_WAIT_SECONDS = 10.0  # how long a numbered part waits for the parts before it (a few are in flight at once)
JPEG_QUALITY = 85
LIVE_JS = Path(__file__).with_name("live.js")

LIVE_HTML = """
<div class="live">
  <div class="live-controls">
    <label><input type="radio" class="live-source" name="live-source" value="mic" checked> Microphone</label>
    <label><input type="radio" class="live-source" name="live-source" value="file"> An audio file:</label>
    <input type="file" class="live-file" accept="audio/*">
  </div>
  <div class="live-controls">
    <button class="live-start lg primary">Start</button>
    <button class="live-stop lg secondary" disabled>Stop</button>
  </div>
  <canvas class="live-view" width="256" height="256"></canvas>
  <p class="live-status" role="status">Pick a portrait and a style, then press Start and speak.</p>
</div>
"""
LIVE_CSS = """
.live-controls { display: flex; gap: 0.8em; align-items: center; margin: 0.4em 0; flex-wrap: wrap; }
.live-controls button { padding: 0.4em 1.6em; border-radius: 6px; }
.live-start { background: var(--button-primary-background-fill); color: var(--button-primary-text-color); }
.live-view { width: 256px; height: 256px; background: #222; display: block; margin: 0.4em 0; }
"""


@dataclass
class LiveStream:
    """One visitor's running session and what the server knows about its page."""

    visitor: str
    session: object | None  # a stylehead.live.LiveSession once made (None while it is being made)
    last_heard: float
    seconds: float = 0.0  # audio received so far
    next_part: int = 0  # the page numbers its requests: they may overtake each other on the way
    turn: threading.Condition = field(default_factory=threading.Condition)


class LiveSessions:
    """The live sessions on this server, by token: at most ``limit``, one per visitor, idle ones ended.

    ``clock`` is injectable so that tests can let time pass.
    """

    def __init__(self, limit: int, idle_seconds: float = IDLE_SECONDS, max_seconds: float = 120.0,
                 clock: Callable[[], float] = time.monotonic):  # fmt: skip
        self.limit, self.idle_seconds, self.max_seconds, self.clock = limit, idle_seconds, max_seconds, clock
        self.streams: dict[str, LiveStream] = {}
        self.lock = threading.Lock()

    def __len__(self) -> int:
        with self.lock:
            self._end_idle()
            return len(self.streams)

    def open(self, visitor: str, make_session: Callable[[], object]) -> tuple[str, object]:
        """A new session for ``visitor`` (ending the one it had); refused in one sentence when all slots are taken.

        The slot is held while ``make_session`` runs (it finds the face: up to a second or two), so two visitors
        cannot both take the last one.
        """
        with self.lock:
            self._end_idle()
            for token in [t for t, stream in self.streams.items() if stream.visitor == visitor]:
                del self.streams[token]
            if len(self.streams) >= self.limit:
                raise StyleheadError(f"Every live session this server allows ({self.limit}) is in use; try again "
                                     "in a minute, or animate a recording in the Animate tab.")  # fmt: skip
            token = secrets.token_urlsafe(16)
            self.streams[token] = LiveStream(visitor, None, self.clock())
        try:
            session = make_session()
        except BaseException:
            self.close(token)
            raise
        with self.lock:
            stream = self.streams.get(token)
            if stream is None:  # replaced by a newer Start meanwhile
                raise StyleheadError("A newer live session of this page replaced this one.")
            stream.session, stream.last_heard = session, self.clock()
        return token, session

    def push(self, token: str, samples: np.ndarray, last: bool = False, part: int | None = None) -> list:
        """Audio from the page → the frames it completed (all the rest too when ``last``). The token, a secret
        only the visitor's page was given, is what names the session. Numbered parts are taken in their order."""
        stream = self._running(token)
        with stream.turn:
            if part is not None:
                if not stream.turn.wait_for(lambda: stream.next_part >= part, PART_WAIT_SECONDS) or (
                    stream.next_part != part
                ):
                    self.close(token)
                    raise StyleheadError("Some of the page's audio was lost on the way; press Start again.")
                stream.next_part += 1
                stream.turn.notify_all()
                self._running(token)  # still running after the wait
            stream.last_heard = self.clock()
            stream.seconds += len(samples) / SAMPLE_RATE
            frames = stream.session.push(samples) if len(samples) else []
            if last or stream.seconds >= self.max_seconds:
                frames = [*frames, *stream.session.finish()]
                self.close(token)
                if not last:
                    raise LiveEnded(frames, f"A live session lasts at most {self.max_seconds:.0f} s; "
                                            "press Start again to go on.")  # fmt: skip
        return frames

    def _running(self, token: str) -> LiveStream:
        with self.lock:
            self._end_idle()
            stream = self.streams.get(token)
        if stream is None or stream.session is None:
            raise StyleheadError("This live session has ended (stopped, replaced by a newer one, or silent for "
                                 f"more than {self.idle_seconds:.0f} s); press Start again.")  # fmt: skip
        return stream

    def close(self, token: str) -> None:
        with self.lock:
            self.streams.pop(token, None)

    def close_visitor(self, visitor: str) -> None:
        with self.lock:
            for token in [t for t, stream in self.streams.items() if stream.visitor == visitor]:
                del self.streams[token]

    def _end_idle(self) -> None:
        """Caller holds the lock. A session being made counts as heard (making it takes the time)."""
        now = self.clock()
        for token in [t for t, s in self.streams.items() if s.session and now - s.last_heard > self.idle_seconds]:
            del self.streams[token]


class LiveEnded(StyleheadError):
    """The session ended on the server's side; ``frames`` are its last ones, still to be shown."""

    def __init__(self, frames: list, message: str):
        super().__init__(message)
        self.frames = frames


def encode_frame(frame, with_audio: bool) -> dict:
    """A LiveFrame → what the page draws: JPEG (base64), index, time, and its sound as int16 when asked."""
    import cv2

    bgr = np.ascontiguousarray(frame.image[..., ::-1])
    ok, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    message = {"index": int(frame.index), "time": float(frame.time), "jpeg": base64.b64encode(jpeg).decode()}
    if with_audio:
        ints = np.clip(np.round(np.asarray(frame.audio) * 32767), -32768, 32767).astype("<i2")
        message["audio"] = base64.b64encode(ints.tobytes()).decode()
    return message


def decode_audio(text: str) -> np.ndarray:
    """The page's base64 little-endian int16 → (N,) float32 in [-1, 1], 16 kHz; refused when not that."""
    try:
        raw = base64.b64decode(text or "", validate=True)
    except ValueError:
        raise StyleheadError("The page sent audio the server cannot read; reload the page.") from None
    if len(raw) % 2 or len(raw) > 2 * SAMPLE_RATE * MAX_PUSH_SECONDS:
        raise StyleheadError("The page sent audio the server cannot read; reload the page.")
    return np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0


class LiveTab:
    """The Live tab's server side: Start (a queued event: it finds the face), push and stop (server functions).

    ``open_session(image, style, session_styles)`` makes a stylehead LiveSession from the tab's inputs (raising
    StyleheadError with one sentence when they are wrong) and returns it with notes for the visitor.
    """

    def __init__(self, sessions: LiveSessions, open_session: Callable[..., tuple[object, list[str]]]):
        self.sessions, self.open_session = sessions, open_session

    def start(self, image, style, session_styles, visitor: str, attempt: int | None = None) -> str:
        """Start → the page's instructions as JSON: ``{attempt, token, width, height, fps, note}`` or
        ``{attempt, error}`` (``attempt``: the page's number for this Start, given back)."""
        notes: list[str] = []
        try:

            def make():
                session, found = self.open_session(image, style, session_styles)
                notes.extend(found)
                return session

            token, session = self.sessions.open(visitor, make)
        except StyleheadError as err:
            return json.dumps({"attempt": attempt, "error": str(err), "nonce": secrets.token_hex(4)})
        width, height = session.size
        note = " ".join(["Live: speak now.", *notes])
        return json.dumps({"attempt": attempt, "token": token, "width": width, "height": height, "fps": session.fps,
                           "note": note})  # fmt: skip

    def push(self, data) -> dict:
        """``{token, audio, part, last}`` from the page → ``{frames}``, or ``{frames, error}`` when the session
        ended."""
        data = data if isinstance(data, dict) else {}
        try:
            samples = decode_audio(data.get("audio"))
            part = data.get("part")
            if part is not None and (isinstance(part, bool) or not isinstance(part, int)):
                raise StyleheadError("The page sent audio the server cannot read; reload the page.")
            frames = self.sessions.push(str(data.get("token")), samples, bool(data.get("last")), part)
        except LiveEnded as ended:
            return {"frames": [encode_frame(f, True) for f in ended.frames], "error": str(ended)}
        except StyleheadError as err:
            return {"frames": [], "error": str(err)}
        return {"frames": [encode_frame(f, True) for f in frames]}

    def stop(self, data) -> dict:
        """``{token}`` → that session ends and frees its slot."""
        if isinstance(data, dict):
            self.sessions.close(str(data.get("token")))
        return {"stopped": True}


def build_live_tab(tab: LiveTab, session_styles, style_choices: Callable[[dict], list[str]], no_style: str,
                   example: Path):  # fmt: skip
    """The Live tab's components, inside an open ``gr.Tab``; the style list follows the session's learned styles."""
    import gradio as gr

    # server functions: called by the page with one argument (an object), outside gradio's queue
    def live_push(data) -> dict:
        return tab.push(data)

    def live_stop(data) -> dict:
        return tab.stop(data)

    def live_start(image, style, styles, request: gr.Request, event: gr.EventData) -> str:
        attempt = event._data.get("attempt") if isinstance(event._data, dict) else None  # the page's Start number
        return tab.start(image, style, styles, request.session_hash, attempt if isinstance(attempt, int) else None)

    with gr.Row():
        with gr.Column():
            portrait = gr.Image(label="Portrait (one face)", type="filepath", sources=["upload", "clipboard"],
                                elem_id="live_portrait")  # fmt: skip
            style = gr.Dropdown(style_choices({}), value=no_style, label="Style", elem_id="live_style",
                                allow_custom_value=True,  # a Hub repo id may be typed in
                                info="a preset, one learned in this session, or a Hub repo id")  # fmt: skip
            gr.Examples([[str(example)]], [portrait])
        with gr.Column():
            live = gr.HTML("", html_template=LIVE_HTML, css_template=LIVE_CSS, js_on_load=LIVE_JS.read_text(),
                           server_functions=[live_push, live_stop], elem_id="live")  # fmt: skip
    # its own concurrency group: a Start never waits behind another visitor's video
    live.click(live_start, [portrait, style, session_styles], live, api_visibility="private", preprocess=False,
               concurrency_id="live_start", concurrency_limit=tab.sessions.limit)  # fmt: skip
    session_styles.change(lambda styles: gr.update(choices=style_choices(styles or {})), session_styles, style,
                          api_visibility="private")  # fmt: skip
    return live
