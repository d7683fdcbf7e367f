"""<doc>.en.md: the translated document, the source's structure with English in every segment."""
from __future__ import annotations

from pipeline.formats import Output, writer


@writer("markdown", "{doc}.en.md")
def english_markdown(out: Output) -> str:
    return out.doc.markdown
