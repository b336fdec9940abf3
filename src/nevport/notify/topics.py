"""Topic names (``energy.alarm.raised``) and the patterns subscriptions match them with."""

from __future__ import annotations

import re

from nevport.errors import InvalidInput

TOPIC = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+){0,5}$")
MAX_TOPIC = 100  # [characters] the notify_events.topic column


def check_topic(topic: str) -> str:
    if len(topic) > MAX_TOPIC or not TOPIC.match(topic):
        raise InvalidInput(
            f"topic {topic!r} is not dot-separated lower-case words",
            field="topic",
            hint="e.g. energy.alarm.raised",
        )
    return topic


def check_pattern(pattern: str) -> str:
    """A topic, a topic prefix ending in ``.*``, or ``*`` for everything."""
    if pattern == "*":
        return pattern
    check_topic(pattern.removesuffix(".*"))
    return pattern


def matches(pattern: str, topic: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return topic.startswith(pattern[:-1])
    return pattern == topic
