"""The design's invariants: no package-level import cycle, components in a valid order, one table
per fact, and the README's lists generated from (or equal to) the code's tables."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from pipeline.components import REGISTRY, Pipeline, PipelineError, check_order
from pipeline.formats import writers
from pipeline.qa.checks import CHECKS, RUN_CHECKS
from pipeline.stages import STANDARD
from pipeline.verify import RULES

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pipeline"


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, module: str) -> set[str]:
    """Every pipeline module imported at run time (type-checking-only imports excluded)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("pipeline"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                parts = module.split(".")[:-node.level]
                base = ".".join(parts + ([base] if base else []))
            if base == "pipeline":  # from pipeline import console: the modules named
                found.update(f"pipeline.{a.name}" for a in node.names)
            elif base.startswith("pipeline"):
                found.add(base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _unit(module: str) -> str:
    """The package-level unit of a module: ``pipeline.translate.engines.llama`` → ``translate``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] not in ("__init__", "__version__") else "<root>"


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(ROOT).with_suffix("")
        module = ".".join(p for p in rel.parts if p != "__init__")
        if path.name == "__init__.py":
            module = ".".join(rel.parts[:-1]) + ".__init__"
        unit = _unit(module)
        targets = {_unit(m) for m in _imports(ast.parse(path.read_text(encoding="utf-8")), module)}
        graph.setdefault(unit, set()).update(t for t in targets if t not in (unit, "<root>"))
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_package_level_import_cycle():
    graph = _graph()
    assert {"document", "translate", "qa", "formats", "terms"} <= set(graph)
    assert _cycle(graph) is None, f"import cycle: {' → '.join(_cycle(graph))}"


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_document_model_imports_no_other_part_of_the_pipeline():
    assert _graph()["document"] == set()


def test_standard_components_are_registered_in_a_valid_order():
    check_order(STANDARD, given=("doc.path",))
    assert set(STANDARD) <= set(REGISTRY)
    for name in STANDARD:
        assert REGISTRY[name].description, f"component {name} has no docstring"


def test_a_component_before_what_it_requires_is_refused():
    with pytest.raises(PipelineError, match="'qa' requires segment.translation"):
        Pipeline(["segment", "qa"], given=("doc.blocks",))
    with pytest.raises(PipelineError, match="no component named 'nope'"):
        check_order(["nope"])


def test_one_han_range_table():
    """No module spells out a CJK code-point range except pipeline/chinese.py."""
    offenders = [str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py")
                 if p.name != "chinese.py" and re.search(r"\\u[34]e00|\\u9fff|\\u3400", p.read_text(encoding="utf-8"))]
    assert offenders == []


def _readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def _guide(page: str) -> str:
    return (ROOT / "docs" / page).read_text(encoding="utf-8")


def test_the_guide_lists_every_qa_check_and_verification_rule():
    section = _guide("quality.md").split("**QA checks**", 1)[1].split("\n\n", 1)[0]
    listed = set(re.findall(r"`([a-z-]+)`", section))
    names = set(CHECKS) | set(RUN_CHECKS) | {rule.name for rule in RULES}
    assert listed == names


def test_the_guide_lists_every_output_format():
    section = _guide("architecture.md").split("## Architecture", 1)[1]
    for item in writers().values():
        assert f"`{item.filename}`" in section, item.filename


def test_every_qa_check_has_a_description_and_a_severity():
    for item in CHECKS.values():
        assert item.description and item.severity in ("error", "warning", "info")


def test_every_command_and_argument_has_help_for_users():
    import argparse

    from pipeline.cli import build_parser

    missing = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helped = {a.dest for a in action._choices_actions if a.help}
                for name, sub in action.choices.items():
                    if name not in helped:
                        missing.append(f"{path} {name}")
                    walk(sub, f"{path} {name}")
            elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)) and not action.help:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    walk(build_parser(), "zhen")
    assert missing == []


# -- each common change is one file: a toy repair and a toy check, registered from here ----------

_TOY_ARTICLE = "王明回国。\n"
_TOY_GLOSSARY = ("id,zh,variants,en,type,action,forbidden,note,source,status\n"
                 "wm,王明,,Wang Ming,person,transliterate,,,test,approved\n")


def _toy_run(tmp_path) -> list[dict]:
    import json

    from pipeline.cli import main
    from tests.fakes import FAKE, write_project

    write_project(tmp_path, {"a.md": _TOY_ARTICLE}, _TOY_GLOSSARY)
    assert main(["translate", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--glossary",
                 str(tmp_path / "g.csv"), *FAKE, "--no-tm", "--no-cache", "--jobs", "1"]) == 0
    lines = (tmp_path / "out" / "a" / "aligned.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_a_repair_registered_from_a_test_mends_before_the_model_is_asked_again(tmp_path):
    from pipeline.translate.repairs import BEFORE_ASKING, REPAIRS, repair
    from pipeline.translate.verdicts import revised
    from tests.fakes import FakeEngine

    def lacks_a_term(verdict):
        return verdict.count("missing") > 0

    @repair("toy-name-first", mends=("term-missing",), when=lacks_a_term, stages=(BEFORE_ASKING,))
    def name_first(segment, best, tags, looked_up):
        names = " and ".join(o.expected for o in best.outcomes if o.status == "missing")
        return revised(segment, best, f"{names}: {best.tgt}", best.method, tags)

    FakeEngine.calls.clear()
    try:
        (record,) = _toy_run(tmp_path)
    finally:
        del REPAIRS["toy-name-first"]
    # the fake's first answer drops the term; the toy put it in, so no second method was asked
    assert record["tgt"].startswith("Wang Ming: It was said") and len(FakeEngine.calls) == 1


def test_a_check_registered_from_a_test_reports_on_every_segment(tmp_path):
    from pipeline.document import INFO
    from pipeline.qa.checks import CHECKS, check

    @check("toy-short", INFO)
    def toy_short(text, segment):
        """English of fewer than five words."""
        if len(segment.translation.tgt.split()) < 5:
            yield "fewer than five words"

    try:
        (record,) = _toy_run(tmp_path)
    finally:
        del CHECKS["toy-short"]
    assert {"check": "toy-short", "severity": INFO, "message": "fewer than five words"} in record["qa"]
