"""Virtual meters: a formula of other meters' codes, evaluated bucket by bucket.

Grammar (docs/energy/data-model.md)::

    formula := [sign] term (sign term)*
    term    := [coefficient "*"] code
    sign    := "+" | "-"
    coefficient := digits ["." digits]     (at most 6 decimals, 0 < c <= 1,000,000)

e.g. ``A - B + 0.5*C``. A code is a run of ``[A-Za-z0-9_.:-]``, so a ``-`` written
without a space before it belongs to the code (``A-B`` is one meter); a minus needs a
space, or a sign, before it. Positions in errors count characters from 1.

A bucket of a virtual channel is the sum of coefficient x term over the same bucket of
the terms' channels of the same quantity, in exact decimals; when any term is unknown
there the bucket is unknown (None, ``Flag.MISSING``), never 0.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from nevport.energy.counters import Flag
from nevport.energy.models import Channel, Meter, plain
from nevport.energy.quantities import Quantity
from nevport.energy.schemas import Point
from nevport.errors import InvalidInput

MILLI = Decimal("0.001")  # [W] the resolution power series are given to

FIELD = "formula"
CODE_CHARS = re.compile(r"[A-Za-z0-9_.:-]+")
NUMBER = re.compile(r"\d+(\.\d{1,6})?")
MAX_COEFFICIENT = Decimal(1_000_000)  # a ratio of meters, never a unit conversion
MAX_TERMS = 64
# means, not sums: a voltage or power factor of a formula of meters has no meaning
NOT_ADDITIVE = frozenset({Quantity.voltage, Quantity.power_factor, Quantity.frequency})


@dataclass(frozen=True)
class Term:
    coefficient: Decimal  # signed
    code: str
    position: int  # of the code in the formula, from 1


@dataclass(frozen=True)
class _Token:
    kind: str  # sign | star | word | end
    text: str
    position: int


def _tokens(formula: str) -> list[_Token]:
    out: list[_Token] = []
    i = 0
    while i < len(formula):
        char = formula[i]
        if char.isspace():
            i += 1
        elif char in "+-" and (not out or out[-1].kind in ("word", "sign")):
            out.append(_Token("sign", char, i + 1))
            i += 1
        elif char == "*":
            out.append(_Token("star", char, i + 1))
            i += 1
        elif match := CODE_CHARS.match(formula, i):
            out.append(_Token("word", match.group(), i + 1))
            i = match.end()
        else:
            raise InvalidInput(f"unexpected character {char!r} at position {i + 1}", field=FIELD)
    out.append(_Token("end", "", len(formula) + 1))
    return out


def _coefficient(token: _Token) -> Decimal:
    if not NUMBER.fullmatch(token.text):
        raise InvalidInput(
            f"coefficient {token.text!r} at position {token.position} is not a decimal number"
            " with at most 6 decimals",
            field=FIELD,
        )
    value = Decimal(token.text)
    if not 0 < value <= MAX_COEFFICIENT:
        raise InvalidInput(
            f"coefficient {token.text} at position {token.position} is outside (0, 1000000]",
            field=FIELD,
        )
    return value


def parse(formula: str) -> tuple[Term, ...]:
    """The signed terms of ``formula``; InvalidInput naming the position otherwise."""
    tokens = _tokens(formula)
    terms: list[Term] = []
    i = 0
    while tokens[i].kind != "end" or not terms:
        sign = Decimal(1)
        if tokens[i].kind == "sign":
            sign = Decimal(-1) if tokens[i].text == "-" else sign
            i += 1
        elif terms:
            raise InvalidInput(f"expected + or - at position {tokens[i].position}", field=FIELD)
        if tokens[i].kind != "word":
            raise InvalidInput(
                f"expected a meter code at position {tokens[i].position}", field=FIELD
            )
        coefficient, code = Decimal(1), tokens[i]
        if tokens[i + 1].kind == "star":
            coefficient, code = _coefficient(tokens[i]), tokens[i + 2]
            if code.kind != "word":
                raise InvalidInput(
                    f"expected a meter code after '*' at position {code.position}", field=FIELD
                )
            i += 2
        if any(t.code == code.text for t in terms):
            raise InvalidInput(
                f"meter {code.text!r} appears twice (again at position {code.position});"
                " combine its coefficients",
                field=FIELD,
            )
        terms.append(Term(sign * coefficient, code.text, code.position))
        if len(terms) > MAX_TERMS:
            raise InvalidInput(f"more than {MAX_TERMS} terms", field=FIELD)
        i += 1
    return tuple(terms)


def render(terms: Sequence[Term]) -> str:
    """The canonical text of ``terms``: ``A - B + 0.5*C``."""
    out = ""
    for term in terms:
        size = abs(term.coefficient)
        body = term.code if size == 1 else f"{plain(size)}*{term.code}"
        if not out:
            out = f"-{body}" if term.coefficient < 0 else body
        else:
            out += f" {'-' if term.coefficient < 0 else '+'} {body}"
    return out


def check_cycle(code: str, terms: Sequence[Term], formulas: Mapping[str, str]) -> None:
    """Refuse a formula for ``code`` that reaches ``code`` again through the virtual
    meters in ``formulas`` (code -> formula of every other virtual meter)."""

    def walk(at: str, path: tuple[str, ...]) -> None:
        if at == code:
            raise InvalidInput(
                f"cycle: {' -> '.join((code, *path))} (meter {path[0]!r} at position"
                f" {first[path[0]]})",
                field=FIELD,
            )
        if at in formulas and at not in seen:
            seen.add(at)
            for term in parse(formulas[at]):
                walk(term.code, (*path, term.code))

    first = {t.code: t.position for t in terms}
    seen: set[str] = set()
    for term in terms:
        if term.code == code:
            raise InvalidInput(
                f"meter {code!r} refers to itself at position {term.position}", field=FIELD
            )
    for term in terms:
        walk(term.code, (term.code,))


def combine(terms: Sequence[tuple[Decimal, Sequence[Point]]]) -> list[Point]:
    """Bucket by bucket: sum of coefficient x value, exact; None with MISSING where any
    term is None. Every term series covers the same buckets in the same order."""
    out: list[Point] = []
    for points in zip(*(p for _, p in terms), strict=True):
        flags = 0
        for point in points:
            flags |= point.flags
        if any(p.value is None for p in points):
            out.append(Point(start=points[0].start, value=None, flags=flags | Flag.MISSING))
            continue
        total = sum(
            (c * p.value for (c, _), p in zip(terms, points, strict=True) if p.value is not None),
            Decimal(0),
        )
        out.append(Point(start=points[0].start, value=plain(total), flags=flags))
    return out


def validate(
    session: Session,
    enterprise_id: int,
    code: str,
    formula: str,
    quantities: Sequence[Quantity],
) -> str:
    """The canonical formula of virtual meter ``code``, once every term is a meter of
    the same enterprise with a channel of each of ``quantities`` and no term leads back
    to ``code``; InvalidInput naming the field and position otherwise."""
    terms = parse(formula)
    for quantity in quantities:
        if quantity in NOT_ADDITIVE:
            raise InvalidInput(
                f"a virtual meter cannot have a {quantity.value} channel: it is not a sum",
                field="channels",
            )
    meters = {
        m.code: m
        for m in session.scalars(
            select(Meter)
            .where(Meter.enterprise_id == enterprise_id)
            .options(selectinload(Meter.channels))
        )
        if m.code != code
    }
    formulas = {c: m.formula for c, m in meters.items() if m.formula is not None}
    check_cycle(code, terms, formulas)
    for term in terms:
        meter = meters.get(term.code)
        if meter is None:
            raise InvalidInput(
                f"meter {term.code!r} at position {term.position} does not exist in"
                f" enterprise {enterprise_id}",
                field=FIELD,
            )
        has = {c.quantity for c in meter.channels}
        for quantity in quantities:
            if quantity not in has:
                raise InvalidInput(
                    f"meter {term.code!r} at position {term.position} has no"
                    f" {quantity.value} channel",
                    field="channels",
                )
    return render(terms)


def evaluate(
    session: Session, channel: Channel, fetch: Callable[[Channel], Sequence[Point]]
) -> list[Point]:
    """The buckets of virtual ``channel``: ``fetch`` gives a term channel's buckets."""
    meter = channel.meter
    if meter.formula is None:
        raise InvalidInput(f"virtual meter {meter.code!r} has no formula", field=FIELD)
    terms = parse(meter.formula)
    found = {
        (c.meter.code, c.quantity): c
        for c in session.scalars(
            select(Channel)
            .join(Meter)
            .where(
                Channel.enterprise_id == meter.enterprise_id,
                Channel.quantity == channel.quantity,
                Meter.code.in_([t.code for t in terms]),
            )
            .options(selectinload(Channel.meter), selectinload(Channel.history))
        )
    }
    parts = []
    for term in terms:
        source = found.get((term.code, channel.quantity))
        if source is None:
            raise InvalidInput(
                f"virtual meter {meter.code!r}: meter {term.code!r} at position"
                f" {term.position} has no {channel.quantity.value} channel",
                field=FIELD,
            )
        parts.append((term.coefficient, fetch(source)))
    points = combine(parts)
    if channel.quantity.is_counter:
        return points
    # power means print like a physical channel's: to the milliwatt
    return [
        p if p.value is None else p.model_copy(update={"value": p.value.quantize(MILLI)})
        for p in points
    ]
