# The compiled form of atom.py: _native's atomics as inline C on a typed view
# of the arena (see atom.py). Modules cimport these names where their .py
# imports them from atom.

from cpython.pythread cimport PyThread_get_thread_ident

cdef extern from "_native_atomics.h":
    long long pg_load64(long long *p) nogil
    void pg_store64(long long *p, long long v) nogil
    long long pg_add64(long long *p, long long d) nogil
    long long pg_swap64(long long *p, long long v) nogil
    bint pg_cas64(long long *p, long long old, long long v) nogil
    void pg_fence() nogil


cdef inline long long load64(object mem, long long[::1] M, Py_ssize_t w):
    return pg_load64(&M[w])


cdef inline void store64(object mem, long long[::1] M, Py_ssize_t w, long long v):
    pg_store64(&M[w], v)


cdef inline long long add64(object mem, long long[::1] M, Py_ssize_t w, long long d):
    return pg_add64(&M[w], d)


cdef inline long long swap64(object mem, long long[::1] M, Py_ssize_t w, long long v):
    return pg_swap64(&M[w], v)


cdef inline bint cas64(object mem, long long[::1] M, Py_ssize_t w, long long old,
                       long long new):
    return pg_cas64(&M[w], old, new)


cdef inline void fence():
    pg_fence()


cdef inline unsigned long thread_ident():
    return PyThread_get_thread_ident()
