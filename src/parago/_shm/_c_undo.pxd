# Types for the compiled twin of undo.py (see parago/_accel.py). The record
# functions take the arena's words as a typed view: callers that hold one
# (a compiled caller's M) pass it at C level, with no view object made.
cimport cython

from parago._shm cimport _c_atom as atom


cdef class Layout:
    cdef public Py_ssize_t log, mut0, n, opseq, pending


@cython.locals(lo=Py_ssize_t, hi=Py_ssize_t)
cdef void _check_span(long long[::1] M, Py_ssize_t rw, Layout lay) except *

@cython.locals(m=Py_ssize_t, lg=Py_ssize_t, i=Py_ssize_t)
cpdef void begin(long long[::1] M, Py_ssize_t rw, Layout lay) except *

cpdef void commit(long long[::1] M, Py_ssize_t rw, Layout lay) except *

cpdef bint in_progress(long long[::1] M, Py_ssize_t rw, Layout lay) except? -1

@cython.locals(m=Py_ssize_t, lg=Py_ssize_t, i=Py_ssize_t)
cpdef void restore(long long[::1] M, Py_ssize_t rw, Layout lay) except *

cpdef void abort(long long[::1] M, Py_ssize_t rw, Layout lay) except *
