"""New readings for many rules in few queries.

Rules are grouped by watermark: in steady state every meter of a collector reports the
same instant, so a thousand rules share one or two watermarks and their readings come
back in one indexed ``channel_id IN (...) AND ts >= since`` query per group and chunk,
not one query per rule (bench/energy_alarm_latency.py measures the difference).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from nevport.energy.alarms.conditions import Sample
from nevport.energy.alarms.models import AlarmRule
from nevport.energy.models import Reading

LOOKBACK = timedelta(hours=1)  # a new rule looks at readings this far back, not at all history
MAX_SAMPLES = 5000  # readings per rule per evaluation; the rest wait for the next round
IN_CHUNK = 500  # channel ids per IN list, well under SQLite's bound-parameter limit


def since_of(rule: AlarmRule, now: datetime) -> datetime:
    return rule.watermark or now - LOOKBACK


def new_samples(
    session: Session, rules: Sequence[AlarmRule], now: datetime
) -> dict[int, tuple[Sample | None, list[Sample]]]:
    """Per rule id: the reading at its watermark (the previous sample, when stored) and
    the readings after it, oldest first, at most ``MAX_SAMPLES``."""
    groups: dict[datetime, set[int]] = defaultdict(set)
    for rule in rules:
        groups[since_of(rule, now)].add(rule.channel_id)
    fetched: dict[tuple[datetime, int], list[Sample]] = defaultdict(list)
    for since, channels in groups.items():
        ids = sorted(channels)
        for i in range(0, len(ids), IN_CHUNK):
            query = (
                select(Reading.channel_id, Reading.ts, Reading.value)
                .where(Reading.channel_id.in_(ids[i : i + IN_CHUNK]), Reading.ts >= since)
                .order_by(Reading.channel_id, Reading.ts)
            )
            for channel_id, ts, value in session.execute(query):
                fetched[(since, channel_id)].append(Sample(ts, value))
    out: dict[int, tuple[Sample | None, list[Sample]]] = {}
    for rule in rules:
        since = since_of(rule, now)
        rows = fetched.get((since, rule.channel_id), [])
        previous = rows[0] if rows and rows[0].ts == since else None
        out[rule.id] = (previous, [s for s in rows if s.ts > since][:MAX_SAMPLES])
    return out


def sample_before(session: Session, channel_id: int, at: datetime) -> Sample | None:
    """The newest reading at or before ``at`` (a rate rule's first look)."""
    row = session.execute(
        select(Reading.ts, Reading.value)
        .where(Reading.channel_id == channel_id, Reading.ts <= at)
        .order_by(Reading.ts.desc())
        .limit(1)
    ).first()
    return Sample(row[0], row[1]) if row else None
