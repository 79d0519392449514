# Types for the compiled twin of _core/wait.py (see parago/_accel.py).
cimport cython

from parago._core._c_sched cimport G, Processor, this_proc
from parago._shm cimport _c_waiter as W
from parago._shm cimport _c_atom as atom

cdef Py_ssize_t _WAITING, _INBOX_OFF

@cython.locals(g=G, gb=Py_ssize_t, gw=Py_ssize_t, M="long long[::1]")
cpdef Py_ssize_t start(Processor proc, Py_ssize_t head_w, Py_ssize_t tail_w,
                       bint front=*) except? -1

@cython.locals(M="long long[::1]", g=G)
cpdef ready(Processor proc, Py_ssize_t gw, Py_ssize_t case, Py_ssize_t ok, object xval=*)

cpdef G take_local(Processor proc, Py_ssize_t s)

cpdef park(Processor proc, str reason)

cpdef unlock(Processor proc, Py_ssize_t lock_b)

cpdef post(Processor proc)
