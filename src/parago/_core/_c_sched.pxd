# Types for the compiled twin of sched.py (see parago/_accel.py).
