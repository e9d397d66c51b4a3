"""Boundary tests: a limit checked one step under it, at it and one step over it.

A limit written ``value >= limit`` is pinned by three cases: ``limit - 1`` does not pass,
``limit`` and ``limit + 1`` do. A ``>=`` turned into ``>`` fails the case at the limit; a limit
moved by one fails the case beside it.
"""

from __future__ import annotations

import pytest


def under_at_over(
    names: tuple[str, str], limit: int, *, of: int | None = None
) -> pytest.MarkDecorator:
    """Parametrize `names` (the value, then whether it passes) around `limit`.

    The ids read ``63/128-under`` with `of` (the whole the value is a part of), else ``63-under``.
    """
    whole = "" if of is None else f"/{of}"
    return pytest.mark.parametrize(
        names,
        [
            pytest.param(limit + step, step >= 0, id=f"{limit + step}{whole}-{where}")
            for step, where in ((-1, "under"), (0, "at"), (1, "over"))
        ],
    )
