"""Announcements are real speech, made offline: a chime, then the call in each of the board's languages."""

from __future__ import annotations

import array
import io
import wave

from display_board.announcements import announcement
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
