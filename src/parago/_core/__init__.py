"""One process's green scheduler (goroutines, park/ready, timers, idle wait).

Imports _shm only, never the public modules or _runtime.
"""
