# Types for the compiled twin of select.py (see parago/_accel.py).

from parago._core._c_sched cimport this_proc
