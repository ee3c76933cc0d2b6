"""How every view and message words counts and durations (one home for each)."""

from __future__ import annotations

# The units of the manifests' duration syntax (`30d`, `12h`), largest first.
DURATION_UNITS = (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60))


def plural(count: int, noun: str) -> str:
    """`1 version`, `2 versions`."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def format_duration(seconds: float) -> str:
    """`7200` -> `2h`: the largest unit of the manifest's duration syntax that divides it exactly."""
    whole = round(seconds)
    for unit, size in DURATION_UNITS:
        if whole and whole % size == 0:
            return f"{whole // size}{unit}"
    return f"{whole}s"


_BYTE_UNITS = ("kB", "MB", "GB", "TB", "PB")


def format_bytes(count: int) -> str:
    """`1234567` -> `1.2 MB`: decimal units, one decimal (as the AWS console shows sizes); under a
    kilobyte, `512 bytes`."""
    if count < 1000:
        return "1 byte" if count == 1 else f"{count} bytes"
    size = float(count)
    for unit in _BYTE_UNITS:
        size /= 1000
        if size < 999.95 or unit == _BYTE_UNITS[-1]:
            return f"{size:.1f} {unit}"
    raise AssertionError("unreachable")
