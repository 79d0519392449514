# Types for the compiled twin of chan.py (see parago/_accel.py). Its
# constants are C variables here (the compiled _core/chan.py cimports this
# twin and reads them as C; Python reads the .py module's own, equal values).
# The undo-log steps take the typed view and reach undo's at C level.
from parago._shm cimport _c_undo as undo

cdef Py_ssize_t C_CAP, C_RBASE, C_RSIZE, C_REFS, C_GEN, C_FLAGS, C_CLOSED, C_COUNT, C_RING
cdef Py_ssize_t C_RQH, C_RQT, C_SQH, C_SQT, C_OPSEQ, C_PENDING, C_TWHEN, C_TPERIOD, C_TSPARE
cdef Py_ssize_t C_MUT0, C_MUT_N, C_LOG, HDR_WORDS, HDR_BYTES, F_TIMER, F_DEADLINE

cpdef Py_ssize_t create(object arena, Py_ssize_t cap, Py_ssize_t flags=*) except? -1
cpdef void begin(long long[::1] M, Py_ssize_t hw) except *
cpdef void commit(long long[::1] M, Py_ssize_t hw) except *
cpdef void abort(long long[::1] M, Py_ssize_t hw) except *
cpdef void destroy(object arena, Py_ssize_t b) except *
