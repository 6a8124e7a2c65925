"""Recreate the bundled example media from sources the project may ship.

- ``portrait.png``: scikit-image's ``astronaut`` image (NASA photo of Eileen Collins, public domain),
  taken from inside the scikit-image wheel.
- ``speech.wav``: English speech synthesised here with espeak-ng (``apt-get install espeak-ng``),
  resampled to 16 kHz mono; the text is the project's own.

Usage: python examples/make_examples.py
"""

import shutil
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
TEXT = (
    "Hello, and welcome to style head. Give me one portrait and a voice, and I will bring the face to life. "
    "Pick a style, and the head moves like the person in your reference video."
)
VOICE = "en-us"
WORDS_PER_MINUTE = 150


def make_portrait(path: Path) -> None:
    from PIL import Image
    from skimage import data

    Image.fromarray(data.astronaut()).save(path, optimize=True)


def make_speech(path: Path) -> None:
    import soundfile

    from stylehead.media import read_audio

    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise SystemExit("espeak-ng is not installed: apt-get install espeak-ng")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "speech.wav"
        subprocess.run([espeak, "-v", VOICE, "-s", str(WORDS_PER_MINUTE), "-w", str(raw), TEXT], check=True)
        audio = read_audio(raw)  # mono float32 at 16 kHz
    soundfile.write(path, audio, 16_000, subtype="PCM_16")


if __name__ == "__main__":
    make_portrait(HERE / "portrait.png")
    make_speech(HERE / "speech.wav")
    print(f"wrote {HERE / 'portrait.png'} and {HERE / 'speech.wav'}")
