"""``python -m parago`` and the ``parago`` command: ``--version``, ``--help``
and the commands below."""

from __future__ import annotations

import argparse
import sys

COMMANDS = {
    "bench": "measure what parago's processes buy and its goroutines cost on this machine, "
             "beside multiprocessing, asyncio, gevent and the other peers installed "
             "(docs/bench.md); `parago bench --help` for its options",
}


def _version() -> str:
    from . import __version__
    return f"parago {__version__} (Python {sys.version.split()[0]})"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="parago", description="parago: Go's concurrency model for Python, with true "
                                   "parallelism. The library is used with `import parago as "
                                   "pg`; this command has tools around it.")
    p.add_argument("--version", action="version", version=_version())
    sub = p.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name, text in COMMANDS.items():
        sub.add_parser(name, help=text, add_help=False)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = _parser()
    if not argv:
        parser.print_help()
        return 2
    if argv[0] == "bench":                 # its own options, parsed by the bench
        from .bench.cli import main as bench_main
        return bench_main(argv[1:])
    parser.parse_args(argv)                # --help, --version, or an error (exit 2)
    return 2


if __name__ == "__main__":
    sys.exit(main())
