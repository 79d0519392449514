"""The N Ps: worker processes, placement and stealing, panics, deadlock, shutdown.

Imports _core and _shm, never the public modules.
"""
