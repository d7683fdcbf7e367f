"""Output formats, one module per format (translate-toolkit style)."""
