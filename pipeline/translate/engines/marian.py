"""MarianMT-class sequence-to-sequence models through transformers.

Locking methods, weakest first: source-side injection of the English; then constrained greedy
decoding with ForceTermsProcessor, which guarantees every locked term within the length budget.
"""
from __future__ import annotations

import os
from pathlib import Path

from pipeline.models.registry import ModelError
from pipeline.translate.engines.base import Engine, Request, inject
from pipeline.chinese import HAN
from pipeline.translate.methods import Method

DEFAULT_MARIAN_MODEL = "Helsinki-NLP/opus-mt-zh-en"


class ForceTermsProcessor:
    """A transformers logits processor that makes the output contain each term's token sequence.

    Once a term has started it is completed; a term that has not appeared is started when the
    remaining budget only just fits the pending terms; end-of-sequence waits until all are in.
    """

    def __init__(self, terms: list[list[int]], start: int, max_new_tokens: int, eos_token_id: int,
                 banned: list[int] | None = None):
        self.terms = [t for t in terms if t]
        self.start = start
        self.max_new = max_new_tokens
        self.eos = eos_token_id
        self.banned = banned or []  # e.g. tokens that would put Chinese in the English

    @staticmethod
    def _contains(seq: list[int], term: list[int]) -> bool:
        n = len(term)
        return any(seq[i:i + n] == term for i in range(len(seq) - n + 1))

    def _forced(self, generated: list[int]) -> int | None:
        pending = [t for t in self.terms if not self._contains(generated, t)]
        if not pending:
            return None
        for term in pending:  # finish a term already begun (longest begun prefix first)
            for k in range(min(len(term) - 1, len(generated)), 0, -1):
                if generated[-k:] == term[:k]:
                    return term[k]
        remaining = self.max_new - len(generated)
        if remaining <= sum(len(t) for t in pending) + 1:
            return pending[0][0]
        return -1  # free choice, but not end-of-sequence

    def __call__(self, input_ids, scores):
        import torch

        if self.banned:
            scores[:, self.banned] = -float("inf")
        for row in range(input_ids.shape[0]):
            forced = self._forced(input_ids[row, self.start:].tolist())
            if forced is None:
                continue
            if forced == -1:
                scores[row, self.eos] = -float("inf")
            else:
                keep = scores[row, forced].clone()
                scores[row] = -float("inf")
                scores[row, forced] = torch.clamp(keep, min=0.0)
        return scores


class MarianEngine(Engine):
    name = "marian"
    methods = (Method.INJECT, Method.CONSTRAINED)
    forcing = (Method.CONSTRAINED,)

    def __init__(self, model: str | None = None, *, num_beams: int = 4, max_tokens_per_char: float = 2.0,
                 threads: int | None = None, log=print):
        import torch
        from transformers import MarianMTModel, MarianTokenizer

        self.model_name = model or DEFAULT_MARIAN_MODEL
        local = Path(self.model_name).expanduser()
        torch.set_num_threads(threads or os.cpu_count() or 1)
        try:
            kwargs = {"local_files_only": True} if local.is_dir() else {}
            source = str(local) if local.is_dir() else self.model_name
            self.tokenizer = MarianTokenizer.from_pretrained(source, **kwargs)
            self.model = MarianMTModel.from_pretrained(source, **kwargs).eval()
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load Marian model {self.model_name!r}: {str(exc).splitlines()[0]}",
                             hint="offline? download the model where the hub is reachable and pass "
                                  "--model /path/to/folder") from None
        self.settings = {"num_beams": num_beams, "max_tokens_per_char": max_tokens_per_char,
                         "threads": torch.get_num_threads()}

    def _budget(self, text: str) -> int:
        return int(self.settings["max_tokens_per_char"] * len(text)) + 16

    def _generate(self, sources: list[str], processor=None, beams: int | None = None) -> list[str]:
        import torch

        batch = self.tokenizer(sources, return_tensors="pt", padding=True, truncation=True)
        budget = min(max(self._budget(s) for s in sources), self.max_positions - 1)
        kwargs = {"max_new_tokens": budget, "num_beams": beams or self.settings["num_beams"]}
        if processor is not None:
            from transformers import LogitsProcessorList
            kwargs["logits_processor"] = LogitsProcessorList([processor])
        with torch.no_grad():
            output = self.model.generate(**batch, **kwargs)
        return self.tokenizer.batch_decode(output, skip_special_tokens=True)

    def _constrained(self, request: Request) -> str:
        source = inject(request.source, request.terms)
        targets = list(dict.fromkeys(t.target for t in request.terms))
        term_ids = [self.tokenizer(text_target=t, add_special_tokens=False)["input_ids"] for t in targets]
        processor = ForceTermsProcessor(term_ids, start=1, max_new_tokens=self._budget(source),
                                        eos_token_id=self.tokenizer.eos_token_id, banned=self._han_tokens())
        return self._generate([source], processor, beams=1)[0]

    def _han_tokens(self) -> list[int]:
        if not hasattr(self, "_han"):
            vocab = self.tokenizer.get_vocab()
            self._han = sorted(i for piece, i in vocab.items() if HAN.search(piece))
        return self._han

    @property
    def max_positions(self) -> int:
        """Tokens the model can read or write in one sequence (the tokenizer would cut the rest off)."""
        return min(self.tokenizer.model_max_length, getattr(self.model.config, "max_position_embeddings", 512))

    def fits(self, request: Request) -> bool:
        source = inject(request.source, request.terms)
        return (len(self.tokenizer(source)["input_ids"]) <= self.max_positions
                and self._budget(source) < self.max_positions)

    def translate(self, requests: list[Request]) -> list[str]:
        return self.translate_fitted(requests, self._translate_parts)

    def _translate_parts(self, requests: list[Request]) -> list[str]:
        outputs: list[str] = [""] * len(requests)
        plain = [i for i, r in enumerate(requests) if (r.method or self.methods[0]) != Method.CONSTRAINED or not r.terms]
        if plain:
            sources = [inject(requests[i].source, requests[i].terms) for i in plain]
            for i, text in zip(plain, self._generate(sources)):
                outputs[i] = text
        for i, request in enumerate(requests):
            if i not in plain:
                outputs[i] = self._constrained(request)
        return outputs

    def describe(self) -> dict:
        return {"engine": self.name, "model": self.model_name, "file": self.model_name,
                "sha256": _folder_sha256(Path(self.model_name)), "settings": self.settings,
                "methods": list(self.methods)}


def _folder_sha256(folder: Path) -> str | None:
    """A digest of a local model folder's weight and vocabulary files, for provenance."""
    import hashlib

    if not folder.is_dir():
        return None
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix in (".safetensors", ".bin", ".spm", ".json", ".model"):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()
