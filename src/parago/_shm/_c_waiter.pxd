# Types for the compiled twin of waiter.py (see parago/_accel.py). Its
# constants are C variables here: compiled modules that cimport this twin
# read them as C; Python reads the .py module's own (equal) values.
cimport cython

from parago._shm cimport _c_atom as atom

cdef Py_ssize_t REC_WORDS, REC_BYTES, G_STATE, G_P, G_GID, G_FIRED, G_INBOX, G_OK, G_WHY
cdef Py_ssize_t S_GROUP, S_NEXT, S_PREV, S_CHAN, S_CASE, S_DIR, S_LINKED, G_TAG, V, V_INLINE
cdef Py_ssize_t INBOX_OFF, IDLE, WAITING, CLAIMED, DELIVERED, DEAD, NO_P, CODE_MASK
cdef Py_ssize_t DIR_SEND, DIR_RECV

cpdef enqueue(object arena, Py_ssize_t head_w, Py_ssize_t tail_w, Py_ssize_t s)

@cython.locals(sw=Py_ssize_t, t=Py_ssize_t)
cpdef link_tail(long long[::1] M, Py_ssize_t head_w, Py_ssize_t tail_w, Py_ssize_t s)

@cython.locals(M="long long[::1]", sw=Py_ssize_t, h=Py_ssize_t)
cpdef enqueue_front(object arena, Py_ssize_t head_w, Py_ssize_t tail_w, Py_ssize_t s)

@cython.locals(sw=Py_ssize_t, n=Py_ssize_t, p=Py_ssize_t)
cpdef unlink(long long[::1] M, Py_ssize_t head_w, Py_ssize_t tail_w, Py_ssize_t s)

@cython.locals(st=cython.longlong)
cpdef long long arm(long long[::1] M, Py_ssize_t gw, long long ticket)

@cython.locals(M="long long[::1]", me=Py_ssize_t, s=Py_ssize_t, sw=Py_ssize_t,
               n=Py_ssize_t, g=Py_ssize_t, gw=Py_ssize_t, st=cython.longlong, owner=Py_ssize_t)
cpdef Py_ssize_t dequeue_claim(object arena, Py_ssize_t head_w, Py_ssize_t tail_w,
                               Py_ssize_t pending_w) except? -1

@cython.locals(M="long long[::1]", st=cython.longlong)
cpdef deliver(object arena, Py_ssize_t gw, Py_ssize_t case, Py_ssize_t ok)
