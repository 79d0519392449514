# Types for the compiled twin of sched.py (see parago/_accel.py).

from parago._shm cimport _c_atom as atom

cdef class G:
    cdef public object fn, gr, reason, sendval, start, timer, xval
    cdef public Py_ssize_t id, gb, created_by
    cdef public long long fnkey
    cdef public double since
    cdef public bint heavy


cdef class Processor:
    cdef public object arena, M, mem, hooks, timers, current, g0, spinner
    cdef public long long[::1] Mv
    cdef public long long tag
    cdef public Py_ssize_t p, slot, inbox_w, rescan_w, retire_w, slice_w
    cdef public object runq, foreign
    cdef public dict gs, waiting
    cdef public list pending_wake, free_gr
    cdef public bint stop, accept_new, multi, slicing
    cdef public Py_ssize_t tick, ticket, sleeps, started
    cdef public long long slice_t, idle_ns
    cdef public double now

    cpdef park(self, str reason)
    cpdef ready(self, G g)
    cpdef give_way(self)
    cpdef bint let_others_run(self)
    cpdef gosched(self)
    cpdef bint _start_next_queued(self) except -1
    cpdef bint has_local_work(self) except -1
    cpdef bint _nothing_new(self, Py_ssize_t s) except -1
    cpdef _slice_starts(self, G g, long long t)


cdef unsigned long _cached_ident
cdef Processor _cached_proc
cpdef set_this_proc(Processor proc)
cpdef Processor this_proc()
