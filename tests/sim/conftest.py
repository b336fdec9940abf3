"""Shared helpers for the simulator tests."""

from __future__ import annotations

import sys
from pathlib import Path

# the test drivers are loaded by 'module:Class' like any user driver
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
