# Types for the compiled twin of gqueue.py (see parago/_accel.py). The
# record functions index the arena's words through one typed view each.
cimport cython

from parago._shm cimport _c_undo as undo
from parago._shm cimport _c_ptable as ptable

cpdef void _begin(long long[::1] M, Py_ssize_t q) except *
cpdef void _commit(long long[::1] M, Py_ssize_t q) except *

cpdef Py_ssize_t record_w(object arena, Py_ssize_t p, bint pinned=*) except? -1

@cython.locals(M="long long[::1]", w=Py_ssize_t, b=Py_ssize_t, n=Py_ssize_t)
cpdef Py_ssize_t make_blob(object arena, long long gid, bytes payload, long long creator,
                           long long fnkey=*, long long queued_ns=*) except? -1

@cython.locals(M="long long[::1]", w=Py_ssize_t, n=Py_ssize_t)
cpdef tuple read_blob(object arena, Py_ssize_t b)

@cython.locals(M="long long[::1]", q=Py_ssize_t, lb=Py_ssize_t, tail=Py_ssize_t, b=Py_ssize_t)
cpdef push(object arena, Py_ssize_t p, list blobs, bint pinned=*)

@cython.locals(M="long long[::1]", q=Py_ssize_t, lb=Py_ssize_t, n=Py_ssize_t, k=Py_ssize_t,
               b=Py_ssize_t, out=list, _i=Py_ssize_t)
cpdef list take(object arena, Py_ssize_t p, bint half, bint pinned=*)

@cython.locals(M="long long[::1]", q=Py_ssize_t, lb=Py_ssize_t, nxt=Py_ssize_t)
cpdef bint take_head(object arena, Py_ssize_t p, Py_ssize_t b) except? -1

@cython.locals(M="long long[::1]", q=Py_ssize_t, p=Py_ssize_t)
cpdef bint queued_elsewhere(object arena, Py_ssize_t me) except? -1
