"""Stage 4 — glossary-locked translation with real neural models."""
