# Types for the compiled twin of loadtab.py (see parago/_accel.py).
