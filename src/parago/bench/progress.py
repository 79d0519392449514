"""The bench command's progress display on stderr: tqdm's bar when stderr is
a terminal and tqdm is installed; otherwise (a log, a pipe, no tqdm) one
plain line as each section starts, never a carriage-return frame. Tables go
to stdout through :meth:`write`, which keeps them clear of the bar."""

from __future__ import annotations

import sys
from typing import Any


class Progress:
    def __init__(self, total: int) -> None:
        self.total, self.count = total, 0
        self.section: str | None = None
        self.bar: Any = None                # a tqdm bar (tqdm is not type-checked here)
        if sys.stderr.isatty():
            try:
                from tqdm import tqdm
            except ImportError:
                pass
            else:
                self.bar = tqdm(total=total, unit="run", file=sys.stderr, dynamic_ncols=True,
                                leave=False, bar_format="{percentage:3.0f}%|{bar}| {n}/{total} "
                                "[{elapsed}<{remaining}] {desc}")

    def start(self, label: str) -> None:
        """A kernel run starts; ``label`` ("section: kernel args") says which."""
        if self.bar is not None:
            self.bar.set_description_str(label)
            return
        section = label.split(":")[0]
        if section != self.section:
            self.section = section
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
