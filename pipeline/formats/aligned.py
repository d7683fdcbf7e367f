"""aligned.jsonl: one record per segment — the single source every review format is written from."""
from __future__ import annotations

from pipeline.translate.run import TranslatedDocument


def records(translated: TranslatedDocument) -> list[dict]:
    doc = translated.doc
    out = []
    for segment in doc.segments:
        result = translated.results[segment.index]
        out.append({
            "doc": doc.doc_id,
            "seg": segment.index,
            "block": segment.block,
            "kind": segment.kind,
            "src": segment.src(doc.text),
            "src_start": segment.start,
            "src_end": segment.end,
            "script": segment.script,
            "plain": segment.plain,
            "norm": segment.norm,
            "tgt": result.tgt,
            "tgt_md": translated.rendered[segment.index].markdown,
            "method": result.method,
            "attempts": result.attempts,
            "terms": [o.to_json(doc.text) for o in result.outcomes],
            "qa": translated.qa[segment.index],
        })
    return out
