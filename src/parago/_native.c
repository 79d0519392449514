/*
 * parago._native: atomics and futex wait/wake on shared memory, nothing more.
 *
 * Owns: the Mem type, a view of one writable buffer (an mmap of a shared
 * segment) that keeps the buffer exported for as long as it lives, so the
 * base pointer stays valid between calls.
 *
 * Invariants:
 *  - every offset is a byte offset into the buffer, checked against its
 *    length and against the natural alignment of the access (4 or 8 bytes);
 *    a bad offset raises ValueError, it never touches memory.
 *  - every atomic is sequentially consistent (__ATOMIC_SEQ_CST), so the
 *    Python code around them may rely on Go's memory model (MM-11).
 *  - arithmetic wraps modulo 2^32 / 2^64 (two's complement): it is done on
 *    unsigned integers and returned as signed ones, so there is no
 *    undefined behaviour on overflow.
 *  - futex operations are shared (not FUTEX_PRIVATE_FLAG): the word lives in
 *    memory mapped by several processes.
 *  - futex_wait releases the GIL while it sleeps.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    PyObject_HEAD
    Py_buffer view;
    int has_view;
} MemObject;

static int
mem_addr(MemObject *self, PyObject *off_obj, Py_ssize_t width, char **out)
{
    if (!self->has_view) {
        PyErr_SetString(PyExc_ValueError, "Mem is released");
        return -1;
    }
    Py_ssize_t off = PyLong_AsSsize_t(off_obj);
    if (off == -1 && PyErr_Occurred())
        return -1;
    if (off < 0 || off > self->view.len - width || (off & (width - 1)) != 0) {
        PyErr_Format(PyExc_ValueError,
                     "offset %zd is out of range or not %zd-byte aligned",
                     off, width);
        return -1;
    }
    *out = (char *)self->view.buf + off;
    return 0;
}

static int
check_nargs(Py_ssize_t nargs, Py_ssize_t want, const char *name)
{
    if (nargs != want) {
        PyErr_Format(PyExc_TypeError, "%s() takes %zd arguments (%zd given)",
                     name, want, nargs);
        return -1;
    }
    return 0;
}

/* Converts a Python int to the 64-bit pattern: accepts the signed and the
 * unsigned range, so Uint64 values above 2^63 can be stored as they are. */
static int
as_u64(PyObject *o, uint64_t *out)
{
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (v == -1 && PyErr_Occurred())
        return -1;
    if (overflow == 0) {
        *out = (uint64_t)v;
        return 0;
    }
    unsigned long long u = PyLong_AsUnsignedLongLong(o);
    if (u == (unsigned long long)-1 && PyErr_Occurred())
        return -1;
    *out = (uint64_t)u;
    return 0;
}

static int
as_u32(PyObject *o, uint32_t *out)
{
    long long v = PyLong_AsLongLong(o);
    if (v == -1 && PyErr_Occurred())
        return -1;
    if (v < INT32_MIN || v > (long long)UINT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "value does not fit in 32 bits");
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

#define ADDR(width)                                                 \
    char *p;                                                        \
    if (mem_addr(self, args[0], width, &p) < 0)                     \
        return NULL;

/* ---- 64-bit ---------------------------------------------------------- */

static PyObject *
mem_load64(MemObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs(nargs, 1, "load64") < 0) return NULL;
    ADDR(8)
    return PyLong_FromLongLong((int64_t)__atomic_load_n((uint64_t *)p, __ATOMIC_SEQ_CST));
}

static PyObject *
mem_store64(MemObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    uint64_t v;
    if (check_nargs(nargs, 2, "store64") < 0) return NULL;
    ADDR(8)
    if (as_u64(args[1], &v) < 0) return NULL;
    __atomic_store_n((uint64_t *)p, v, __ATOMIC_SEQ_CST);
    Py_RETURN_NONE;
}

static PyObject *
mem_add64(MemObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    uint64_t d;
    if (check_nargs(nargs, 2, "add64") < 0) return NULL;
    ADDR(8)
    if (as_u64(args[1], &d) < 0) return NULL;
    return PyLong_FromLongLong((int64_t)__atomic_add_fetch((uint64_t *)p, d, __ATOMIC_SEQ_CST));
}

static PyObject *
mem_swap64(MemObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    uint64_t v;
    if (check_nargs(nargs, 2, "swap64") < 0) return NULL;
    ADDR(8)
    if (as_u64(args[1], &v) < 0) return NULL;
    return PyLong_FromLongLong((int64_t)__atomic_exchange_n((uint64_t *)p, v, __ATOMIC_SEQ_CST));
}

static PyObject *
mem_cas64(MemObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    uint64_t old, new;
    if (check_nargs(nargs, 3, "cas64") < 0) return NULL;
    ADDR(8)
    if (as_u64(args[1], &old) < 0 || as_u64(args[2], &new) < 0) return NULL;
    int ok = __atomic_compare_exchange_n((uint64_t *)p, &old, new, 0,
                                         __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return PyBool_FromLong(ok);
}

/* ---- 32-bit ---------------------------------------------------------- */

static PyObject *
mem_load32(MemObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs(nargs, 1, "load32") < 0) return NULL;
    ADDR(4)
    return PyLong_FromLong((int32_t)__atomic_load_n((uint32_t *)p, __ATOMIC_SEQ_CST));
}

static PyObject *
mem_store32(MemObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    uint32_t v;
    if (check_nargs(nargs, 2, "store32") < 0) return NULL;
    ADDR(4)
    if (as_u32(args[1], &v) < 0) return NULL;
    __atomic_store_n((uint32_t *)p, v, __ATOMIC_SEQ_CST);
    Py_RETURN_NONE;
}

static PyObject *
mem_add32(MemObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    uint32_t d;
    if (check_nargs(nargs, 2, "add32") < 0) return NULL;
    ADDR(4)
    long long dv = PyLong_AsLongLong(args[1]);
    if (dv == -1 && PyErr_Occurred()) return NULL;
    d = (uint32_t)(uint64_t)dv; /* any delta, taken modulo 2^32 */
    return PyLong_FromLong((int32_t)__atomic_add_fetch((uint32_t *)p, d, __ATOMIC_SEQ_CST));
}

static PyObject *
mem_swap32(MemObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    uint32_t v;
    if (check_nargs(nargs, 2, "swap32") < 0) return NULL;
    ADDR(4)
    if (as_u32(args[1], &v) < 0) return NULL;
    return PyLong_FromLong((int32_t)__atomic_exchange_n((uint32_t *)p, v, __ATOMIC_SEQ_CST));
}

static PyObject *
mem_cas32(MemObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    uint32_t old, new;
    if (check_nargs(nargs, 3, "cas32") < 0) return NULL;
    ADDR(4)
    if (as_u32(args[1], &old) < 0 || as_u32(args[2], &new) < 0) return NULL;
    int ok = __atomic_compare_exchange_n((uint32_t *)p, &old, new, 0,
                                         __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return PyBool_FromLong(ok);
}

/* ---- futex ----------------------------------------------------------- */

/* futex_wait(off, expected, timeout=None) -> 0 woken, 1 timed out,
 * 2 the word did not hold `expected`, 3 interrupted by a signal.
 * Python signal handlers run before it returns (KeyboardInterrupt raises). */
static PyObject *
mem_futex_wait(MemObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    uint32_t expected;
    struct timespec ts, *tsp = NULL;
    if (nargs != 2 && nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "futex_wait(off, expected, timeout=None)");
        return NULL;
    }
    ADDR(4)
    if (as_u32(args[1], &expected) < 0) return NULL;
    if (nargs == 3 && args[2] != Py_None) {
        double t = PyFloat_AsDouble(args[2]);
        if (t == -1.0 && PyErr_Occurred()) return NULL;
        if (t < 0) t = 0;
        if (t > 1e9) t = 1e9;
        ts.tv_sec = (time_t)t;
        ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
        tsp = &ts;
    }
    long rc;
    int err = 0;
    Py_BEGIN_ALLOW_THREADS
    rc = syscall(SYS_futex, (uint32_t *)p, FUTEX_WAIT, expected, tsp, NULL, 0);
    if (rc != 0) err = errno;
    Py_END_ALLOW_THREADS
    if (rc == 0) return PyLong_FromLong(0);
    if (err == ETIMEDOUT) return PyLong_FromLong(1);
    if (err == EAGAIN) return PyLong_FromLong(2);
    if (err == EINTR) {
        if (PyErr_CheckSignals() < 0) return NULL;
        return PyLong_FromLong(3);
    }
    errno = err;
    return PyErr_SetFromErrno(PyExc_OSError);
}

/* futex_wake(off, n) -> number of waiters woken. */
static PyObject *
mem_futex_wake(MemObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs(nargs, 2, "futex_wake") < 0) return NULL;
    ADDR(4)
    long n = PyLong_AsLong(args[1]);
    if (n == -1 && PyErr_Occurred()) return NULL;
    if (n < 0 || n > INT_MAX) n = INT_MAX;
    long rc = syscall(SYS_futex, (uint32_t *)p, FUTEX_WAKE, (int)n, NULL, NULL, 0);
    if (rc < 0) return PyErr_SetFromErrno(PyExc_OSError);
    return PyLong_FromLong(rc);
}

/* ---- the type -------------------------------------------------------- */

static PyObject *
mem_release(MemObject *self, PyObject *unused)
{
    if (self->has_view) {
        self->has_view = 0;
        PyBuffer_Release(&self->view);
    }
    Py_RETURN_NONE;
}

static PyObject *
mem_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *buf;
    static char *kwlist[] = {"buffer", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:Mem", kwlist, &buf))
        return NULL;
    MemObject *self = (MemObject *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    if (PyObject_GetBuffer(buf, &self->view, PyBUF_WRITABLE) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    if (((uintptr_t)self->view.buf & 7) != 0) {
        PyBuffer_Release(&self->view);
        Py_DECREF(self);
        PyErr_SetString(PyExc_ValueError, "buffer is not 8-byte aligned");
        return NULL;
    }
    self->has_view = 1;
    return (PyObject *)self;
}

static void
mem_dealloc(MemObject *self)
{
    if (self->has_view) PyBuffer_Release(&self->view);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
mem_len(MemObject *self, void *closure)
{
    return PyLong_FromSsize_t(self->has_view ? self->view.len : 0);
}

#define FAST(name) {#name, (PyCFunction)(void (*)(void))mem_##name, METH_FASTCALL, NULL}
static PyMethodDef mem_methods[] = {
    FAST(load64), FAST(store64), FAST(add64), FAST(swap64), FAST(cas64),
    FAST(load32), FAST(store32), FAST(add32), FAST(swap32), FAST(cas32),
    FAST(futex_wait), FAST(futex_wake),
    {"release", (PyCFunction)mem_release, METH_NOARGS,
     "Stop exporting the buffer (the mmap can then be closed)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef mem_getset[] = {
    {"nbytes", (getter)mem_len, NULL, "length of the buffer in bytes", NULL},
    {NULL},
};

static PyTypeObject MemType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "parago._native.Mem",
    .tp_basicsize = sizeof(MemObject),
    .tp_dealloc = (destructor)mem_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Mem(buffer): seq-cst atomics and futexes at byte offsets of a writable buffer.",
    .tp_methods = mem_methods,
    .tp_getset = mem_getset,
    .tp_new = mem_new,
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT, "parago._native",
    "Atomics and futex wait/wake on shared memory.", -1, NULL,
};

PyMODINIT_FUNC
PyInit__native(void)
{
    if (PyType_Ready(&MemType) < 0) return NULL;
    PyObject *m = PyModule_Create(&native_module);
    if (m == NULL) return NULL;
    Py_INCREF(&MemType);
    if (PyModule_AddObject(m, "Mem", (PyObject *)&MemType) < 0) {
        Py_DECREF(&MemType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
