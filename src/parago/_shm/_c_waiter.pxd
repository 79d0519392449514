# Types for the compiled twin of waiter.py (see parago/_accel.py).
