# Types for the compiled twin of values.py (see parago/_accel.py). Its
# constants are C variables here (ring.py's twin cimports this one and reads
# them as C; Python reads the .py module's own, equal values). The *_at
# functions take the arena's words as a typed view, passed at C level.
cimport cython

cdef Py_ssize_t VK_NONE, VK_INT, VK_STR, VK_BYTES, VK_BYTEARRAY, VK_PICKLE, VK_P5
cdef Py_ssize_t VK_WRAP, VK_SPILL

@cython.locals(n=Py_ssize_t)
cpdef Py_ssize_t cell_words(Py_ssize_t kind, object payload, Py_ssize_t inline_cap) except -1

@cython.locals(n=Py_ssize_t, b=Py_ssize_t, blk=Py_ssize_t)
cpdef Py_ssize_t put_at(object arena, long long[::1] M, Py_ssize_t w, Py_ssize_t kind,
                        object payload, Py_ssize_t inline_cap) except -1

@cython.locals(kind=Py_ssize_t, n=Py_ssize_t, b=Py_ssize_t)
cpdef tuple take_raw_at(object arena, long long[::1] M, Py_ssize_t w)

@cython.locals(kind=Py_ssize_t)
cpdef Py_ssize_t cell_words_at(long long[::1] M, Py_ssize_t w) except -1

cpdef void discard(object arena, Py_ssize_t w) except *

# What the compiled _core/chan.py reaches at C level besides.
cdef object IMMUTABLE_SCALARS
cpdef bint immutable(object v) except? -1
cpdef Py_ssize_t word_kind(object v) except -1

@cython.locals(kind=Py_ssize_t)
cpdef tuple encode(object v)
cpdef object decode(object kind, object payload)
cpdef Py_ssize_t put(object arena, Py_ssize_t w, Py_ssize_t kind, object payload,
                     Py_ssize_t inline_cap) except -1
cpdef tuple take_raw(object arena, Py_ssize_t w)
cpdef object decode_raw(object arena, tuple raw)
cpdef object take(object arena, Py_ssize_t w)

# Spilling a large value before a channel's lock is taken.
cdef Py_ssize_t SPILL_AHEAD
cpdef Py_ssize_t sizeof_payload(object kind, object payload) except -1
@cython.locals(n=Py_ssize_t, blk=Py_ssize_t)
cpdef tuple spill(object arena, object kind, object payload)
cpdef Py_ssize_t put_raw_at(long long[::1] M, Py_ssize_t w, tuple raw) except -1
cpdef void discard_raw(object arena, tuple raw) except *
