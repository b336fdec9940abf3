"""The rule registry: importing this package registers every built-in rule."""

from nevport.environment.rules import curtail, device, drift, linkage, stops
from nevport.environment.rules.base import (
    REGISTRY,
    Rule,
    RuleConfig,
    Tick,
    build_rules,
    parse_config,
    register,
)

__all__ = [
    "REGISTRY",
    "Rule",
    "RuleConfig",
    "Tick",
    "build_rules",
    "curtail",
    "device",
    "drift",
    "linkage",
    "parse_config",
    "register",
    "stops",
]
