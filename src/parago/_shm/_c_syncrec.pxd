# Types for the compiled twin of syncrec.py (see parago/_accel.py).
