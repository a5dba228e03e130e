"""Command-line value types shared by several commands."""

from __future__ import annotations

import math
from typing import Any

import click


class Seconds(click.FloatRange):
    """A duration in seconds: a finite number of at least `min` (click's FloatRange lets `nan` and `inf`
    through, and a budget of `nan` seconds ends every check at once)."""

    name = "seconds"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number of seconds", param, ctx)
        return number


SECONDS = Seconds(min=0.1)
