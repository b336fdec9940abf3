"""Unified social credit codes (统一社会信用代码), GB 32100-2015.

Layout of the 18 characters (positions counted from 1):

====  ======================================================================
1     registering authority (9 = market regulation, 1 = staffing office, ...)
2     entity type under that authority (91 = enterprise, 92 = sole trader ...)
3-8   administrative division code of the registering office (GB/T 2260)
9-17  organisation code (GB 11714-1997): 8 body characters and a check char
18    check character over positions 1-17 (GB 32100-2015, modulus 31)
====  ======================================================================

``stdnum.cn.uscc`` checks length, alphabet and the position-18 check character,
but not the organisation code's own check character at position 17, and it
refuses letters in positions 1-2 although the standard's authority table has
them (e.g. ``N`` agriculture, ``Y`` others). So this module does its own format
checks, adds the GB 11714 check and uses stdnum for the GB 32100 check character.
"""

from __future__ import annotations

import random

from stdnum.cn import uscc as _stdnum_uscc

from nevport.errors import InvalidInput

FIELD = "credit_code"
LENGTH = 18
# GB 32100-2015 code alphabet: digits and capitals without I, O, Z, S, V (confusable)
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# GB 11714-1997 weights for the 8 body characters of an organisation code
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
WUQING_DIVISION = "120114"  # GB/T 2260 code of Wuqing District, Tianjin


def _org_value(char: str) -> int:
    # GB 11714 values letters by their place in the full Latin alphabet (A=10 ... Z=35),
    # not by their place in the reduced GB 32100 alphabet.
    return int(char) if char.isdigit() else ord(char) - ord("A") + 10


def org_check_char(body: str) -> str:
    """The GB 11714-1997 check character for the 8-character organisation code ``body``."""
    total = sum(_org_value(c) * w for c, w in zip(body, ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def uscc_check_char(first17: str) -> str:
    """The GB 32100-2015 check character for positions 1-17 (computed by stdnum)."""
    return str(_stdnum_uscc.calc_check_digit(first17))


def _fail(message: str) -> InvalidInput:
    return InvalidInput(message, field=FIELD)


def validate_credit_code(value: object) -> str:
    """``value`` as a canonical credit code, or InvalidInput saying what is wrong.

    Surrounding whitespace is dropped and letters are upper-cased; nothing else is
    forgiven, so a stored code is always the 18 characters printed on the licence.
    """
    if not isinstance(value, str):
        raise _fail(f"must be a string, got {type(value).__name__}")
    code = value.strip().upper()
    if len(code) != LENGTH:
        raise _fail(f"has {len(code)} characters, expected {LENGTH}")
    for position, char in enumerate(code, start=1):
        if char not in ALPHABET:
            raise _fail(
                f"character {char!r} at position {position} is not allowed "
                "(digits and capitals except I, O, Z, S, V)"
            )
    if not code[2:8].isdigit():
        raise _fail(f"positions 3-8 must be a 6-digit division code, got {code[2:8]!r}")
    expected_org = org_check_char(code[8:16])
    if code[16] != expected_org:
        raise _fail(
            f"organisation-code check character (position 17) is {code[16]!r}, "
            f"expected {expected_org!r} (GB 11714)"
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise _fail(f"check character is {code[17]!r}, expected {expected!r}")
    return code


def is_valid_credit_code(value: object) -> bool:
    try:
        validate_credit_code(value)
    except InvalidInput:
        return False
    return True


def complete_credit_code(first16: str) -> str:
    """Positions 1-16 completed with both check characters (no other validation)."""
    with_org = first16 + org_check_char(first16[8:16])
    return with_org + uscc_check_char(with_org)


def synthetic_credit_code(seed: int | str, division: str = WUQING_DIVISION) -> str:
    """A valid enterprise code ("91") derived only from ``seed``; for demo firms.

    The code is well formed but invented: it may, by chance, equal a real firm's
    code, so demo records that carry one are marked ``synthetic``.
    """
    if len(division) != 6 or not division.isdigit():
        raise InvalidInput(f"division must be 6 digits, got {division!r}", field="division")
    rng = random.Random(f"uscc:{seed}")  # noqa: S311 - reproducible demo data, not secrets
    body = "".join(rng.choice(ALPHABET) for _ in range(8))
    return complete_credit_code("91" + division + body)
