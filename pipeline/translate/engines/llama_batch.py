"""Several chat requests decoded at once in one llama.cpp context (continuous batching).

On a CPU a single sequence is bound by memory bandwidth: each token reads all the weights. Decoding
``n_seq`` sequences in one ``llama_decode`` call reads them once for all. The prompt prefix every
request shares (the chat template and the system prompt) is evaluated once into a reserved sequence
and copied into each slot's KV cache (``llama_memory_seq_cp``), so a request pays only for its own
tokens. A slot that finishes takes the next waiting request at once. Sampling is greedy, with a
GBNF grammar per sequence where a request has one.

Determinism: the same requests in the same order give the same outputs run after run. Batched
matrix products may round differently from one-at-a-time decoding, so an output can differ from
the sequential engine's in rare near-ties; the cache key records ``parallel`` for that reason.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import llama_cpp


@dataclass
class Job:
    index: int                 # position in the caller's list
    prompt: list[int]          # the whole prompt, prefix included
    max_tokens: int
    grammar: str | None = None
    output: list[int] = field(default_factory=list)


@dataclass
class Slot:
    seq: int
    job: Job | None = None
    sampler: object = None
    pos: int = 0               # next position in this sequence


class BatchDecoder:
    """Decodes jobs in ``n_seq`` parallel sequences of at most ``n_ctx_seq`` tokens each."""

    def __init__(self, llm, n_seq: int, n_ctx_seq: int, threads: int, n_batch: int = 512):
        self.llm, self.n_seq, self.n_ctx_seq, self.n_batch = llm, n_seq, n_ctx_seq, n_batch
        self.model = llm._model.model
        self.vocab = llama_cpp.llama_model_get_vocab(self.model)
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = n_ctx_seq * (n_seq + 1)     # one more sequence holds the shared prefix
        params.n_batch = n_batch
        params.n_ubatch = n_batch
        params.n_seq_max = n_seq + 1
        params.kv_unified = True                   # sequences copy their prefix from the reserved one
        params.n_threads = params.n_threads_batch = threads
        params.no_perf = True
        self.ctx = llama_cpp.llama_init_from_model(self.model, params)
        if not self.ctx:
            raise RuntimeError("llama.cpp could not create a context for batched decoding")
        self.memory = llama_cpp.llama_get_memory(self.ctx)
        self.batch = llama_cpp.llama_batch_init(max(n_batch, n_seq), 0, n_seq + 1)
        self.prefix_seq = n_seq
        self.prefix: list[int] = []
        self.stats = {"prompt_tokens": 0, "completion_tokens": 0, "decode_calls": 0}

    # -- the batch -------------------------------------------------------------------------

    def _decode(self, entries: list[tuple[int, int, int, bool]]) -> None:
        """``entries``: (token, position, sequence, wants logits). Logits rows are only read from a
        single call, so a caller that wants logits passes at most ``n_batch`` entries."""
        for start in range(0, len(entries), self.n_batch):
            chunk = entries[start:start + self.n_batch]
            batch = self.batch
            for i, (token, pos, seq, logits) in enumerate(chunk):
                batch.token[i], batch.pos[i], batch.n_seq_id[i] = token, pos, 1
                batch.seq_id[i][0] = seq
                batch.logits[i] = logits
            batch.n_tokens = len(chunk)
            if llama_cpp.llama_decode(self.ctx, batch) != 0:
                raise RuntimeError("llama_decode failed (context full?)")
            self.stats["decode_calls"] += 1

    def _set_prefix(self, prefix: list[int]) -> None:
        if prefix == self.prefix:
            return
        llama_cpp.llama_memory_seq_rm(self.memory, self.prefix_seq, -1, -1)
        if prefix:
            self._decode([(t, p, self.prefix_seq, False) for p, t in enumerate(prefix)])
            self.stats["prompt_tokens"] += len(prefix)
        self.prefix = prefix

    def _sampler(self, grammar: str | None):
        chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
        if grammar:
            llama_cpp.llama_sampler_chain_add(
                chain, llama_cpp.llama_sampler_init_grammar(self.vocab, grammar.encode("utf-8"), b"root"))
        llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_greedy())
        return chain

    # -- running jobs ------------------------------------------------------------------------

    def run(self, jobs: list[Job]) -> list[list[int]]:
        """Output tokens for each job (in the jobs' order)."""
        if not jobs:
            return []
        self._set_prefix(_common_prefix([j.prompt for j in jobs], limit=self.n_ctx_seq // 2))
        waiting = list(jobs)
        slots = [Slot(seq) for seq in range(self.n_seq)]
        running: list[tuple[Slot, tuple[int, int, int, bool]]] = []  # each slot's next token to feed
        while True:
            for slot in slots:
                if slot.job is None and waiting:
                    running.append((slot, self._start(slot, waiting.pop(0))))
            if not running:
                break
            self._decode([entry for _slot, entry in running])  # one row of logits per running slot
            running = self._step(running)
        for slot in slots:
            self._finish(slot)
        return [job.output for job in jobs]

    def _start(self, slot: Slot, job: Job) -> tuple[int, int, int, bool]:
        """Put the job in the slot: its prompt's shared prefix copied, the rest but the last token
        evaluated; the last token is returned to be fed with the other slots' tokens."""
        llama_cpp.llama_memory_seq_rm(self.memory, slot.seq, -1, -1)
        shared = len(self.prefix) if job.prompt[:len(self.prefix)] == self.prefix else 0
        if shared:
            llama_cpp.llama_memory_seq_cp(self.memory, self.prefix_seq, slot.seq, -1, -1)
        rest = job.prompt[shared:]
        self._decode([(t, shared + k, slot.seq, False) for k, t in enumerate(rest[:-1])])
        slot.job, slot.sampler = job, self._sampler(job.grammar)
        slot.pos = shared + len(rest)
        self.stats["prompt_tokens"] += len(rest)
        return (rest[-1], shared + len(rest) - 1, slot.seq, True)

    def _step(self, running):
        """Sample one token for every slot fed in the last call (its logits row is its place)."""
        following = []
        for row, (slot, _entry) in enumerate(running):
            token = llama_cpp.llama_sampler_sample(slot.sampler, self.ctx, row)
            job = slot.job
            if llama_cpp.llama_vocab_is_eog(self.vocab, token) or slot.pos >= self.n_ctx_seq - 1:
                self._finish(slot)
                continue
            job.output.append(token)
            self.stats["completion_tokens"] += 1
            if len(job.output) >= job.max_tokens:
                self._finish(slot)
                continue
            following.append((slot, (token, slot.pos, slot.seq, True)))
            slot.pos += 1
        return following

    def _finish(self, slot: Slot) -> None:
        if slot.sampler is not None:
            llama_cpp.llama_sampler_free(slot.sampler)
        slot.job, slot.sampler = None, None

    def close(self) -> None:
        if self.ctx:
            llama_cpp.llama_batch_free(self.batch)
            llama_cpp.llama_free(self.ctx)
            self.ctx = None


def _common_prefix(prompts: list[list[int]], limit: int) -> list[int]:
    """The tokens every prompt starts with (at most ``limit``), one token short of the shortest
    prompt so that every job still has a token of its own to produce logits from."""
    first = prompts[0]
    n = min(min(len(p) for p in prompts) - 1, limit)
    length = 0
    while length < n and all(p[length] == first[length] for p in prompts):
        length += 1
    return first[:length]
