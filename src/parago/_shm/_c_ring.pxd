# Types for the compiled twin of ring.py (see parago/_accel.py).
