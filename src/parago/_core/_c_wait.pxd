# Types for the compiled twin of wait.py (see parago/_accel.py).
