"""Announcements are real speech, made offline: a chime, then the call in each of the board's languages."""

from __future__ import annotations

import array
import ctypes
import io
import wave

import pytest

from display_board.announcements import announcement
from display_board import speech
from display_board.speech import announcement_wav


def _samples(wav_bytes: bytes) -> tuple[int, array.array]:
    with wave.open(io.BytesIO(wav_bytes)) as handle:
        assert (handle.getnchannels(), handle.getsampwidth()) == (1, 2)
        return handle.getframerate(), array.array("h", handle.readframes(handle.getnframes()))


def test_a_call_is_spoken_after_a_chime() -> None:
    sentences = (("pl", announcement("A023", "7", "pl")), ("en", announcement("A023", "7", "en")))
    rate, samples = _samples(announcement_wav(sentences))
    seconds = len(samples) / rate
    assert 3.0 < seconds < 12.0
    chime_end = int(rate * 0.7)
    speech = samples[int(rate * 1.0):]
    assert max(abs(s) for s in samples[:chime_end]) > 3000          # the chime sounds
    assert sum(1 for s in speech if abs(s) > 1000) > rate * 0.5     # then more than half a second of voice


def test_the_polish_sentence_takes_longer_than_the_chime_alone() -> None:
    rate, short = _samples(announcement_wav((("pl", "A."),)))
    _, long = _samples(announcement_wav((("pl", announcement("K999", "12", "pl")),)))
    assert len(long) - len(short) > rate * 1.5


def test_ukrainian_and_russian_calls_are_spoken_by_their_own_voices() -> None:
    rate, chime_only = _samples(announcement_wav((("uk", "А."),)))
    for language in ("uk", "ru"):
        _, spoken = _samples(announcement_wav(((language, announcement("K999", "12", language)),)))
        assert len(spoken) - len(chime_only) > rate * 1.5, language
        voice = spoken[int(rate * 1.0):]
        assert sum(1 for s in voice if abs(s) > 1000) > rate * 0.5, language


def test_three_board_languages_make_a_longer_call_than_two() -> None:
    two = tuple((lang, announcement("A023", "7", lang)) for lang in ("pl", "en"))
    three = tuple((lang, announcement("A023", "7", lang)) for lang in ("pl", "uk", "en"))
    rate, short = _samples(announcement_wav(two))
    _, long = _samples(announcement_wav(three))
    assert len(long) - len(short) > rate * 1.0


def _phonemes(language: str, text: str) -> str:
    """What the voice makes of `text`, as eSpeak NG's phoneme mnemonics (espeak_TextToPhonemes)."""
    with speech._lock:
        lib = speech._get_engine().lib
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
        assert lib.espeak_SetVoiceByName(language.encode()) == 0, language
        text_left, clauses = ctypes.c_char_p(text.encode("utf-8")), []
        while text_left.value:
            clauses.append((lib.espeak_TextToPhonemes(ctypes.byref(text_left), 1, 0) or b"").decode())
        return " | ".join(clauses)


# The call "A023 to window 7" as each voice says it: the number as one word ("twenty-three", never
# "zero two three"), the letter in the voice's own language (no switch to English: "(en)").
SAID = {"be": ("dv'ats:ats; tr'i", "s;'Em"), "vi": ("h'a:I_| m'y@7j_b'a:", "b'aI"),
        "hi": ("t'e:is", "s'a:t"), "ka": ("'ots#das'ami", "Sv'idi"), "tr": ("jiRm,i'ytS", "jed'i")}


@pytest.mark.parametrize("language", ["be", "vi", "hi", "ka", "tr"])
def test_the_other_languages_calls_are_spoken_by_their_own_voices(language: str) -> None:
    rate, chime_only = _samples(announcement_wav(((language, "."),)))
    _, spoken = _samples(announcement_wav(((language, announcement("K999", "12", language)),)))
    assert len(spoken) - len(chime_only) > rate * 1.5, language
    voice = spoken[int(rate * 1.0):]
    assert sum(1 for s in voice if abs(s) > 1000) > rate * 0.5, language
    said = _phonemes(language, announcement("A023", "7", language))
    number, window = SAID[language]
    assert number in said and window in said and "(en)" not in said, said
