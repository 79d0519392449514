# Types for the compiled twin of gqueue.py (see parago/_accel.py).
from parago._shm cimport _c_undo as undo

cpdef void _begin(long long[::1] M, Py_ssize_t q) except *
cpdef void _commit(long long[::1] M, Py_ssize_t q) except *
