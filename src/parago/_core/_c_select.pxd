# Types for the compiled twin of select.py (see parago/_accel.py).
