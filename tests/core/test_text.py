"""Vietnamese text helpers: folding for search, collation for lists of people."""

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from chibo.core.text import fold, normalize, person_sort_key, split_full_name

VIETNAMESE_LETTERS = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyàằầèềìòồờùừỳáắấéếíóốớúứýảẳẩẻểỉỏổởủửỷãẵẫẽễĩõỗỡũữỹạặậẹệịọộợụựỵ"
)


def test_fold_removes_marks_and_folds_d():
    assert fold("Đặng Thị Hoa") == "dang thi hoa"
    assert fold("  NGUYỄN   Văn Ưng ") == "nguyen van ung"
    assert fold("Lý Ơn") == "ly on"
    assert fold("đảng viên") == fold("Đảng Viên") == "dang vien"


def test_fold_treats_composed_and_decomposed_input_alike():
    decomposed = unicodedata.normalize("NFD", "Đặng Thị Hoa")
    assert fold(decomposed) == fold("Đặng Thị Hoa")
    assert normalize(decomposed) == "Đặng Thị Hoa"


@given(st.text(alphabet=VIETNAMESE_LETTERS + " ", max_size=40))
def test_fold_is_plain_ascii_and_idempotent(text):
    folded = fold(text)
    assert folded.isascii()
    assert fold(folded) == folded
    assert fold(text.upper()) == folded


def _sorted(names):
    return [" ".join(p for p in n if p) for n in sorted(names, key=lambda n: person_sort_key(*n))]


def test_people_sort_by_given_then_middle_then_family_name():
    names = [
        ("Nguyễn", "Văn", "Bình"),
        ("Trần", "Thị", "An"),
        ("Lê", "Văn", "An"),
        ("Âu", "", "Bình"),
    ]
    assert _sorted(names) == ["Trần Thị An", "Lê Văn An", "Âu Bình", "Nguyễn Văn Bình"]


def test_vietnamese_alphabet_order():
    # a < ă < â < b … d < đ < e … o < ô < ơ < p … u < ư < v
    given_names = [
        "Vân",
        "Ưng",
        "Uyên",
        "Phúc",
        "Ơn",
        "Ông",
        "Oanh",
        "Em",
        "Đức",
        "Dũng",
        "Bảo",
        "Ân",
        "Ăn",
        "An",
    ]
    names = [("Nguyễn", "", g) for g in given_names]
    assert _sorted(names) == [f"Nguyễn {g}" for g in reversed(given_names)]


def test_tone_marks_only_break_ties():
    names = [
        ("A", "", "Hòa"),
        ("B", "", "Hoa"),
        ("C", "", "Hóa"),
        ("D", "", "Hỏa"),
        ("E", "", "Hoan"),
    ]
    # ngang < huyền < hỏi < ngã < sắc < nặng; "Hoan" (longer) after every "Hoa"
    assert _sorted(names) == ["B Hoa", "A Hòa", "D Hỏa", "C Hóa", "E Hoan"]


@given(
    st.lists(
        st.tuples(
            *(st.text(alphabet=VIETNAMESE_LETTERS, min_size=0, max_size=8) for _ in range(3))
        ),
        max_size=20,
    )
)
def test_sort_key_is_ascii_alphanumeric_so_every_database_sorts_it_alike(names):
    for name in names:
        key = person_sort_key(*name)
        assert key.isascii() and key.isalnum() or key.isdigit()
    keys = [person_sort_key(*n) for n in names]
    assert sorted(keys) == sorted(keys, key=lambda k: k.encode())


@given(
    st.text(alphabet=VIETNAMESE_LETTERS, min_size=1, max_size=6),
    st.text(alphabet=VIETNAMESE_LETTERS, min_size=1, max_size=6),
)
def test_given_name_decides_before_family_name(given_a, given_b):
    if fold(given_a) == fold(given_b):
        return
    a = person_sort_key("Zzz", "", given_a)
    b = person_sort_key("Aaa", "", given_b)
    plain_a = person_sort_key("", "", given_a)
    plain_b = person_sort_key("", "", given_b)
    assert (a < b) == (plain_a < plain_b)


def test_split_full_name():
    assert split_full_name("Nguyễn Thị Thu Hà") == ("Nguyễn", "Thị Thu", "Hà")
    assert split_full_name("Lý Ơn") == ("Lý", "", "Ơn")
    assert split_full_name("  ") == ("", "", "")


def test_normalize_paragraphs_keeps_line_breaks_and_composes():
    from chibo.core.text import normalize_paragraphs

    text = "  Đe\u0302\u0300 nghị  một \r\n\r\n\r\n- hai   ba\n\n"
    assert normalize_paragraphs(text) == "Đề nghị một\n\n- hai ba"
    assert normalize_paragraphs(None) == ""
