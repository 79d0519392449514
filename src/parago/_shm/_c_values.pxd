# Types for the compiled twin of values.py (see parago/_accel.py).
