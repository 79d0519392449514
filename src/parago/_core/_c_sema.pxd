# Types for the compiled twin of sema.py (see parago/_accel.py).
