# Types for the compiled twin of gqueue.py (see parago/_accel.py).
