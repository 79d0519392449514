# Types for the compiled twin of undo.py (see parago/_accel.py).

from parago._shm cimport _c_atom as atom
