# Types for the compiled twin of chan.py (see parago/_accel.py).
