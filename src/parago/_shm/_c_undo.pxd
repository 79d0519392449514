# Types for the compiled twin of undo.py (see parago/_accel.py).
