# Types for the compiled twin of ctx.py (see parago/_accel.py).
