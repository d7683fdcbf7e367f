"""A normal (non-editable) install: the term base is found in the user's folder, the packaged copy
is only read, and a translation runs from a folder outside the repository."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The project built as a wheel and installed into a folder (its dependencies are this venv's)."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(ROOT)], check=True, capture_output=True, timeout=300)
    assert not (target / "pipeline" / "data" / "terms.csv").is_symlink()  # a copy, not the repository's file
    return target


def _zhen(installed: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": f"{installed}{os.pathsep}{ROOT}"}  # ROOT: the tests' fake engine only
    env.pop("ZHEN_GLOSSARY", None)
    code = "import sys; from pipeline.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def test_installed_package_runs_outside_the_repository(installed, tmp_path, tiny_gguf):
    result = _zhen(installed, tmp_path, "glossary", "lint")
    assert result.returncode in (0, 1), result.stderr
    assert f"{installed / 'pipeline' / 'data' / 'terms.csv'}: " in result.stdout  # the packaged copy, read
    assert _zhen(installed, tmp_path, "glossary", "export", "--csv", "terms-export.csv").returncode == 0
    rows = list(csv.DictReader((tmp_path / "terms-export.csv").open(encoding="utf-8-sig")))
    assert len(rows) > 400  # the packaged term base, read
    (tmp_path / "edit.csv").write_text("id,zh,en,status\nzz,某某人,Moumou Ren,approved\n", encoding="utf-8")
    assert _zhen(installed, tmp_path, "glossary", "import", "edit.csv").returncode == 0
    assert len(list(csv.DictReader((tmp_path / "glossary" / "terms.csv").open(encoding="utf-8")))) == len(rows) + 1
    assert not list(installed.rglob("glossary/terms.csv"))  # nothing written into the installed package
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.md").write_text("[王明](../Page/王明.md)与某某人会面。\n", encoding="utf-8")
    result = _zhen(installed, tmp_path, "translate", "in", "--model", str(tiny_gguf), "--no-cache", "--no-tm",
                   "--force-terms")  # a random model: only the forcing grammar places the terms
    assert result.returncode == 0, result.stderr
    english = (tmp_path / "outputs" / "a" / "a.en.md").read_text(encoding="utf-8")
    assert "Moumou Ren" in english and "Wang Ming" in english  # the user's edited term base was used
