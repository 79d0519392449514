"""Handles: the Python objects that stand for blocks in the runtime's arena
(the public layer's name for the kernel's _core/handle.py)."""

from __future__ import annotations

from ._core.handle import ShmObject, _name, _rebuild, _registry, current_arena, misuse

__all__ = ["ShmObject", "_name", "_rebuild", "_registry", "current_arena", "misuse"]
