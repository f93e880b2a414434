"""Spoken announcements made on the server, offline, with eSpeak NG (bundled by espeakng-loader).

Boards need no internet and no voices of their own: they fetch a WAV file — a chime, then the
call in Polish, then in English — and play it. Synthesis is serialised (the library keeps
global state) and runs in a thread; results are cached, since the same calls repeat all day.
"""

from __future__ import annotations

import ctypes
import io
import math
import struct
import threading
import wave
from functools import lru_cache

from display_board.announcements import SPOKEN_LANGUAGES

AUDIO_OUTPUT_SYNCHRONOUS = 2
CHARS_UTF8 = 1
RATE_PARAMETER = 1
# eSpeak NG has a voice of each language the board speaks, named by its code (`espeak-ng --voices`).
VOICES = {language: language.encode() for language in SPOKEN_LANGUAGES}
_SYNTH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class SpeechUnavailable(RuntimeError):
    """No speech engine on this machine: boards fall back to the chime and the flash."""


class _Engine:
    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as error:  # pragma: no cover - the package is a dependency
            raise SpeechUnavailable(str(error)) from None
        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.sample_rate = self.lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0,
                                                      espeakng_loader.get_data_path().encode(), 0)
        if self.sample_rate <= 0:
            raise SpeechUnavailable("eSpeak NG did not start")
        self._chunks: list[bytes] = []
        self._callback = _SYNTH_CALLBACK(self._collect)  # kept referenced for the library's sake
        self.lib.espeak_SetSynthCallback(self._callback)
        self.lib.espeak_SetParameter(RATE_PARAMETER, 150, 0)

    def _collect(self, samples: ctypes.POINTER(ctypes.c_short), count: int, _events: ctypes.c_void_p) -> int:
        if count > 0:
            self._chunks.append(ctypes.string_at(samples, count * 2))
        return 0

    def pcm(self, text: str, language: str) -> bytes:
        self._chunks = []
        if self.lib.espeak_SetVoiceByName(VOICES[language]) != 0:
            raise SpeechUnavailable(f"no {language} voice")
        data = text.encode("utf-8")
        self.lib.espeak_Synth(data, len(data) + 1, 0, 0, 0, CHARS_UTF8, None, None)
        self.lib.espeak_Synchronize()
        return b"".join(self._chunks)


_lock = threading.Lock()
_engine: _Engine | None = None


def _get_engine() -> _Engine:
    global _engine
    if _engine is None:
        _engine = _Engine()
    return _engine


def chime_pcm(sample_rate: int) -> bytes:
    """A soft two-note chime (E5 then C5, 0.35 s each, fading out), 16-bit mono."""
    frames = []
    for frequency in (659.25, 523.25):
        length = int(sample_rate * 0.35)
        for i in range(length):
            envelope = math.exp(-4.0 * i / length)
            frames.append(int(9000 * envelope * math.sin(2 * math.pi * frequency * i / sample_rate)))
    return struct.pack(f"<{len(frames)}h", *frames)


def _silence(sample_rate: int, seconds: float) -> bytes:
    return b"\x00\x00" * int(sample_rate * seconds)


@lru_cache(maxsize=512)
def announcement_wav(sentences: tuple[tuple[str, str], ...]) -> bytes:
    """A WAV file: the chime, then each (language, sentence) spoken, with short pauses."""
    with _lock:
        engine = _get_engine()
        rate = engine.sample_rate
        parts = [chime_pcm(rate), _silence(rate, 0.3)]
        for language, sentence in sentences:
            parts.append(engine.pcm(sentence, language))
            parts.append(_silence(rate, 0.4))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(parts))
    return buffer.getvalue()
