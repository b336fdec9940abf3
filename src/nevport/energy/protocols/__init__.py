"""Meter protocols as pure codecs: bytes or registers in, typed values out, no I/O."""
