"""The front door: a short README whose set-up commands are the real ones, a guide that names every
command, option and QA check, and guide commands that run as written (on the seeds, fake engine)."""
from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from pipeline.cli import EXAMPLES, build_parser, main
from pipeline.qa.checks import CHECKS, RUN_CHECKS
from pipeline.verify import RULES
from tests.fakes import FAKE

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PAGES = sorted((ROOT / "docs").glob("*.md"))
GUIDE = "\n".join(p.read_text(encoding="utf-8") for p in PAGES)


def _commands(parser: argparse.ArgumentParser, path: str = ""):
    """(command path, its option strings) for every command and sub-command."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                command = f"{path} {name}".strip()
                options = [o for a in sub._actions for o in a.option_strings if o not in ("-h", "--help")]
                yield command, sub, options
                yield from _commands(sub, command)


def test_the_readme_is_short_and_holds_no_measurement_paragraph():
    assert len(README.splitlines()) <= 150
    assert not re.search(r"measured (?:from|on|in) .*(?:clone|commit|`[0-9a-f]{7}`)", README)
    assert not re.search(r"\b[0-9a-f]{7}\b`? on 2026-", README)


def test_the_readmes_set_up_commands_are_the_real_ones():
    blocks = re.findall(r"```bash\n(.*?)\n```", README, re.S)
    main_job, tests = blocks[0], blocks[1]
    assert main_job == "python3 -m venv .venv && .venv/bin/pip install -q -e '.[llama]' && .venv/bin/zhen translate seeds/"
    assert tests == "bash .ci/run" and (ROOT / ".ci" / "run").is_file()
    assert "llama = [" in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert build_parser().parse_args(["translate", "seeds/"]).command == "translate" and (ROOT / "seeds").is_dir()
    assert 'pip install -q -e ".[llama,' in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_guide_names_every_command_and_option():
    missing = []
    for command, _sub, options in _commands(build_parser()):
        if f"zhen {command}" not in GUIDE:
            missing.append(f"zhen {command}")
        missing += [f"zhen {command} {o}" for o in options if o not in GUIDE]
    assert missing == []


def test_the_guide_explains_every_qa_check():
    quality = (ROOT / "docs" / "quality.md").read_text(encoding="utf-8")
    names = set(CHECKS) | set(RUN_CHECKS) | {r.name for r in RULES}
    what_to_do = quality.split("What to do about each", 1)[1]
    assert [n for n in sorted(names) if f"`{n}`" not in what_to_do] == []


def test_every_command_help_ends_with_an_example(capsys):
    for command, sub, _options in _commands(build_parser()):
        assert command in EXAMPLES and sub.epilog.startswith("example:"), command
    with pytest.raises(SystemExit):
        main(["translate", "--help"])
    assert capsys.readouterr().out.rstrip().endswith(EXAMPLES["translate"])


def test_pages_link_to_each_other_and_the_readme_links_every_page():
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for other in PAGES:
            assert other == page or f"({other.name})" in text, (page.name, other.name)
        assert f"docs/{page.name}" in README or page.name == "review-screenshot.png", page.name


def _slug(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_to_a_figure_lands_on_a_heading_and_the_bench_readme_quotes_none():
    results = ROOT / "bench" / "RESULTS.md"
    anchors = {_slug(h) for h in re.findall(r"(?m)^#+ (.+)$", results.read_text(encoding="utf-8"))}
    bench_readme = (ROOT / "bench" / "README.md").read_text(encoding="utf-8")
    for text in (README, GUIDE, bench_readme):
        for anchor in re.findall(r"RESULTS\.md#([\w-]+)", text):
            assert anchor in anchors, anchor
    assert not re.search(r"\b2026-\d\d-\d\d\b|\d+\.\d+ s\b", bench_readme)  # figures live in RESULTS.md


def _page_commands(page: Path) -> list[str]:
    block = re.search(r"```bash\n(.*?)\n```", page.read_text(encoding="utf-8"), re.S).group(1)
    return [c.strip() for c in re.split(r"&&|;|\n", block) if c.strip().startswith("zhen ")]


def _serve_briefly(argv: list[str]) -> None:
    """Start `zhen review serve`, read the address it prints, open it, then stop it with Ctrl-C."""
    pytest.importorskip("uvicorn")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    server = subprocess.Popen([sys.executable, "-m", "pipeline", *argv], stdout=subprocess.PIPE, text=True, env=env)
    try:
        line = server.stdout.readline()  # printed once it listens
        address = re.search(r"http://\S+/", line)
        assert address, line
        with urllib.request.urlopen(address.group(0), timeout=20) as answer:
            assert answer.status == 200
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_each_guide_page_opens_with_a_command_that_runs_as_written(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "seeds", "seeds")
    shutil.copytree(ROOT / "seeds", "articles")
    Path("zho_Hans.dev").write_text("王明回国。\n博古说话。\n", encoding="utf-8")
    Path("eng_Latn.dev").write_text("Wang Ming returned.\nBo Gu spoke.\n", encoding="utf-8")
    commands = _page_commands(page)
    assert commands, f"{page.name} opens with no zhen command"
    if commands[0].startswith("zhen review"):  # a review needs a run to review
        assert main(["translate", "seeds/", "--out", "outputs", *FAKE, "--no-tm"]) == 0
    for command in commands:
        argv = shlex.split(command)[1:]
        if argv[:2] == ["review", "serve"]:  # a server: it answers, then Ctrl-C stops it
            _serve_briefly([*argv, "--port", "0"])
            continue
        if argv[0] in ("translate", "eval"):
            argv += list(FAKE)
        code = main(argv)
        assert code == 0 or ("--strict" in argv and code == 1), (command, code)
