"""Properties of the Vietnamese text helpers (`chibo.core.text`) on any input, hostile or not.

Every text a user types goes through `normalize` or `normalize_paragraphs` before it is
stored, every search key through `fold`, every list of people through `person_sort_key`, and
the import's "Họ và tên" column through `split_full_name`. The examples mix Vietnamese letters
(composed and decomposed), stray combining marks, every kind of space and line break, control
characters and arbitrary Unicode, which is where such helpers break.
"""

from __future__ import annotations

import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from chibo.core.text import fold, normalize, normalize_paragraphs, person_sort_key, split_full_name

VIETNAMESE = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyàằầèềìòồờùừỳáắấéếíóốớúứýảẳẩẻểỉỏổởủửỷãẵẫẽễĩõỗỡũữỹạặậẹệịọộợụựỵ"
)
LETTERS = VIETNAMESE + VIETNAMESE.upper() + "fjwz0123456789"
MARKS = "\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b"  # tones, circumflex, breve, horn
SPACES = " \t\n\r\x0b\x0c\x1c\x85\u00a0\u2028\u2029\u3000"
CONTROLS = "\x00\x01\x08\x0e\x1b\x7f\x80\x9f"
PUNCTUATION = ".,-'/()“”…"

# Mostly what people type, sometimes anything at all.
piece = st.one_of(
    st.sampled_from(LETTERS), st.sampled_from(MARKS), st.sampled_from(SPACES),
    st.sampled_from(CONTROLS), st.sampled_from(PUNCTUATION), st.characters(),
)  # fmt: skip
texts = st.lists(piece, max_size=30).map("".join)
# Names as people type them: Vietnamese letters, composed or decomposed, and spaces.
names = st.builds(
    lambda text, form: unicodedata.normalize(form, text),
    st.text(alphabet=LETTERS + "  ", max_size=25), st.sampled_from(["NFC", "NFD"]),
)  # fmt: skip

EXAMPLES = settings(max_examples=300, deadline=None, derandomize=True, database=None)
CONTROL_CHARACTERS = {chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cc"}


def _is_stored_form(text: str) -> bool:
    """What `normalize` promises: NFC, single plain spaces, no control characters."""
    return (
        unicodedata.is_normalized("NFC", text)
        and text == text.strip()
        and "  " not in text
        and all(ch == " " or not ch.isspace() for ch in text)
        and not CONTROL_CHARACTERS & set(text)
    )


@EXAMPLES
@given(texts)
@example("Đe\u0302\u0300 nghi\u0323\x00 \u00a0 mo\u0323\u0302t")
def test_normalize_gives_the_stored_form_and_is_idempotent(text):
    normal = normalize(text)
    assert _is_stored_form(normal)
    assert normalize(normal) == normal


@EXAMPLES
@given(texts)
@example("  Một\r\n\r\n\r\nhai\x00\u2028ba \x0b bốn  ")
def test_normalize_paragraphs_keeps_only_line_breaks_and_is_idempotent(text):
    paragraphs = normalize_paragraphs(text)
    assert normalize_paragraphs(paragraphs) == paragraphs
    assert "\n\n\n" not in paragraphs and paragraphs == paragraphs.strip()
    for line in paragraphs.split("\n"):
        assert line == "" or _is_stored_form(line)
    # Only the line breaks differ from the one-line form.
    assert normalize(paragraphs) == normalize(text)


@EXAMPLES
@given(texts)
@example("a \u0301 b")  # a stray mark between spaces
@example("\u0301")
def test_fold_never_fails_and_is_an_idempotent_search_key(text):
    key = fold(text)
    assert fold(key) == key
    assert key == key.lower() and key == key.strip() and "  " not in key
    assert not any(unicodedata.combining(ch) for ch in key)
    assert "đ" not in key and not CONTROL_CHARACTERS & set(key)


@EXAMPLES
@given(names)
def test_folded_vietnamese_is_plain_ascii_whatever_the_form_or_case(name):
    key = fold(name)
    assert key.isascii()
    assert (
        fold(unicodedata.normalize("NFD", name)) == fold(unicodedata.normalize("NFC", name)) == key
    )
    assert fold(name.upper()) == key
    # Searching a folded word finds the name it comes from ("dang" finds "Đặng Thị Hoa").
    for word in normalize(name).split(" "):
        assert fold(word) in key


@EXAMPLES
@given(texts, texts, texts)
def test_sort_key_never_fails_and_sorts_alike_in_every_database(family, middle, given_name):
    key = person_sort_key(family, middle, given_name)
    assert key.isascii() and key.isalnum()


@EXAMPLES
@given(names, names, names)
def test_sort_key_ignores_case_and_composition(family, middle, given_name):
    key = person_sort_key(family, middle, given_name)
    assert person_sort_key(family.upper(), middle.lower(), given_name.upper()) == key
    assert (
        person_sort_key(*(unicodedata.normalize("NFD", p) for p in (family, middle, given_name)))
        == key
    )


@EXAMPLES
@given(texts)
def test_split_full_name_keeps_every_word_in_order(full_name):
    family, middle, given_name = split_full_name(full_name)
    assert " ".join(p for p in (family, middle, given_name) if p) == normalize(full_name)
    words = normalize(full_name).split()
    if words:
        assert given_name == words[-1]
        assert family == (words[0] if len(words) > 1 else "")
    else:
        assert (family, middle, given_name) == ("", "", "")
