# Types for the compiled twin of _core/chan.py (see parago/_accel.py).
cimport cython

from parago._core._c_sched cimport G, Processor, this_proc
from parago._shm cimport _c_waiter as W
from parago._shm cimport _c_chan as C
from parago._shm cimport _c_ring as _ring
from parago._shm cimport _c_values as V
from parago._shm cimport _c_atom as atom
from parago._core cimport _c_wait as wait
from parago._core cimport _c_handle as handle


cdef class ChanHandle(handle.ShmObject):
    cdef public Py_ssize_t _w, _lb, _cap, _timer
    cdef public object _base
    cpdef send(self, object v)
    cpdef recv(self)
    cpdef tuple recv_ok(self)


cdef Py_ssize_t C_CLOSED, C_COUNT, C_RING, C_RQH, C_RQT, C_SQH, C_SQT, C_PENDING
cdef Py_ssize_t C_RBASE, C_RSIZE, G_P, G_OK, S_GROUP, S_CASE
cdef Py_ssize_t VW, V_INLINE


@cython.locals(M="long long[::1]", cnt=Py_ssize_t, s=Py_ssize_t, sw=Py_ssize_t,
               base=Py_ssize_t, size=Py_ssize_t, sg=G, st=Py_ssize_t)
cpdef tuple recv_now(object arena, Processor proc, Py_ssize_t hw, Py_ssize_t cap)

@cython.locals(M="long long[::1]", s=Py_ssize_t, sw=Py_ssize_t, gw=Py_ssize_t,
               cnt=Py_ssize_t, g=G, r=Py_ssize_t, base=Py_ssize_t, size=Py_ssize_t)
cpdef bint send_now(object arena, Processor proc, Py_ssize_t hw, Py_ssize_t cap, object v,
                    bint imm, object kind, object payload, object spilled=*) except? -1

cpdef bint is_imm(object v) except? -1

@cython.locals(proc=Processor, g=G)
cpdef send(ChanHandle ch, object v)

@cython.locals(M="long long[::1]", hw=Py_ssize_t, lb=Py_ssize_t, imm=bint, gw=Py_ssize_t,
               cap=Py_ssize_t)
cpdef bint _send_or_wait(object arena, Processor proc, ChanHandle ch, object v) except -1

@cython.locals(gw=Py_ssize_t)
cpdef _after_send_wait(object arena, Processor proc, G g)

cpdef recv_ok(ChanHandle ch)

@cython.locals(proc=Processor, g=G)
cpdef receive(ChanHandle ch, bint with_ok)

cdef object PARKING

@cython.locals(M="long long[::1]", hw=Py_ssize_t, lb=Py_ssize_t, st=Py_ssize_t)
cpdef _recv_or_wait(object arena, Processor proc, ChanHandle ch, bint with_ok)

@cython.locals(gw=Py_ssize_t)
cpdef _after_recv_wait(object arena, Processor proc, G g, bint with_ok)

cpdef object received(object arena, G g, Py_ssize_t gw)
