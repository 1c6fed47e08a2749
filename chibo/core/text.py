"""Vietnamese text helpers: normalisation, diacritic-free search keys, collation."""

from __future__ import annotations

import re
import unicodedata

# Combining marks that make a different *letter* in Vietnamese (ă â ê ô ơ ư).
_BREVE, _CIRCUMFLEX, _HORN = "\u0306", "\u0302", "\u031b"
# Tone marks, in the order of the Vietnamese collation (CLDR vi): ngang, huyền, hỏi, ngã, sắc, nặng.
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}

# The Vietnamese alphabet, extended with the Latin letters that occur in names (f j w z).
_ALPHABET = [
    "a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "f", "g", "h", "i", "j", "k", "l", "m",
    "n", "o", "ô", "ơ", "p", "q", "r", "s", "t", "u", "ư", "v", "w", "x", "y", "z",
]  # fmt: skip
# Two base-36 digits per letter keep the key ASCII and fixed-width, so it sorts the same
# under SQLite's binary collation and any PostgreSQL collation. "00" separates name parts,
# "01" separates words inside a part; letters start at "10".
_LETTER_CODE = {letter: f"{i + 36:02d}" for i, letter in enumerate(_ALPHABET)}
_DIGIT_CODE = {str(d): f"{d + 20:02d}" for d in range(10)}
_PART_SEP, _WORD_SEP, _OTHER = "00", "01", "99"
# Control characters that are not spaces or line breaks (those are collapsed or kept as such):
# invisible, refused by PostgreSQL (NUL) and by the XML inside Word and Excel files.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")


def normalize(text: str | None) -> str:
    """NFC-normalise, drop control characters and collapse whitespace: how every Vietnamese
    text is stored."""
    if not text:
        return ""
    return " ".join(unicodedata.normalize("NFC", _CONTROL.sub("", text)).split())


def normalize_paragraphs(text: str | None) -> str:
    """NFC-normalise a long text, keeping its paragraphs: line breaks stay (at most one empty
    line between paragraphs), spaces inside a line collapse, control characters go, the ends
    are trimmed."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", _CONTROL.sub("", text))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip()


def _letters(text: str) -> list[tuple[str, int]]:
    """Split text into (base letter, tone) pairs, lower-cased."""
    result: list[tuple[str, int]] = []
    for ch in unicodedata.normalize("NFD", text.lower()):
        if unicodedata.combining(ch):
            if not result:
                continue
            base, tone = result[-1]
            if ch == _BREVE and base == "a":
                result[-1] = ("ă", tone)
            elif ch == _CIRCUMFLEX and base in "aeo":
                result[-1] = ({"a": "â", "e": "ê", "o": "ô"}[base], tone)
            elif ch == _HORN and base in "ou":
                result[-1] = ({"o": "ơ", "u": "ư"}[base], tone)
            elif ch in _TONES:
                result[-1] = (base, _TONES[ch])
            continue
        result.append((ch, 0))
    return result


def fold(text: str | None) -> str:
    """Search key: lower case, no diacritics, đ → d, single spaces.

    >>> fold("Đặng Thị Hoa")
    'dang thi hoa'
    """
    if not text:
        return ""
    out = []
    for ch in unicodedata.normalize("NFD", normalize(text).lower()):
        if unicodedata.combining(ch):
            continue
        out.append("d" if ch == "đ" else ch)
    # A mark standing alone between spaces ("a \u0301 b") leaves two spaces behind.
    return " ".join("".join(out).split())


def _collation_primary(text: str) -> tuple[str, str]:
    primary, tones = [], []
    for word_index, word in enumerate(normalize(text).split(" ")):
        if word_index:
            primary.append(_WORD_SEP)
        for base, tone in _letters(word):
            code = _LETTER_CODE.get(base) or _DIGIT_CODE.get(base)
            if code is None:
                continue  # punctuation and other symbols do not sort
            primary.append(code)
            tones.append(str(tone))
    return "".join(primary), "".join(tones)


def person_sort_key(family: str, middle: str, given: str) -> str:
    """Sort key for a Vietnamese name: given name, then middle, then family name.

    Within each part, letters compare in Vietnamese alphabet order (a ă â b c d đ …)
    ignoring tone marks, then tone marks break ties (ngang < huyền < hỏi < ngã < sắc < nặng),
    so "Anh" < "Ánh" < "Bình" whatever the middle and family names are.
    """
    keys = []
    for part in (given, middle, family):
        primary, tones = _collation_primary(part)
        keys.append(f"{primary}{_PART_SEP}{tones}")
    return _PART_SEP.join(keys)


def split_full_name(full_name: str) -> tuple[str, str, str]:
    """'Nguyễn Thị Thu Hà' → ('Nguyễn', 'Thị Thu', 'Hà')."""
    words = normalize(full_name).split(" ")
    if not words or words == [""]:
        return "", "", ""
    if len(words) == 1:
        return "", "", words[0]
    return words[0], " ".join(words[1:-1]), words[-1]
