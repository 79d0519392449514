# Types for the compiled twin of lock.py (see parago/_accel.py).
