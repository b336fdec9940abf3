"""The power-factor adjustment against literal rows of the published 1983 table.

Rows as printed in 《功率因数调整电费增减查对表》 (reproduced by 无功补偿技术网,
http://wgbc.cn/zxjs/205.html): power factor, then the [%] change for the standards
0.90, 0.85 and 0.80 (negative: a refund). They cover both reward floors and every
change of the penalty rate of each column.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from nevport.energy.analysis.power_factor import adjustment_percent

D = Decimal
TABLE = """
1.00 -0.75 -1.1 -1.3
0.99 -0.75 -1.1 -1.3
0.98 -0.75 -1.1 -1.3
0.97 -0.75 -1.1 -1.3
0.96 -0.75 -1.1 -1.3
0.95 -0.75 -1.1 -1.3
0.94 -0.6 -1.1 -1.3
0.93 -0.45 -0.95 -1.3
0.66 +14 +9.5 +7.0
0.65 +15 +10 +7.5
0.64 +17 +11 +8.0
0.63 +19 +12 +8.5
0.62 +21 +13 +9.0
0.61 +23 +14 +9.5
0.60 +25 +15 +10.0
0.59 +27 +17 +11.0
0.32 +81 +71 +61
0.31 +83 +73 +63
0.30 +85 +75 +65
0.29 +87 +77 +67
0.28 +89 +79 +69
0.27 +91 +81 +71
0.26 +93 +83 +73
"""
ROWS = [line.split() for line in TABLE.strip().splitlines()]
STANDARDS = (D("0.90"), D("0.85"), D("0.80"))


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_each_column_matches_the_printed_row(row: list[str]) -> None:
    pf, *percents = row
    got = [adjustment_percent(D(pf), standard) for standard in STANDARDS]
    assert got == [D(p) for p in percents]
