"""Unified social credit codes: literal tables of valid and invalid codes, then properties."""

from __future__ import annotations

import pytest
import stdnum.cn.uscc
from hypothesis import given
from hypothesis import strategies as st

from nevport.errors import InvalidInput
from nevport.park.uscc import (
    ALPHABET,
    complete_credit_code,
    is_valid_credit_code,
    org_check_char,
    synthetic_credit_code,
    validate_credit_code,
)

# Each row: the code as given, the code as stored.
VALID = [
    ("91110000600037341L", "91110000600037341L"),  # python-stdnum's documented example
    ("914403001922038216", "914403001922038216"),  # a published company code (Shenzhen)
    (" 91110000600037341l\n", "91110000600037341L"),  # blanks dropped, letters upper-cased
]

# (given, message after "credit_code: ")
INVALID = [
    ("91110000600037341M", "check character is 'M', expected 'L'"),
    (
        "91110000600037342P",  # final check right, organisation-code check wrong
        "organisation-code check character (position 17) is '2', expected '1' (GB 11714)",
    ),
    ("91110000600037341", "has 17 characters, expected 18"),
    ("91110000600037341LL", "has 19 characters, expected 18"),
    ("", "has 0 characters, expected 18"),
    ("91110000I00037341L", "character 'I' at position 9 is not allowed"),
    ("9111000060003734OL", "character 'O' at position 17 is not allowed"),
    ("91110000-600037341", "character '-' at position 9 is not allowed"),
    ("９1110000600037341L", "character '９' at position 1 is not allowed"),
    ("911A0000600037341L", "positions 3-8 must be a 6-digit division code, got '1A0000'"),
    (91110000600037341, "must be a string, got int"),
    (None, "must be a string, got NoneType"),
]


@pytest.mark.parametrize(("given", "stored"), VALID)
def test_valid_codes_are_accepted_and_canonical(given: str, stored: str) -> None:
    assert validate_credit_code(given) == stored
    assert is_valid_credit_code(given)


@pytest.mark.parametrize(("given", "message"), INVALID)
def test_invalid_codes_name_the_field_and_the_fault(given: object, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_credit_code(given)
    assert caught.value.field == "credit_code"
    assert str(caught.value).startswith(f"credit_code: {message}")
    assert not is_valid_credit_code(given)


def test_the_wrong_organisation_check_case_passes_stdnum() -> None:
    # The reason for the extra check: stdnum alone accepts this code.
    assert stdnum.cn.uscc.is_valid("91110000600037342P")


@pytest.mark.parametrize(
    ("body", "check"),
    [
        ("60003734", "1"),  # 6*3 + 3*5 + 7*8 + 3*4 + 4*2 = 109; 109 mod 11 = 10; 11 - 10 = 1
        ("19220382", "1"),  # sum 164, mod 11 = 10
        ("00000000", "0"),  # 11 - 0 = 11 -> '0'
        ("00000001", "9"),  # 1*2 = 2 -> 9
        ("00000006", "X"),  # 6*2 = 12, mod 11 = 1 -> 10 -> 'X'
        ("0000000A", "2"),  # letters count A=10 (full Latin alphabet): 20 mod 11 = 9 -> 2
    ],
)
def test_organisation_code_check_characters(body: str, check: str) -> None:
    assert org_check_char(body) == check


def test_letters_in_positions_1_and_2_are_allowed_by_the_standard() -> None:
    # GB 32100 authority codes include letters (N agriculture, Y others); stdnum refuses them.
    code = complete_credit_code("N2120114" + "MA0000AB")
    assert validate_credit_code(code) == code
    assert not stdnum.cn.uscc.is_valid(code)


# --- properties ------------------------------------------------------------------------

any_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=ALPHABET + "IOSVZ -", min_size=16, max_size=20),
    st.integers(),
    st.none(),
)
heads = st.tuples(
    st.text(alphabet=ALPHABET, min_size=2, max_size=2),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=ALPHABET, min_size=8, max_size=8),
).map("".join)


@given(any_text)
def test_validate_never_raises_anything_but_invalid_input(value: object) -> None:
    try:
        code = validate_credit_code(value)
    except InvalidInput as exc:
        field = exc.field  # anything but InvalidInput propagates and fails the test
        assert field == "credit_code"
    else:
        assert len(code) == 18
        assert stdnum.cn.uscc.calc_check_digit(code[:17]) == code[17]


@given(heads, st.integers(min_value=0, max_value=17), st.sampled_from(ALPHABET))
def test_any_single_substitution_is_caught(head: str, position: int, char: str) -> None:
    code = complete_credit_code(head)
    assert is_valid_credit_code(code)
    changed = code[:position] + char + code[position + 1 :]
    assert is_valid_credit_code(changed) == (changed == code)


def test_synthetic_codes_are_valid_deterministic_and_distinct() -> None:
    codes = [synthetic_credit_code(seed) for seed in range(500)]
    assert all(is_valid_credit_code(code) for code in codes)
    assert codes == [synthetic_credit_code(seed) for seed in range(500)]
    assert len(set(codes)) == 500
    assert all(code.startswith("91120114") for code in codes)


def test_synthetic_code_refuses_a_bad_division() -> None:
    with pytest.raises(InvalidInput, match="division must be 6 digits, got '12011'"):
        synthetic_credit_code(1, division="12011")
