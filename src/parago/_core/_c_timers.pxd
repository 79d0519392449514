# Types for the compiled twin of timers.py (see parago/_accel.py).
