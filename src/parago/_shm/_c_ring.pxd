# Types for the compiled twin of ring.py (see parago/_accel.py): a ring's
# words are read and written through the typed view its caller passes, and
# values' cell functions are reached at C level.
cimport cython

from parago._shm cimport _c_values as V

cdef Py_ssize_t SPILL_FRAME, WRAP_SLACK, INLINE_MAX, HEAD, TAIL, USED

@cython.locals(head=Py_ssize_t, tail=Py_ssize_t, used=Py_ssize_t, room=Py_ssize_t,
               inline_cap=Py_ssize_t, nw=Py_ssize_t, pos=Py_ssize_t, waste=Py_ssize_t)
cpdef void push(object arena, long long[::1] M, Py_ssize_t r, Py_ssize_t base_b,
                Py_ssize_t size, Py_ssize_t count, Py_ssize_t cap, Py_ssize_t kind,
                object payload) except *

# A pair of C integers, compiled: no tuple object per frame pushed.
cdef (Py_ssize_t, Py_ssize_t) _place(Py_ssize_t head, Py_ssize_t tail, Py_ssize_t count,
                                     Py_ssize_t size, Py_ssize_t nbytes)

@cython.locals(head=Py_ssize_t)
cpdef Py_ssize_t head_cell(long long[::1] M, Py_ssize_t r, Py_ssize_t base_b,
                           Py_ssize_t size) except -1

@cython.locals(w=Py_ssize_t, kind=Py_ssize_t, nbytes=Py_ssize_t)
cpdef object pop_small(long long[::1] M, Py_ssize_t r, Py_ssize_t base_b, Py_ssize_t size)

@cython.locals(w=Py_ssize_t, nbytes=Py_ssize_t)
cpdef tuple pop_raw(object arena, long long[::1] M, Py_ssize_t r, Py_ssize_t base_b,
                    Py_ssize_t size)

@cython.locals(kind=Py_ssize_t, head=Py_ssize_t, tail=Py_ssize_t, used=Py_ssize_t,
               pos=Py_ssize_t, waste=Py_ssize_t, w=Py_ssize_t)
cpdef void push_raw(object arena, long long[::1] M, Py_ssize_t r, Py_ssize_t base_b,
                    Py_ssize_t size, Py_ssize_t count, Py_ssize_t cap, tuple raw) except *

@cython.locals(w=Py_ssize_t, nbytes=Py_ssize_t)
cpdef Py_ssize_t drop_head(object arena, long long[::1] M, Py_ssize_t r, Py_ssize_t base_b,
                           Py_ssize_t size, bint discard) except -1
