"""Registered components and the pipeline that runs them (spaCy's ``Language`` in small).

A component is made by a factory registered with ``@component(name, requires=…, assigns=…)``; the
factory gets the run's ``Context`` (settings and shared resources) and returns a callable that takes
a Document and returns it, filled in. A component may also offer ``pipe(docs)`` to work on many
documents at once. ``Pipeline`` checks that every requirement is assigned by an earlier component,
then runs them in order over one document (``__call__``) or a stream (``pipe``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from pipeline.document import Document

Component = Callable[[Document], Document]


@dataclass
class Context:
    """Settings and shared resources the factories draw on; each component takes what it needs."""

    opencc: str = "t2s"
    glossaries: list[Path] = field(default_factory=list)  # empty: the default term base
    matcher: Any = None          # a TermMatcher, built by the match factory when absent
    engine: Any = None           # an Engine
    batch_size: int = 8
    cache: Any = None            # a SegmentCache
    memory: Any = None           # a TranslationMemory
    prompting: Any = None        # a Prompting: context sentences and examples beside each sentence
    on_done: Callable[[int], None] | None = None  # called with the number of segments finished
    out_dir: Path | None = None
    provenance: Any = None       # a Provenance


@dataclass(frozen=True)
class ComponentSpec:
    name: str
    factory: Callable[[Context], Component]
    requires: tuple[str, ...]
    assigns: tuple[str, ...]

    @property
    def description(self) -> str:
        return " ".join((self.factory.__doc__ or "").split())


REGISTRY: dict[str, ComponentSpec] = {}


def component(name: str, *, requires: Iterable[str] = (), assigns: Iterable[str] = ()):
    """Register a component factory under ``name`` with the attributes it reads and fills."""
    def register(factory: Callable[[Context], Component]) -> Callable[[Context], Component]:
        REGISTRY[name] = ComponentSpec(name, factory, tuple(requires), tuple(assigns))
        return factory
    return register


class PipelineError(ValueError):
    """Components in an order where one needs what no earlier component assigns."""


def check_order(names: Iterable[str], given: Iterable[str] = ()) -> None:
    available = set(given)
    for name in names:
        if name not in REGISTRY:
            raise PipelineError(f"no component named {name!r}; registered: {', '.join(REGISTRY)}")
        spec = REGISTRY[name]
        missing = [r for r in spec.requires if r not in available]
        if missing:
            raise PipelineError(f"component {name!r} requires {', '.join(missing)}, which no earlier "
                                "component assigns")
        available.update(spec.assigns)


class Pipeline:
    """Named components run in order over Documents. ``given``: attributes filled beforehand."""

    def __init__(self, names: Iterable[str], context: Context | None = None, given: Iterable[str] = ()):
        self.names = tuple(names)
        check_order(self.names, given)
        self.context = context or Context()
        self.components = [(name, REGISTRY[name].factory(self.context)) for name in self.names]

    def __call__(self, doc: Document) -> Document:
        for _name, run in self.components:
            doc = run(doc)
        return doc

    def pipe(self, docs: Iterable[Document]) -> Iterator[Document]:
        stream: Iterable[Document] = docs
        for _name, run in self.components:
            stream = run.pipe(stream) if hasattr(run, "pipe") else map(run, stream)
        yield from stream
