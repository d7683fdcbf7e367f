"""Stage 3 — the curated term base: reading, linting, matching, coverage and suggestions."""
