"""Shared memory: the arena, its allocator, locks, rings, wait records.

Nothing here imports greenlet or the scheduler (_core): this layer only knows
memory. See each module's header for what it owns and its invariants.
"""
