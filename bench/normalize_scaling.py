"""Benchmark 5 — normalization time against line length, for NFD text (as pasted from macOS).

Offsets are mapped piece by piece, so the time should grow linearly: the ratio column stays near
the length ratio. Usage: python bench/normalize_scaling.py
"""
from __future__ import annotations

import unicodedata

from _common import machine, timed

from pipeline.normalize import normalize

LINE = "Café déjà vu，共產國際在莫斯科開會，決定派羅明那茲來華。"


def main() -> None:
    print(f"machine   {machine()}")
    previous = None
    for length in (2_800, 14_000, 70_000, 350_000):
        text = unicodedata.normalize("NFD", (LINE * (length // len(LINE) + 1))[:length])
        seconds, _ = timed(lambda: normalize(text), repeats=3)
        ratio = f"×{seconds / previous:.1f} for ×5 the length" if previous else ""
        print(f"{len(text):>9,} characters (NFD)  {seconds:8.3f} s (median of 3)  {ratio}")
        previous = seconds


if __name__ == "__main__":
    main()
