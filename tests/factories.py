"""Valid test data that is not a fixture."""

from __future__ import annotations

import stdnum.cn.uscc

_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714-1997


def _org_code_check(body: str) -> str:
    total = sum(
        int(char, 36) * weight for char, weight in zip(body, _ORG_CODE_WEIGHTS, strict=True)
    )
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def valid_credit_code(n: int) -> str:
    """The n-th of a family of codes valid by both check characters of GB 32100-2015."""
    org_body = f"{n:08d}"
    head = "91120222" + org_body + _org_code_check(org_body)  # 91: company; 120222: Wuqing
    return head + stdnum.cn.uscc.calc_check_digit(head)
