"""Several chat requests decoded at once in one llama.cpp context (continuous batching).

On a CPU a single sequence is bound by memory bandwidth: each token reads all the weights. Decoding
``n_seq`` sequences in one ``llama_decode`` call reads them once for all. The prompt prefix every
request shares (the chat template and the system prompt) is evaluated once into a reserved sequence
and copied into each slot's KV cache (``llama_memory_seq_cp``), so a request pays only for its own
tokens; a second reserved sequence holds the longer prefix that requests with inline tags share
(the system prompt and the tag instructions), as the one-at-a-time engine reuses it between
consecutive tagged requests. A slot that finishes takes the next waiting request at once. Sampling is greedy (or, for a
further candidate, top-k/top-p/temperature with the job's own seed), with a GBNF grammar per
sequence where a request has one.

Determinism: the same requests in the same order give the same outputs run after run. Batched
matrix products may round differently from one-at-a-time decoding, so an output can differ from
the sequential engine's in rare near-ties; the cache key records ``parallel`` for that reason.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import llama_cpp
import numpy as np


@dataclass
class Job:
    index: int                 # position in the caller's list
    prompt: list[int]          # the whole prompt, prefix included
    max_tokens: int
    grammar: str | None = None
    sample: tuple[float, int] | None = None  # (temperature, seed); None: greedy
    output: list[int] = field(default_factory=list)
    cut: bool = False          # stopped at max_tokens or the sequence's end, not by the model
    logprobs: list[float] = field(default_factory=list)  # the model's log-probability of each output token


@dataclass
class Slot:
    seq: int
    job: Job | None = None
    sampler: object = None
    pos: int = 0               # next position in this sequence


class BatchDecoder:
    """Decodes jobs in ``n_seq`` parallel sequences of at most ``n_ctx_seq`` tokens each."""

    def __init__(self, llm, n_seq: int, n_ctx_seq: int, threads: int, n_batch: int = 512, n_prefixes: int = 2):
        self.llm, self.n_seq, self.n_ctx_seq, self.n_batch = llm, n_seq, n_ctx_seq, n_batch
        self.model = llm._model.model
        self.vocab = llama_cpp.llama_model_get_vocab(self.model)
        self.n_vocab = llama_cpp.llama_vocab_n_tokens(self.vocab)
        # The one-at-a-time engine's own settings (attention kernel, KV types), so both compute alike.
        params = type(llm.context_params).from_buffer_copy(llm.context_params)
        params.n_ctx = n_ctx_seq * (n_seq + n_prefixes)  # more sequences hold the shared prefixes
        params.n_batch = n_batch
        params.n_ubatch = n_batch
        params.n_seq_max = n_seq + n_prefixes
        params.kv_unified = True                   # sequences copy their prefix from the reserved one
        params.n_threads = params.n_threads_batch = threads
        params.no_perf = True
        self.ctx = llama_cpp.llama_init_from_model(self.model, params)
        if not self.ctx:
            raise RuntimeError("llama.cpp could not create a context for batched decoding")
        self.memory = llama_cpp.llama_get_memory(self.ctx)
        self.batch = llama_cpp.llama_batch_init(max(n_batch, n_seq), 0, n_seq + n_prefixes)
        self.prefixes: list[list[int]] = [[] for _ in range(n_prefixes)]  # sequence n_seq + k holds the k-th
        self.stats = {"prompt_tokens": 0, "completion_tokens": 0, "decode_calls": 0}
        self._waiting: list[Job] = []
        self._on_done = None

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

    def _set_prefixes(self, prefixes: list[list[int]]) -> None:
        """Each shared prefix into its reserved sequence; one that extends a prefix already in place
        (the tag instructions after the system prompt) is copied from it and only its rest read."""
        for k, prefix in enumerate(prefixes[:len(self.prefixes)]):
            if prefix == self.prefixes[k]:
                continue
            seq = self.n_seq + k
            llama_cpp.llama_memory_seq_rm(self.memory, seq, -1, -1)
            self.prefixes[k] = []
            start = 0
            for j, shorter in enumerate(self.prefixes[:k]):
                if start < len(shorter) <= len(prefix) and prefix[:len(shorter)] == shorter:
                    source, start = self.n_seq + j, len(shorter)
            if start:
                llama_cpp.llama_memory_seq_cp(self.memory, source, seq, -1, -1)
            if len(prefix) > start:
                self._decode([(t, p, seq, False) for p, t in enumerate(prefix) if p >= start])
                self.stats["prompt_tokens"] += len(prefix) - start
            self.prefixes[k] = prefix

    def _sampler(self, grammar: str | None, sample: tuple[float, int] | None = None):
        chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
        if grammar:
            llama_cpp.llama_sampler_chain_add(
                chain, llama_cpp.llama_sampler_init_grammar(self.vocab, grammar.encode("utf-8"), b"root"))
        if sample is None:
            llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_greedy())
            return chain
        temperature, seed = sample  # llama.cpp's own sampling defaults: top-k 40, top-p 0.95
        for stage in (llama_cpp.llama_sampler_init_top_k(40), llama_cpp.llama_sampler_init_top_p(0.95, 1),
                      llama_cpp.llama_sampler_init_temp(temperature), llama_cpp.llama_sampler_init_dist(seed)):
            llama_cpp.llama_sampler_chain_add(chain, stage)
        return chain

    # -- running jobs ------------------------------------------------------------------------

    def run(self, jobs: list[Job], prefixes: list[list[int]], on_done=None) -> list[list[int]]:
        """Output tokens for each job (in the jobs' order).

        Each step is one ``llama_decode`` call holding the next token of every running sequence
        and the prompts of the jobs that start in it, so a new prompt is read while the others
        go on writing (as llama.cpp's server does). ``prefixes``: token prefixes prompts share (a
        prompt uses the longest it starts with).
        ``on_done(job)`` may return a further job, queued at once.
        """
        if not jobs:
            return []
        self._set_prefixes(prefixes)
        waiting = self._waiting = list(jobs)
        self._on_done = on_done
        slots = [Slot(seq) for seq in range(self.n_seq)]
        running: list[tuple[Slot, list[tuple[int, int, int, bool]]]] = []  # what each slot feeds next
        while True:
            room = self.n_batch - len(running)
            for slot in slots:
                if slot.job is None and waiting:
                    if self._own_tokens(waiting[0]) > room and running:
                        break  # the batch is full: this prompt waits for the next step
                    entries = self._start(slot, waiting.pop(0), room)
                    running.append((slot, entries))
                    room -= len(entries)
            if not running:
                break
            batch, rows = [], []
            for _slot, entries in running:
                batch += entries
                rows.append(len(batch) - 1)  # the slot's logits: its last entry
            self._decode(batch)
            running = self._step(running, rows)
        for slot in slots:
            self._finish(slot)
        return [job.output for job in jobs]

    def _shared(self, prompt: list[int]) -> tuple[int, int]:
        """(the sequence holding the longest prefix ``prompt`` starts with, its length); (-1, 0)."""
        best = (-1, 0)
        for k, prefix in enumerate(self.prefixes):
            if len(prefix) > best[1] and prompt[:len(prefix)] == prefix:
                best = (self.n_seq + k, len(prefix))
        return best

    def _own_tokens(self, job: Job) -> int:
        return len(job.prompt) - self._shared(job.prompt)[1]

    def _start(self, slot: Slot, job: Job, room: int) -> list[tuple[int, int, int, bool]]:
        """Put the job in the slot (its prompt's shared prefix copied) and return its prompt's
        entries for this step; a prompt longer than ``room`` has its head read first, alone."""
        llama_cpp.llama_memory_seq_rm(self.memory, slot.seq, -1, -1)
        source, shared = self._shared(job.prompt)
        if shared:
            llama_cpp.llama_memory_seq_cp(self.memory, source, slot.seq, -1, -1)
        entries = [(t, shared + k, slot.seq, False) for k, t in enumerate(job.prompt[shared:])]
        head = max(0, len(entries) - max(1, room))
        self._decode(entries[:head])
        entries = entries[head:]
        entries[-1] = entries[-1][:3] + (True,)
        slot.job, slot.sampler = job, self._sampler(job.grammar, job.sample)
        slot.pos = len(job.prompt)
        self.stats["prompt_tokens"] += len(job.prompt) - shared
        return entries

    def _step(self, running, rows: list[int]):
        """Sample one token for every running slot from its logits row; what each feeds next."""
        following = []
        for (slot, _entries), row in zip(running, rows):
            logits = self._logits(row)  # read before the sampler, whose grammar may mask them
            token = llama_cpp.llama_sampler_sample(slot.sampler, self.ctx, row)
            job = slot.job
            job.logprobs.append(_log_softmax_at(logits, token))
            if llama_cpp.llama_vocab_is_eog(self.vocab, token) or slot.pos >= self.n_ctx_seq - 1:
                job.cut = not llama_cpp.llama_vocab_is_eog(self.vocab, token)
                self._finish(slot, job)
                continue
            job.output.append(token)
            self.stats["completion_tokens"] += 1
            if len(job.output) >= job.max_tokens:
                job.cut = True
                self._finish(slot, job)
                continue
            following.append((slot, [(token, slot.pos, slot.seq, True)]))
            slot.pos += 1
        return following

    def forced(self, prompt: list[int], answer: list[int], prefixes: list[list[int]]) -> list[float]:
        """Teacher forcing: the model's log-probability of each token of ``answer`` after ``prompt``,
        read in one pass (no sampling), in the first sequence while no job runs."""
        if not answer:
            return []
        self._set_prefixes(prefixes)
        seq = 0
        llama_cpp.llama_memory_seq_rm(self.memory, seq, -1, -1)
        source, shared = self._shared(prompt)
        if shared:
            llama_cpp.llama_memory_seq_cp(self.memory, source, seq, -1, -1)
        tokens = prompt + answer
        first = len(prompt) - 1  # the position whose logits give the answer's first token
        entries = [(t, p, seq, p >= first) for p, t in enumerate(tokens[:-1]) if p >= shared]
        found = []
        for start in range(0, len(entries), self.n_batch):
            chunk = entries[start:start + self.n_batch]
            self._decode(chunk)
            for row, (_token, pos, _seq, wanted) in enumerate(chunk):
                if wanted:
                    found.append(_log_softmax_at(self._logits(row), tokens[pos + 1]))
        self.stats["prompt_tokens"] += len(tokens) - 1 - shared
        llama_cpp.llama_memory_seq_rm(self.memory, seq, -1, -1)
        return found

    def _logits(self, row: int) -> np.ndarray:
        """A copy of the logits row ``row`` of the last decode (the model's scores for the next token)."""
        return np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(self.ctx, row), shape=(self.n_vocab,)).copy()

    def _finish(self, slot: Slot, done: Job | None = None) -> None:
        if slot.sampler is not None:
            llama_cpp.llama_sampler_free(slot.sampler)
        slot.job, slot.sampler = None, None
        if done is not None and self._on_done is not None:
            following = self._on_done(done)
            if following is not None:
                self._waiting.append(following)

    def close(self) -> None:
        if self.ctx:
            llama_cpp.llama_batch_free(self.batch)
            llama_cpp.llama_free(self.ctx)
            self.ctx = None


def _log_softmax_at(logits: np.ndarray, token: int) -> float:
    """The log-probability the model gives ``token`` (greedy or not: the model's own distribution)."""
    top = float(logits.max())
    return float(logits[token]) - top - float(np.log(np.exp(logits - top).sum()))


def _common_prefix(prompts: list[list[int]], limit: int) -> list[int]:
    """The tokens every prompt starts with (at most ``limit``), one token short of the shortest
    prompt so that every job still has a token of its own to produce logits from."""
    first = prompts[0]
    n = min(min(len(p) for p in prompts) - 1, limit)
    length = 0
    while length < n and all(p[length] == first[length] for p in prompts):
        length += 1
    return first[:length]
