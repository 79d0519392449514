# Types for the compiled twin of ptable.py (see parago/_accel.py).
cimport cython


cpdef Py_ssize_t slot_w(object arena, Py_ssize_t p) except? -1


@cython.locals(M="long long[::1]", s=Py_ssize_t, p=Py_ssize_t)
cpdef bint others_awake(object arena, Py_ssize_t me) except? -1
