# Types for the compiled twin of syncrec.py (see parago/_accel.py): the undo-log
# steps take the typed view and reach undo's at C level.
from parago._shm cimport _c_undo as undo

cpdef void begin(long long[::1] M, Py_ssize_t rw) except *
cpdef void commit(long long[::1] M, Py_ssize_t rw) except *
cpdef void abort(long long[::1] M, Py_ssize_t rw) except *
