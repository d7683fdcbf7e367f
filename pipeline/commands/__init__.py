"""Command implementations; ``pipeline.cli`` only parses arguments and calls these."""
