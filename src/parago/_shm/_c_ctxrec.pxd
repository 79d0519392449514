# Types for the compiled twin of ctxrec.py (see parago/_accel.py).
