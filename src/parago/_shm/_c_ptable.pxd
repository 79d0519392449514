# Types for the compiled twin of ptable.py (see parago/_accel.py).
