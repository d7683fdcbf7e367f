"""zhen — Chinese→English translation of wiki-Markdown articles under a curated, locked term base."""
__version__ = "0.1.0"
