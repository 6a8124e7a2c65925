"""The Live tab's server side without a browser: how many sessions run, whose they are, when they end, what the
page gets back. A small session double stands in for stylehead's LiveSession here (the browser test uses the real one).
"""

import base64
import json
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

pytest.importorskip("gradio")

from live_app import LiveSessions, LiveTab, decode_audio
from stylehead.errors import StyleheadError


class CountingSession:
    """A frame for every 640 samples (25 fps at 16 kHz), its grey level the chunk's loudness."""

    fps, size, lookahead_seconds = 25, (64, 48), 0.0

    def __init__(self):
        self.buffer, self.index, self.finished = np.zeros(0, np.float32), 0, False

    def push(self, samples):
        self.buffer = np.concatenate([self.buffer, samples])
        frames = []
        while len(self.buffer) >= 640:
            chunk, self.buffer = self.buffer[:640], self.buffer[640:]
            image = np.full((48, 64, 3), int(min(255, 1000 * np.abs(chunk).mean())), np.uint8)
            frames.append(SimpleNamespace(image=image, index=self.index, time=(self.index + 0.5) / 25, audio=chunk))
            self.index += 1
        return frames

    def finish(self):
        self.finished = True
        return self.push(np.zeros(640 - len(self.buffer) % 640, np.float32)) if len(self.buffer) else []


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def pcm(seconds: float, level: float = 0.25) -> str:
    samples = (level * 32767 * np.sin(np.arange(int(16000 * seconds)) / 5)).astype("<i2")
    return base64.b64encode(samples.tobytes()).decode()


def test_a_third_session_is_refused_in_one_sentence_when_the_limit_is_two():
    sessions = LiveSessions(limit=2)
    sessions.open("visitor a", CountingSession)
    sessions.open("visitor b", CountingSession)
    with pytest.raises(StyleheadError) as refused:
        sessions.open("visitor c", CountingSession)
    message = str(refused.value)
    assert message.startswith("Every live session this server allows (2) is in use;")
    assert message.count(".") == 1 and "\n" not in message
    tab = LiveTab(sessions, lambda image, style, styles: (CountingSession(), []))
    answer = json.loads(tab.start("portrait.png", None, {}, "visitor d"))
    assert set(answer) == {"attempt", "error", "nonce"} and answer["error"] == message
    assert len(sessions) == 2


def test_a_session_that_stops_sending_ends_and_frees_its_slot():
    clock = Clock()
    sessions = LiveSessions(limit=2, idle_seconds=5, clock=clock)
    quiet, _ = sessions.open("visitor a", CountingSession)
    talking, _ = sessions.open("visitor b", CountingSession)
    for _ in range(8):  # b goes on sending, a's tab was closed
        clock.now += 1
        assert len(sessions.push(talking, decode_audio(pcm(0.04)))) == 1
    assert len(sessions) == 1
    sessions.open("visitor c", CountingSession)  # the freed slot
    with pytest.raises(StyleheadError, match="press Start again"):
        sessions.push(quiet, decode_audio(pcm(0.04)))


def test_a_session_still_being_made_is_not_taken_for_idle():
    clock = Clock()
    sessions = LiveSessions(limit=1, idle_seconds=5, clock=clock)

    def slow_face_finding():
        clock.now += 30
        assert len(sessions.streams) == 1  # its slot is held meanwhile
        return CountingSession()

    token, _ = sessions.open("visitor a", slow_face_finding)
    assert len(sessions) == 1 and sessions.push(token, decode_audio(pcm(0.04)))


def test_a_second_start_from_the_same_visitor_replaces_the_first():
    sessions = LiveSessions(limit=2)
    first, _ = sessions.open("visitor a", CountingSession)
    second, _ = sessions.open("visitor a", CountingSession)
    assert first != second and len(sessions) == 1
    with pytest.raises(StyleheadError, match="press Start again"):
        sessions.push(first, decode_audio(pcm(0.04)))
    assert sessions.push(second, decode_audio(pcm(0.08)))
    sessions.open("visitor b", CountingSession)  # the replaced session's slot is free for someone else
    assert len(sessions) == 2


def test_a_failed_start_gives_its_slot_back():
    sessions = LiveSessions(limit=1)

    def no_face():
        raise StyleheadError("No face found in the portrait.")

    tab = LiveTab(sessions, lambda image, style, styles: (no_face(), []))
    assert json.loads(tab.start("wall.png", None, {}, "visitor a"))["error"] == "No face found in the portrait."
    assert len(sessions) == 0
    sessions.open("visitor b", CountingSession)


def test_the_page_gets_jpeg_frames_with_their_sound_and_the_end_flushes_the_rest():
    made = []

    def open_session(image, style, styles):
        made.append(CountingSession())
        return made[-1], ["Several faces: the largest is used."]

    tab = LiveTab(LiveSessions(limit=2), open_session)
    answer = json.loads(tab.start("portrait.png", None, {}, "visitor a", attempt=3))
    assert (answer["attempt"], answer["width"], answer["height"], answer["fps"]) == (3, 64, 48, 25)
    assert "Several faces" in answer["note"]
    loud = tab.push({"token": answer["token"], "audio": pcm(0.1)})
    assert [frame["index"] for frame in loud["frames"]] == [0, 1] and "error" not in loud
    image = cv2.imdecode(np.frombuffer(base64.b64decode(loud["frames"][0]["jpeg"]), np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (48, 64, 3) and image.mean() > 100
    sound = np.frombuffer(base64.b64decode(loud["frames"][0]["audio"]), "<i2")
    assert len(sound) == 640 and np.abs(sound).max() > 5000
    last = tab.push({"token": answer["token"], "audio": pcm(0.0), "last": True})
    assert [frame["index"] for frame in last["frames"]] == [2] and made[0].finished
    assert tab.push({"token": answer["token"], "audio": pcm(0.04)})["error"].endswith("press Start again.")


def test_stop_ends_the_session_and_a_session_ends_at_its_time_limit():
    sessions = LiveSessions(limit=1, max_seconds=1.0)
    tab = LiveTab(sessions, lambda image, style, styles: (CountingSession(), []))
    token = json.loads(tab.start("portrait.png", None, {}, "visitor a"))["token"]
    assert tab.stop({"token": token}) == {"stopped": True} and len(sessions) == 0
    token = json.loads(tab.start("portrait.png", None, {}, "visitor a"))["token"]
    reply = tab.push({"token": token, "audio": pcm(1.02)})
    assert len(reply["frames"]) == 26 and reply["error"].startswith("A live session lasts at most 1 s")
    assert len(sessions) == 0


@pytest.mark.parametrize("audio", ["not base64!", base64.b64encode(b"odd").decode(), pcm(6.0), None])
def test_audio_the_server_cannot_read_is_refused_in_one_sentence(audio):
    tab = LiveTab(LiveSessions(limit=1), lambda image, style, styles: (CountingSession(), []))
    token = json.loads(tab.start("portrait.png", None, {}, "visitor a"))["token"]
    reply = tab.push({"token": token, "audio": audio})
    if audio is None:  # nothing to send yet: no frames, no error
        assert reply == {"frames": []}
    else:
        assert reply == {"frames": [], "error": "The page sent audio the server cannot read; reload the page."}


def test_the_app_reads_the_live_session_limit_from_the_environment(monkeypatch):
    import app

    assert app.AppLimits().max_live_sessions == 2
    monkeypatch.setenv("STYLEHEAD_MAX_LIVE_SESSIONS", "5")
    assert app.AppLimits().max_live_sessions == 5
    assert app.LIVE.sessions.limit == app.LIMITS.max_live_sessions


def test_a_start_without_a_portrait_or_with_an_unknown_style_answers_one_sentence(monkeypatch, portrait_path):
    import app

    monkeypatch.setattr(app, "LIVE", LiveTab(LiveSessions(limit=2), app.open_live_session))
    assert json.loads(app.LIVE.start(None, None, {}, "visitor a"))["error"] == "Upload a portrait first."
    answer = json.loads(app.LIVE.start(str(portrait_path), "no such style", {}, "visitor a"))
    assert answer["error"] == "There is no style 'no such style'; pick one from the list."
    assert len(app.LIVE.sessions) == 0


def test_numbered_parts_that_overtake_each_other_are_taken_in_order(monkeypatch):
    import threading

    import live_app

    sessions = LiveSessions(limit=1)
    token, _ = sessions.open("visitor a", CountingSession)
    levels = [0.05, 0.1, 0.2]
    done = {}

    def send(part):
        done[part] = sessions.push(token, decode_audio(pcm(0.04, levels[part])), part=part)

    threads = [threading.Thread(target=send, args=(part,)) for part in (2, 1, 0)]  # the last one arrives first
    for thread in threads:
        thread.start()
        thread.join(0.05)
    for thread in threads:
        thread.join(10)
    assert [done[part][0].index for part in range(3)] == [0, 1, 2]
    assert done[0][0].image.mean() < done[1][0].image.mean() < done[2][0].image.mean()

    monkeypatch.setattr(live_app, "PART_WAIT_SECONDS", 0.2)
    with pytest.raises(StyleheadError, match="Some of the page's audio was lost on the way"):
        sessions.push(token, decode_audio(pcm(0.04)), part=4)  # part 3 never came
    assert len(sessions) == 0


def test_two_live_sessions_at_once_give_each_visitor_the_frames_it_would_get_alone(portrait_path, speech_path):
    """The app runs the sessions of its visitors in parallel threads, on one pipeline."""
    import threading

    import app
    from stylehead.media import read_audio

    speech = read_audio(speech_path)
    sounds = {"a": speech[:24000], "b": speech[48000:72000]}

    def run(audio):
        session, _ = app.open_live_session(str(portrait_path), app.NO_STYLE, {})
        frames = [frame for i in range(0, len(audio), 800) for frame in session.push(audio[i : i + 800])]
        return [frame.image for frame in frames + session.finish()]

    alone = {name: run(audio) for name, audio in sounds.items()}
    together = {}
    threads = [threading.Thread(target=lambda n=name: together.update({n: run(sounds[n])})) for name in sounds]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    for name in sounds:
        assert len(together[name]) == len(alone[name]) > 30  # 1.5 s at 25 fps
        assert all(np.array_equal(x, y) for x, y in zip(together[name], alone[name], strict=True))
    assert not np.array_equal(alone["a"][20], alone["b"][20])  # different sounds, different mouths


def test_start_answers_one_sentence_for_no_face_and_a_note_for_several(monkeypatch, portrait, tmp_path):
    import app
    from stylehead.media.image import write_image

    monkeypatch.setattr(app, "LIVE", LiveTab(LiveSessions(limit=2), app.open_live_session))
    wall = write_image(tmp_path / "wall.png", np.full((300, 300, 3), 140, np.uint8))
    answer = json.loads(app.LIVE.start(str(wall), app.NO_STYLE, {}, "visitor a"))
    assert answer["error"] == ("No face was found in wall.png; use a clear, well-lit photo where one face looks at "
                               "the camera.")  # fmt: skip
    two = write_image(tmp_path / "two.png", np.concatenate([portrait, portrait[::2, ::2].repeat(2, 0).repeat(2, 1)], 1))
    answer = json.loads(app.LIVE.start(str(two), app.NO_STYLE, {}, "visitor a"))
    assert answer["token"] and "2 faces were found in two.png; the largest one is animated." in answer["note"]
    assert len(app.LIVE.sessions) == 1
