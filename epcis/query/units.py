"""UN/ECE Rec 20 units the sensor and quantity queries convert between (TCR-53: a query in
KEL finds a reading recorded in CEL). Each unit is `(dimension, factor, offset)`: a value v in
that unit is `v * factor + offset` in the dimension's base unit."""

from __future__ import annotations

UNITS: dict[str, tuple[str, float, float]] = {
    "KEL": ("temperature", 1.0, 0.0),
    "CEL": ("temperature", 1.0, 273.15),
    "FAH": ("temperature", 5 / 9, 273.15 - 32 * 5 / 9),
    "KGM": ("mass", 1.0, 0.0),
    "GRM": ("mass", 1e-3, 0.0),
    "MGM": ("mass", 1e-6, 0.0),
    "LBR": ("mass", 0.45359237, 0.0),
    "MTR": ("length", 1.0, 0.0),
    "KMT": ("length", 1e3, 0.0),
    "CMT": ("length", 1e-2, 0.0),
    "MMT": ("length", 1e-3, 0.0),
    "MTQ": ("volume", 1.0, 0.0),
    "LTR": ("volume", 1e-3, 0.0),
    "MLT": ("volume", 1e-6, 0.0),
    "PAL": ("pressure", 1.0, 0.0),
    "KPA": ("pressure", 1e3, 0.0),
    "BAR": ("pressure", 1e5, 0.0),
    "MBR": ("pressure", 1e2, 0.0),
    "SEC": ("time", 1.0, 0.0),
    "MIN": ("time", 60.0, 0.0),
    "HUR": ("time", 3600.0, 0.0),
}


def equivalents(value: float, uom: str) -> list[tuple[str, float]]:
    """`value` in `uom`, expressed in every unit of the same dimension (itself included).

    An unknown unit is only comparable with itself."""
    if uom not in UNITS:
        return [(uom, value)]
    dimension, factor, offset = UNITS[uom]
    base = value * factor + offset
    return [
        (other, (base - other_offset) / other_factor)
        for other, (other_dimension, other_factor, other_offset) in UNITS.items()
        if other_dimension == dimension
    ]
