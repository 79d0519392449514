"""``python -m parago bench``: measure parallelism versus concurrency here."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m parago bench [--quick] [--procs N[,M..]] [--only NAME] "
              "[--json PATH] [--plot PATH]\n\nRun `python -m parago bench --help` for details.")
        return 0 if argv else 2
    if argv[0] == "bench":
        from .bench.cli import main as bench_main
        return bench_main(argv[1:])
    print(f"unknown command {argv[0]!r}; the command is `python -m parago bench`", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
