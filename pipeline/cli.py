"""The `zhen` command line: parses arguments and hands over to pipeline.commands."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline import __version__, console
from pipeline.errors import ZhenError
from pipeline.normalize import CONFIGS, DEFAULT_CONFIG
from pipeline.stages import Settings


def _add_inspect(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inspect", help="segment and normalize articles; write segments.jsonl")
    p.add_argument("paths", nargs="+", help="article files or folders")
    p.add_argument("--out", type=Path, default=Path("outputs"), help="output folder (default: outputs)")
    p.add_argument("--opencc", choices=CONFIGS, default=DEFAULT_CONFIG, help="OpenCC config")
    p.set_defaults(handler=lambda a: _inspect(a))


def _inspect(args: argparse.Namespace) -> int:
    from pipeline.commands import inspect
    return inspect.run(args.paths, args.out, Settings(opencc=args.opencc))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zhen", description=__doc__)
    parser.add_argument("--version", action="version", version=f"zhen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (_add_inspect,):
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ZhenError as exc:
        console.error(exc)
        return 2
    except KeyboardInterrupt:
        console.error("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
