"""The bench command's progress bar: tqdm when installed, else one plain
line per kernel on stderr. Tables go to stdout through :meth:`write`, which
keeps them clear of the bar."""

from __future__ import annotations

import sys


class Progress:
    def __init__(self, total: int):
        self.total, self.count = total, 0
        try:
            from tqdm import tqdm
        except ImportError:
            self.bar = None
        else:
            self.bar = tqdm(total=total, unit="kernel", file=sys.stderr, dynamic_ncols=True,
                            leave=False, bar_format="{percentage:3.0f}%|{bar}| {n}/{total} "
                            "[{elapsed}<{remaining}] {desc}")

    def start(self, label: str) -> None:
        """A kernel starts; ``label`` says which."""
        if self.bar is not None:
            self.bar.set_description_str(label)
        else:
            print(f"[{self.count + 1}/{self.total}] {label}", file=sys.stderr, flush=True)

    def advance(self) -> None:
        self.count += 1
        if self.bar is not None:
            self.bar.update(1)

    def write(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=sys.stdout)
        else:
            print(text, flush=True)
        sys.stdout.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
