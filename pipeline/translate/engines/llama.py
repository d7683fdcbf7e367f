"""Chat LLMs in GGUF form through llama-cpp-python (the default engine).

Locking methods, weakest first (``prompts.METHODS``): the term pairs in the prompt; the English also
injected into the source; the model revising its best draft to contain the terms; with
``force_terms``, last a GBNF grammar over that revision that admits only outputs containing every
locked term (and no Chinese).
"""
from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from pipeline.models.registry import DEFAULT_LLAMA_MODEL, ModelError, REGISTRY, sha256_file, verified_sha256
from pipeline.translate import prompts
from pipeline.translate.engines.base import Engine, Request, token_summary
from pipeline.translate.engines.grammar import answer_budget, forcing_grammar
from pipeline.translate.methods import Method
from pipeline.translate.policy import Policy

def _cpu_times() -> tuple[int, int]:
    with open("/proc/stat", encoding="ascii") as handle:
        fields = [int(x) for x in handle.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields), idle


def busy_cores(interval: float = 0.3) -> float:
    """How many cores other work keeps busy right now (from /proc/stat; 0 where it is unreadable)."""
    try:
        total0, idle0 = _cpu_times()
        time.sleep(interval)
        total1, idle1 = _cpu_times()
    except (OSError, ValueError, IndexError):
        return 0.0
    elapsed = total1 - total0
    return (elapsed - (idle1 - idle0)) / elapsed * (os.cpu_count() or 1) if elapsed > 0 else 0.0


def default_threads() -> int:
    """One thread per core that is free now. llama.cpp's threads spin while they wait for each
    other, so a thread on a core another process needs slows both far more than in proportion."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores - int(busy_cores() + 0.5))


# bench/batched.py, 2026-11-27: ×2.31 over one request at a time on 2 cores (8 sequences ×2.44 in the
# same run); FLORES dev 1–100 chrF 50.74 against 50.79. Capped by memory (``sequences_that_fit``).
DEFAULT_PARALLEL = 16


def resolve_gguf(model: str | None, log=print) -> tuple[str, Path, str]:
    """(name, path, sha256) for a registered model name (installed on first use) or a .gguf path."""
    from pipeline.models.install import install, verify

    name = model or DEFAULT_LLAMA_MODEL.name
    if name in REGISTRY:
        spec = REGISTRY[name]
        path = install(spec, log=log)
        return name, path, spec.sha256
    path = Path(name).expanduser()
    if not path.is_file():
        raise ModelError("no such model file or registered model name", path=str(path),
                         hint=f"registered: {', '.join(REGISTRY)}")
    with path.open("rb") as handle:
        if handle.read(4) != b"GGUF":
            raise ModelError("is not a GGUF file (bad magic)", path=str(path))
    for spec in REGISTRY.values():
        if path.name == spec.filename:
            verify(spec, path)  # a copy of a registered model is checked like the original
    return path.stem, path, verified_sha256(path) or sha256_file(path)


class LlamaEngine(Engine):
    name = "llama"
    methods = prompts.METHODS  # + Method.CONSTRAINED with force_terms
    tells_budget_cuts = True  # the decoder's job and finish_reason say where the budget stopped an answer
    markup = True
    reword = (Method.REVISE,)
    lists = True

    def __init__(self, model: str | None = None, *, n_ctx: int = 2048, threads: int | None = None,
                 seed: int = 0, temperature: float = 0.0, repeat_penalty: float = 1.0,
                 max_tokens_per_char: float = 3.0, system_prompt: str = prompts.SYSTEM,
                 parallel: int = DEFAULT_PARALLEL, gpu_layers: int = 0, candidates: int = 1,
                 sample_temperature: float = 0.7, force_terms: bool = False, log=print):
        from llama_cpp import Llama

        self.model_name, self.path, self.sha256 = resolve_gguf(model, log)
        self.system_prompt = system_prompt
        self.stats = {"requests": 0, "prompt_tokens": 0, "completion_tokens": 0, "seconds": 0.0}
        greedy = temperature == 0 and repeat_penalty == 1.0  # what the batched decoder samples
        self.settings = {"n_ctx": n_ctx, "seed": seed, "temperature": temperature,
                         "repeat_penalty": repeat_penalty, "max_tokens_per_char": max_tokens_per_char,
                         "threads": threads or default_threads(), "parallel": parallel if greedy else 1}
        if candidates > 1:  # recorded only when used, so earlier runs' cache entries still match
            self.settings.update(candidates=candidates, sample_temperature=sample_temperature)
        self.policy = Policy(candidates=max(1, candidates))
        if force_terms:  # recorded only when used, as above
            self.settings["force_terms"] = True
            self.methods, self.forcing = (*self.methods, Method.CONSTRAINED), (Method.CONSTRAINED,)
        else:
            self.rescue = (Method.CONSTRAINED,)
        if gpu_layers:  # recorded only when used: a GPU's arithmetic differs from the CPU's
            self.settings["gpu_layers"] = gpu_layers
        self._decoder = None
        self._prefixes: list[list[int]] | None = None
        with open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink):
            try:
                self.llm = Llama(model_path=str(self.path), n_ctx=n_ctx, n_threads=self.settings["threads"],
                                 n_gpu_layers=gpu_layers,
                                 seed=seed, verbose=False)
            except (ValueError, RuntimeError) as exc:
                raise ModelError(f"llama.cpp could not load it: {exc}", path=str(self.path),
                                 hint="a truncated or damaged file? `zhen models install --force`") from None
        self.settings["parallel"] = min(self.settings["parallel"], self.sequences_that_fit())

    def max_tokens(self, request: Request) -> int:
        return answer_budget(request, self.settings["max_tokens_per_char"], self.settings["n_ctx"] // 2)

    def _grammar_text(self, request: Request) -> str:
        return forcing_grammar(request, self.max_tokens(request))

    def _grammar(self, request: Request):
        from llama_cpp import LlamaGrammar

        return LlamaGrammar.from_string(self._grammar_text(request), verbose=False)

    def prompt_tokens(self, request: Request) -> int:
        """Tokens of the chat prompt (the template's own tokens estimated at 8 a message)."""
        text = "".join(m["content"] for m in prompts.messages(request, self.system_prompt))
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)) + 8 * 3

    def fits(self, request: Request) -> bool:
        return self.prompt_tokens(request) + self.max_tokens(request) <= self.settings["n_ctx"]

    def translate_one(self, request: Request) -> str:
        method = request.method or self.methods[0]
        grammar = self._grammar(request) if method == Method.CONSTRAINED else None
        started = time.perf_counter()
        temperature, seed = self._sampling(request)
        try:
            result = self.llm.create_chat_completion(
                messages=prompts.messages(request, self.system_prompt), temperature=temperature,
                repeat_penalty=self.settings["repeat_penalty"], max_tokens=self.max_tokens(request),
                seed=seed, grammar=grammar)
        except ValueError:  # still too long for the context: an empty answer, reported by QA
            return ""
        usage = result.get("usage") or {}
        self.stats["requests"] += 1
        self.stats["prompt_tokens"] += usage.get("prompt_tokens", 0)
        self.stats["completion_tokens"] += usage.get("completion_tokens", 0)
        self.stats["seconds"] += time.perf_counter() - started
        choice = result["choices"][0]
        answer = choice["message"]["content"] or ""
        # llama-cpp-python gives log-probabilities only with logits kept for every position (a context's
        # worth of vocabularies): the answer is read back instead, in one pass of the batched decoder.
        if answer and answer not in self.answer_logprobs:
            [summary] = self.forced_logprobs([request], [answer])
            if summary:
                self.answer_logprobs[answer] = summary
        return self.answered(answer, choice.get("finish_reason") == "length")

    def _sampling(self, request: Request) -> tuple[float, int]:
        """(temperature, seed): greedy for a request's first answer, sampled with a seed of its own
        for the further candidates (deterministic run after run)."""
        if request.sample:
            return self.settings.get("sample_temperature", 0.7), self.settings["seed"] + request.sample
        return self.settings["temperature"], self.settings["seed"]

    def kv_bytes_per_sequence(self) -> int:
        """KV-cache bytes one sequence of ``n_ctx`` tokens takes (f16 keys and values)."""
        import llama_cpp

        model = self.llm._model.model
        heads, kv_heads = llama_cpp.llama_model_n_head(model), llama_cpp.llama_model_n_head_kv(model)
        kv_width = llama_cpp.llama_model_n_embd(model) * kv_heads // max(1, heads)
        return 2 * 2 * llama_cpp.llama_model_n_layer(model) * kv_width * self.settings["n_ctx"]

    def sequences_that_fit(self) -> int:
        """Parallel sequences whose KV cache (two more for the shared prefixes) takes at most a quarter
        of the memory available now, so batching never pushes the machine out of memory."""
        try:
            with open("/proc/meminfo", encoding="ascii") as handle:
                info = dict(line.split(":", 1) for line in handle)
            available = int(info["MemAvailable"].split()[0]) * 1024
        except (OSError, KeyError, ValueError):
            return self.settings["parallel"]
        return max(1, available // 4 // max(1, self.kv_bytes_per_sequence()) - 2)

    @property
    def batch_size(self) -> int:
        """Requests worth handing over at once: a few per parallel sequence keeps every slot busy."""
        return max(8, 4 * self.settings["parallel"])

    def translate(self, requests: list[Request]) -> list[str]:
        if self.settings["parallel"] > 1 and len(requests) > 1:
            return self.translate_fitted(requests, self.translate_batched)
        return self.translate_fitted(requests, lambda parts: [self.translate_one(r) for r in parts])

    def prompt(self, request: Request) -> list[int]:
        """The request's chat prompt as tokens, formatted exactly as create_chat_completion does."""
        from llama_cpp import llama_chat_format

        if not hasattr(self, "_formatter"):
            template = self.llm.metadata.get("tokenizer.chat_template")
            if template:
                eos, bos = self.llm.token_eos(), self.llm.token_bos()
                text = self.llm._model.token_get_text
                self._formatter = llama_chat_format.Jinja2ChatFormatter(
                    template=template, eos_token=text(eos) if eos != -1 else "",
                    bos_token=text(bos) if bos != -1 else "", stop_token_ids=[eos])
            else:
                self._formatter = llama_chat_format.format_llama2
        result = self._formatter(messages=prompts.messages(request, self.system_prompt))
        return self.llm.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True)

    def _batch_decoder(self):
        from pipeline.translate.engines.llama_batch import BatchDecoder

        if self._decoder is None:
            with open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink):
                self._decoder = BatchDecoder(self.llm, self.settings["parallel"], self.settings["n_ctx"],
                                             self.settings["threads"])
        return self._decoder

    def _job(self, index: int, request: Request):
        from pipeline.translate.engines.llama_batch import Job

        grammar = self._grammar_text(request) if (request.method or self.methods[0]) == Method.CONSTRAINED else None
        temperature, seed = self._sampling(request)
        return Job(index, self.prompt(request), self.max_tokens(request), grammar,
                   sample=(temperature, seed) if request.sample else None)

    def _shared_prefixes(self) -> list[list[int]]:
        """The prompt tokens requests start with: the chat template and the system prompt (every
        request), and those plus the tag instructions (every request with inline tags)."""
        from pipeline.translate.engines.base import TermPair
        from pipeline.translate.engines.llama_batch import _common_prefix

        if self._prefixes is None:
            limit = self.settings["n_ctx"] // 2
            probes = [self.prompt(Request("甲")), self.prompt(Request("乙", (), Method.REVISE, "x")),
                      self.prompt(Request("丙", (TermPair("丙", "C"),), Method.INJECT))]
            tagged = [self.prompt(Request("<a1>甲</a1>")), self.prompt(Request("<a1>乙</a1>", (TermPair("乙", "B"),)))]
            base, with_tags = _common_prefix(probes, limit), _common_prefix(tagged, limit)
            self._prefixes = [base] + ([with_tags] if len(with_tags) > len(base) else [])
        return self._prefixes

    def _decode_jobs(self, jobs, on_done=None) -> list[list[int]]:
        decoder = self._batch_decoder()
        started = time.perf_counter()
        before = dict(decoder.stats)
        outputs = decoder.run(jobs, self._shared_prefixes(), on_done)
        for key in ("prompt_tokens", "completion_tokens"):
            self.stats[key] += decoder.stats[key] - before[key]
        self.stats["seconds"] += time.perf_counter() - started
        return outputs

    def _text(self, tokens: list[int]) -> str:
        return self.llm.detokenize(tokens).decode("utf-8", errors="ignore")

    def _answer(self, job) -> str:
        return self.answered(self._text(job.output), job.cut, job.logprobs[:len(job.output)])

    def forced_logprobs(self, requests: list[Request], answers: list[str]) -> list[dict | None]:
        """Each answer's tokens' log-probabilities under its request's prompt, by teacher forcing."""
        decoder, prefixes = self._batch_decoder(), self._shared_prefixes()
        found = []
        for request, answer in zip(requests, answers):
            tokens = self.llm.tokenize(answer.encode("utf-8"), add_bos=False, special=False)
            logprobs = decoder.forced(self.prompt(request), tokens, prefixes)
            found.append(token_summary(logprobs) if logprobs else None)
        return found

    def translate_batched(self, requests: list[Request]) -> list[str]:
        self.stats["requests"] += len(requests)
        jobs = [self._job(i, r) for i, r in enumerate(requests)]
        self._decode_jobs(jobs)
        return [self._answer(job) for job in jobs]

    def translate_followed(self, requests, follow, batch_size=8, checkpoint=lambda: None) -> None:
        """Continuous batching across locking methods: an item's next request starts as soon as its
        answer is judged, in the slot that answer freed, while the other sequences go on."""
        if self.settings["parallel"] <= 1:
            return super().translate_followed(requests, follow, batch_size, checkpoint)
        finished = [0]

        def ready(index: int, request: Request | None):
            """The job for a request, translating at once (in parts) what a sequence cannot hold."""
            while request is not None and not self.fits(request):
                request = follow(index, self.translate([request])[0])
            if request is None:
                finished[0] += 1
                if finished[0] % 8 == 0:
                    checkpoint()
                return None
            self.stats["requests"] += 1
            return self._job(index, request)

        def on_done(job):
            return ready(job.index, follow(job.index, self._answer(job)))

        jobs = [job for i, r in enumerate(requests) if (job := ready(i, r)) is not None]
        # Longest prompts first: long answers start early, and the last to finish are short ones.
        jobs.sort(key=lambda job: -len(job.prompt))
        self._decode_jobs(jobs, on_done)
        checkpoint()

    def describe(self) -> dict:
        return {"engine": self.name, "model": self.model_name, "file": str(self.path),
                "sha256": self.sha256, "settings": self.settings, "methods": list(self.methods),
                "system_prompt": self.system_prompt}

    def close(self) -> None:
        if self._decoder is not None:
            self._decoder.close()
            self._decoder = None
        with contextlib.suppress(Exception):
            self.llm.close()
