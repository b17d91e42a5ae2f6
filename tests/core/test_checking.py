"""checking.check: every answer type, with the near-misses that must stay wrong."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from scoreboard.core import answers
from scoreboard.core.checking import check

CI = {"case_insensitive": True}


# --- static -------------------------------------------------------------------------------


@pytest.mark.parametrize("answer, ok", [
    ("DRILL{r0t_13}", True),
    ("  DRILL{r0t_13}\n", True),        # surrounding white space is stripped
    ("drill{r0t_13}", False),           # case matters by default
    ("DRILL{r0t_13", False),
    ("DRILL{r0t_13}}", False),
    ("DRILL{r0t 13}", False),
    ("DRILL{r0t_13}x", False),
    ("xDRILL{r0t_13}", False),
    ("DRILL{ r0t_13}", False),
    ("", False),
])
def test_static_exact(answer: str, ok: bool) -> None:
    assert check("static", "DRILL{r0t_13}", answer) is ok


@pytest.mark.parametrize("answer, ok", [
    ("drill{R0T_13}", True),
    ("DRILL{r0t_13}", True),
    ("  dRiLl{r0T_13} ", True),
    ("drill{r0t_14}", False),
    ("drill{r0t_13} extra", False),
])
def test_static_case_insensitive(answer: str, ok: bool) -> None:
    assert check("static", "DRILL{r0t_13}", answer, CI) is ok


# --- regex --------------------------------------------------------------------------------


@pytest.mark.parametrize("answer, ok", [
    ("DRILL{abc123}", True),
    ("DRILL{a}", True),
    ("DRILL{abc123}tail", False),      # a suffix must not match
    ("head DRILL{abc123}", False),     # a prefix must not match
    ("DRILL{abc123}\nDRILL{x}", False),
    ("DRILL{}", False),
    ("drill{abc}", False),
    ("DRILL{ABC}", False),
])
def test_regex_full_match_only(answer: str, ok: bool) -> None:
    assert check("regex", r"DRILL\{[a-z0-9]+\}", answer) is ok


def test_regex_alternation_is_anchored_as_a_whole() -> None:
    # With a plain re.match plus '$', 'cat|dog' would accept 'catfish'; fullmatch must not.
    assert check("regex", "cat|dog", "dog")
    assert not check("regex", "cat|dog", "catfish")
    assert not check("regex", "cat|dog", "hotdog")


def test_regex_case_insensitive_option() -> None:
    assert check("regex", r"DRILL\{[a-z]+\}", "drill{ABC}", CI)
    assert not check("regex", r"DRILL\{[a-z]+\}", "drill{ABC}")
    assert not check("regex", r"DRILL\{[a-z]+\}", "drill{ABC}!", CI)


def test_regex_pattern_length_is_bounded() -> None:
    long_pattern = "a" * (answers.MAX_PATTERN + 1)
    with pytest.raises(ValueError):
        answers.compiled(long_pattern)
    answers.compiled("a" * answers.MAX_PATTERN)  # the limit itself is fine


# --- ip -----------------------------------------------------------------------------------


@pytest.mark.parametrize("expected, answer, ok", [
    ("10.0.0.1", "10.0.0.1", True),
    ("10.0.0.1", " 10.0.0.1 ", True),
    ("10.0.0.1", "::ffff:10.0.0.1", False),         # IPv4-mapped IPv6 is a different answer
    ("10.0.0.1", "::ffff:a00:1", False),
    ("::ffff:10.0.0.1", "10.0.0.1", False),
    ("::ffff:10.0.0.1", "::ffff:a00:1", True),       # same IPv6 address, two spellings
    ("::1", "[::1]", True),
    ("::1", "0:0:0:0:0:0:0:1", True),
    ("2001:db8::1", "2001:DB8:0:0:0:0:0:1", True),
    ("2001:db8::1", "2001:db8::2", False),
    ("10.0.0.1", "010.0.0.1", False),               # leading zeros are ambiguous (octal)
    ("10.0.0.1", "10.0.0.01", False),
    ("10.0.0.1", "10.0.0.1.", False),
    ("10.0.0.1", "10.0.0.1/32", False),
    ("10.0.0.1", "10.0.0.1:80", False),
    ("10.0.0.1", "10.0.1", False),
    ("10.0.0.1", "167772161", False),               # the integer form is not an address answer
    ("10.0.0.1", "ten.zero.zero.one", False),
    ("10.0.0.1", "", False),
    ("10.0.0.1", "10.0.0.2", False),
    ("198.51.100.172", "198.51.100.171", False),
])
def test_ip(expected: str, answer: str, ok: bool) -> None:
    assert check("ip", expected, answer) is ok


# --- hash ---------------------------------------------------------------------------------

SHA = "3f0badee09f50ed8642352bf7a6452ab9d0e884e277d07b7d8e68387dae4c3bb"


@pytest.mark.parametrize("answer, ok", [
    (SHA, True),
    (SHA.upper(), True),
    ("0x" + SHA, True),
    ("0X" + SHA.upper(), True),
    (f"  {SHA}\t", True),
    (SHA[:-1] + "a", False),              # one character off
    (SHA[:-1], False),                    # one character short
    (SHA + "0", False),                   # one character long
    (SHA[:-1] + "g", False),              # not hex
    ("0x", False),
    ("", False),
    (SHA[:32] + " " + SHA[32:], False),
    ("sha256:" + SHA, False),
])
def test_hash(answer: str, ok: bool) -> None:
    assert check("hash", SHA, answer) is ok


def test_hash_non_hex_expected_never_matches_garbage() -> None:
    # Even when expected and answer are the same non-hex text, a hash answer must be hex.
    assert not check("hash", "zzzz", "zzzz")


# --- number -------------------------------------------------------------------------------


@pytest.mark.parametrize("answer, ok", [
    ("37", True),
    (" 37 ", True),
    ("37.0", True),
    ("+37", True),
    ("36", False),
    ("38", False),
    ("-37", False),
    ("37.001", False),
    ("3 7", False),
    ("thirty-seven", False),
    ("nan", False),
    ("NaN", False),
    ("inf", False),
    ("-inf", False),
    ("Infinity", False),
    ("0x25", False),
    ("", False),
])
def test_number_exact(answer: str, ok: bool) -> None:
    assert check("number", "37", answer) is ok


@pytest.mark.parametrize("answer, ok", [
    ("1000", True),
    ("1,000", True),
    ("1000.4", True),
    ("999.5", True),
    ("1000.6", False),
    ("999.4", False),
    ("1,000.5", True),
])
def test_number_tolerance_and_thousands(answer: str, ok: bool) -> None:
    assert check("number", "1000", answer, {"tolerance": 0.5}) is ok


def test_number_nan_expected_accepts_nothing() -> None:
    assert not check("number", "nan", "nan")
    assert not check("number", "inf", "inf")


@pytest.mark.parametrize("answer", ["1e1000000", "-9e999999999"])
def test_number_huge_exponent_is_just_wrong(answer: str) -> None:
    assert check("number", "37", answer) is False


# --- set ----------------------------------------------------------------------------------

FILES = ["contacts_cell4.ods", "routes_q4.kml", "funding_sept.xlsx"]


@pytest.mark.parametrize("answer, ok", [
    ("contacts_cell4.ods,routes_q4.kml,funding_sept.xlsx", True),
    ("funding_sept.xlsx,contacts_cell4.ods,routes_q4.kml", True),
    (" routes_q4.kml , FUNDING_SEPT.xlsx ,Contacts_Cell4.ods ", True),
    ("routes_q4.kml;funding_sept.xlsx;contacts_cell4.ods", True),
    ("routes_q4.kml\nfunding_sept.xlsx\ncontacts_cell4.ods", True),
    ("routes_q4.kml,,funding_sept.xlsx,contacts_cell4.ods,", True),
    ("contacts_cell4.ods,routes_q4.kml", False),                                   # one missing
    ("contacts_cell4.ods,routes_q4.kml,funding_sept.xlsx,old_keys.txt", False),    # one extra
    ("contacts_cell4.ods,routes_q4.kml,routes_q4.kml", False),                     # a duplicate cannot stand in for a missing item
    ("contacts_cell4.ods routes_q4.kml funding_sept.xlsx", False),                 # not separated
    ("contacts_cell4.ods,routes_q4.kml,funding_sept.xls", False),
    ("", False),
])
def test_set(answer: str, ok: bool) -> None:
    assert check("set", FILES, answer) is ok


def test_set_repeated_item_of_a_complete_answer_is_accepted() -> None:
    # Set semantics: naming an item twice neither adds nor removes anything.
    assert check("set", FILES, "contacts_cell4.ods,routes_q4.kml,funding_sept.xlsx,routes_q4.kml")


def test_set_inner_white_space_is_folded() -> None:
    assert check("set", ["New  York", "Los Angeles"], "los angeles, new york")
    assert not check("set", ["New York", "Los Angeles"], "losangeles, new york")


# --- choice -------------------------------------------------------------------------------


@pytest.mark.parametrize("answer, ok", [
    ("ashen_lynx", True),
    ("ASHEN_LYNX", True),
    ("  Ashen_Lynx  ", True),
    ("tallow", False),
    ("quietfalcon", False),
    ("ashen lynx", False),
    ("ashen_lynx.", False),
    ("ashen_lynx,tallow", False),
])
def test_choice(answer: str, ok: bool) -> None:
    assert check("choice", "ashen_lynx", answer) is ok


def test_choice_folds_inner_space() -> None:
    assert check("choice", "Option B", "option   b")
    assert not check("choice", "Option B", "Option A")


def test_unknown_type_is_refused() -> None:
    with pytest.raises(ValueError):
        check("fuzzy", "x", "x")


# --- properties ---------------------------------------------------------------------------

plain = st.text(min_size=1, max_size=60).filter(lambda s: s == s.strip() and s != "")


@hsettings(max_examples=200, deadline=None, database=None)
@given(plain)
def test_static_accepts_itself_and_refuses_one_more_char(s: str) -> None:
    assert check("static", s, s)
    assert not check("static", s, s + "x")
    assert check("static", s, s, CI)
    assert not check("static", s, s + "x", CI)


@hsettings(max_examples=200, deadline=None, database=None)
@given(plain, st.text(alphabet=" \t\r\n", max_size=5), st.text(alphabet=" \t\r\n", max_size=5))
def test_surrounding_white_space_is_ignored(s: str, before: str, after: str) -> None:
    assert check("static", s, before + s + after)
    assert check("choice", s, before + s + after)


@hsettings(max_examples=150, deadline=None, database=None)
@given(st.lists(st.from_regex(r"[A-Za-z0-9_.\-]{1,12}", fullmatch=True), min_size=1, max_size=6, unique_by=str.casefold),
       st.randoms(use_true_random=False), st.text(alphabet=" \t", max_size=3))
def test_set_is_permutation_invariant(items: list[str], rnd, pad: str) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)
    answer = ",".join(pad + item + pad for item in shuffled)
    assert check("set", items, answer)
    if len(items) > 1:
        assert not check("set", items, ",".join(shuffled[1:]))  # dropping any one item is wrong
    assert not check("set", items, answer + ",zz-not-an-item-zz")


@hsettings(max_examples=100, deadline=None, database=None)
@given(st.integers(min_value=-10**9, max_value=10**9))
def test_number_accepts_its_own_spellings(n: int) -> None:
    assert check("number", str(n), f"{n:,}")
    assert check("number", str(n), f"{n}.0")
    assert not check("number", str(n), str(n + 1))


def test_flag_content_is_stripped_when_the_pack_is_read(make_pack) -> None:
    """A YAML block scalar ends in a newline nobody can type: the loader normalises it once."""
    from scoreboard.packs import read_folder

    root = make_pack({"one": {"name": "One", "value": 1, "flags": ["DRILL{block}\n", {"type": "regex", "content": " D.* "}]}})
    answers = read_folder(root).challenges[0].answers
    assert [a.content for a in answers] == ["DRILL{block}", "D.*"]
    assert check(answers[0].type, answers[0].content, "DRILL{block}")
