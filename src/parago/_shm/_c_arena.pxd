# Types for the compiled twin of arena.py (see parago/_accel.py). Arena is an
# extension type so alloc and free, the allocator's hot calls, read the words
# through a typed view (Mv) and the size-class caches without attribute
# lookups; every other field stays a Python object, as before.
cimport cython


cdef class Arena:
    cdef public object seg, mem, B, M
    cdef long long[::1] Mv
    cdef public long long tag, p, size, heap0, ptable, pagemap, _pmw
    cdef public list _cache, graveyard

    @cython.locals(c=Py_ssize_t, a=Py_ssize_t, lst=list, M="long long[::1]")
    cpdef Py_ssize_t alloc(self, Py_ssize_t nbytes, long long kind) except? -1

    @cython.locals(e="long long", c=Py_ssize_t, lst=list, n=Py_ssize_t, M="long long[::1]")
    cpdef free(self, Py_ssize_t a)
