"""Phone features from pocketsphinx's en-us acoustic model, which ships inside its wheel.

Speaker-independent lip motion needs phonetic knowledge that ~11 minutes of video cannot teach.
pocketsphinx's allphone decoder (a phone-loop search with a phone bigram model, no words) labels
every 10 ms of audio with one of 39 ARPAbet phones or silence. :func:`phone_features` turns the
labels into a (T, 40) one-hot track at 60 fps. The decoder is English-trained; on other languages
it still finds the closest English phones, which is what a mouth needs.
"""

import functools
import os

import numpy as np

from stylehead.audio.features import FPS, SAMPLE_RATE, num_video_frames

PHONES = [
    "SIL",
    "AA",
    "AE",
    "AH",
    "AO",
    "AW",
    "AY",
    "B",
    "CH",
    "D",
    "DH",
    "EH",
    "ER",
    "EY",
    "F",
    "G",
    "HH",
    "IH",
    "IY",
    "JH",
    "K",
    "L",
    "M",
    "N",
    "NG",
    "OW",
    "OY",
    "P",
    "R",
    "S",
    "SH",
    "T",
    "TH",
    "UH",
    "UW",
    "V",
    "W",
    "Y",
    "Z",
    "ZH",
]
PHONE_INDEX = {phone: i for i, phone in enumerate(PHONES)}
DECODER_FPS = 100  # pocketsphinx labels 10 ms frames
SILENCE_RMS = 10 ** (-55 / 20)  # frames quieter than -55 dBFS are silence whatever the decoder says
CHUNK_SECONDS = 30.0  # long audio is decoded in chunks to bound the decoder's memory


@functools.cache
def _model_paths() -> tuple[str, str]:
    from pocketsphinx import get_model_path

    root = get_model_path()
    return os.path.join(root, "en-us", "en-us"), os.path.join(root, "en-us", "en-us-phone.lm.bin")


def decode_phones(audio: np.ndarray) -> list[tuple[str, int, int]]:
    """(N,) float 16 kHz audio → [(phone, first 10-ms frame, last frame)], silence as ``SIL``."""
    from pocketsphinx import Decoder

    hmm, phone_lm = _model_paths()
    decoder = Decoder(
        hmm=hmm, allphone=phone_lm, lm=None, backtrace=True, beam=1e-20, pbeam=1e-20, lw=2.0, loglevel="FATAL"
    )
    segments = []
    chunk = int(CHUNK_SECONDS * SAMPLE_RATE)
    for start in range(0, len(audio), chunk):
        pcm = (np.clip(audio[start : start + chunk], -1, 1) * 32767).astype(np.int16).tobytes()
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        offset = start * DECODER_FPS // SAMPLE_RATE
        for seg in decoder.seg() or ():  # None when nothing was decoded (silence, a tiny chunk)
            phone = seg.word if seg.word in PHONE_INDEX else "SIL"  # noise and filler tokens are silence
            segments.append((phone, seg.start_frame + offset, seg.end_frame + offset))
    return segments


def phone_features(audio: np.ndarray) -> np.ndarray:
    """(N,) float 16 kHz audio → (T, 40) float32 phone one-hots at 60 fps (T = num_video_frames(N))."""
    count = num_video_frames(len(audio))
    labels = np.zeros(int(np.ceil(len(audio) / SAMPLE_RATE * DECODER_FPS)) + 1, dtype=np.int64)
    for phone, first, last in decode_phones(audio):
        labels[first : last + 1] = PHONE_INDEX[phone]
    # each 60-fps frame averages the 10-ms labels it overlaps
    onehot = np.eye(len(PHONES), dtype=np.float32)[labels]
    edges = np.arange(count + 1) / FPS * DECODER_FPS
    cumulative = np.concatenate([np.zeros((1, len(PHONES)), np.float32), np.cumsum(onehot, axis=0)])
    positions = np.arange(len(cumulative), dtype=np.float64)
    starts = np.stack([np.interp(edges[:-1], positions, column) for column in cumulative.T], axis=1)
    stops = np.stack([np.interp(edges[1:], positions, column) for column in cumulative.T], axis=1)
    features = ((stops - starts) * FPS / DECODER_FPS).astype(np.float32)
    # The decoder labels digital silence and faint noise as fricatives: below the floor it is silence.
    quiet = frame_rms(audio, count) < SILENCE_RMS
    features[quiet] = 0.0
    features[quiet, PHONE_INDEX["SIL"]] = 1.0
    return features


def frame_rms(audio: np.ndarray, count: int) -> np.ndarray:
    """RMS of the audio in each 60-fps frame's 1/60 s: (count,) float32."""
    hop = SAMPLE_RATE // FPS
    padded = np.pad(audio, (0, max(0, count * hop - len(audio))))[: count * hop]
    return np.sqrt((padded.reshape(count, hop).astype(np.float64) ** 2).mean(1)).astype(np.float32)
