# Types for the compiled twin of handle.py (see parago/_accel.py).

from parago._core cimport _c_sched as _sched

cdef class ShmObject:
    cdef public object _arena
    cdef public Py_ssize_t _b
    cdef object __weakref__
