# Types for the compiled twin of cells.py (see parago/_accel.py).
