"""`zhen models list|install`."""
from __future__ import annotations

from pipeline import console
from pipeline.models.install import install, is_installed, model_path
from pipeline.models.registry import REGISTRY, ModelError


def run_list() -> int:
    rows = [[name, spec.license, f"{spec.size / 1e9:.2f} GB", "yes" if is_installed(spec) else "no",
             str(model_path(spec))] for name, spec in REGISTRY.items()]
    console.table("models", ["name", "license", "size", "installed", "path"], rows)
    return 0


def run_install(name: str, force: bool) -> int:
    if name not in REGISTRY:
        raise ModelError(f"unknown model {name!r}; registered: {', '.join(REGISTRY)}")
    install(REGISTRY[name], force=force, log=lambda m: console.err.print(m, markup=False))
    return 0
