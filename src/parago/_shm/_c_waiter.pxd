# Types for the compiled twin of waiter.py (see parago/_accel.py).
cimport cython

from parago._shm cimport _c_atom as atom

@cython.locals(M="long long[::1]", sw=Py_ssize_t, t=Py_ssize_t)
cpdef enqueue(object arena, Py_ssize_t head_w, Py_ssize_t tail_w, Py_ssize_t s)

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
