"""Errors of the simulator: a small tree of ValueError subclasses.

``nevport.sim`` is a plain library and does not import the platform's error tree;
the CLI turns any :class:`SimError` into one line on stderr and exit code 2.
"""

from __future__ import annotations


class SimError(ValueError):
    """Base of every error the simulator raises on purpose."""


class SchemaError(SimError):
    """A map or scenario file breaks its schema; names file, line and field."""

    def __init__(self, file: str, line: int, field: str, message: str) -> None:
        super().__init__(f"{file}:{line}: {field}: {message}")
        self.file = file
        self.line = line
        self.field = field


class UnknownNameError(SimError):
    """A scenario, weather preset, suite, metric or driver name that does not exist."""


class DriverError(SimError):
    """A driver cannot be loaded or returned controls of the wrong shape."""
