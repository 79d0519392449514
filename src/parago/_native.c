/*
 * parago._native: atomics and futex wait/wake on shared memory, and the
 * loop that runs a pool worker's tasks while recording each in its task
 * record (_shm/taskslots.py), nothing more.
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
 *  - run_tasks follows taskslots.py's protocol exactly (its Python twin is
 *    the reference in that file's docstring): POS is stored before each task
 *    runs, a task's int result is in its slot before the next POS store, and
 *    it returns to Python for everything else (a result that needs
 *    pickling, an exception, a parent to wake).
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

#include "_native_atomics.h"   /* the 64-bit atomics, shared with the compiled kernel */

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
    return PyLong_FromLongLong(pg_load64((long long *)p));
}

static PyObject *
mem_store64(MemObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    uint64_t v;
    if (check_nargs(nargs, 2, "store64") < 0) return NULL;
    ADDR(8)
    if (as_u64(args[1], &v) < 0) return NULL;
    pg_store64((long long *)p, (long long)v);
    Py_RETURN_NONE;
}

static PyObject *
mem_add64(MemObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    uint64_t d;
    if (check_nargs(nargs, 2, "add64") < 0) return NULL;
    ADDR(8)
    if (as_u64(args[1], &d) < 0) return NULL;
    return PyLong_FromLongLong(pg_add64((long long *)p, (long long)d));
}

static PyObject *
mem_swap64(MemObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    uint64_t v;
    if (check_nargs(nargs, 2, "swap64") < 0) return NULL;
    ADDR(8)
    if (as_u64(args[1], &v) < 0) return NULL;
    return PyLong_FromLongLong(pg_swap64((long long *)p, (long long)v));
}

static PyObject *
mem_cas64(MemObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    uint64_t old, new;
    if (check_nargs(nargs, 3, "cas64") < 0) return NULL;
    ADDR(8)
    if (as_u64(args[1], &old) < 0 || as_u64(args[2], &new) < 0) return NULL;
    return PyBool_FromLong(pg_cas64((long long *)p, (long long)old, (long long)new));
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

/* ---- a pool worker's task loop ---------------------------------------- */

enum { RUN_DONE = 0, RUN_VALUE = 1, RUN_RAISED = 2, RUN_WAKE = 3 };

static PyObject *
run_result(Py_ssize_t k, int status, PyObject *value)
{
    if (value == NULL) {
        value = Py_None;
        Py_INCREF(value);
    }
    PyObject *t = Py_BuildValue("(niN)", k, status, value);
    return t;
}

static PyObject *
raised_exception(void)
{
#if PY_VERSION_HEX >= 0x030C0000
    return PyErr_GetRaisedException();
#else
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL && value != NULL)
        PyException_SetTraceback(value, tb);
    Py_XDECREF(type);
    Py_XDECREF(tb);
    return value;
#endif
}

/* run_tasks(fn, items, kwargs, star, k, n, seq0, pos_off, sleeping_off,
 *           vals_off, mask, started_off) -> (k, status, value)
 *
 * Runs tasks k..n-1 of a unit: task k is fn(*items[k], **kwargs) if star
 * else fn(items[k]), numbered seq0 + k. Before each task: POS = 2*seq+1
 * (seq-cst; it commits the task before), STARTED_NS = now if started_off >= 0,
 * and if SLEEPING is set, return (k, RUN_WAKE, None) before running it (the
 * caller wakes the parent and calls again with the same k). items[k] is
 * replaced by None before the call. An int result that fits in 64 bits goes
 * to VALS[seq & mask] (KINDS is already 0); any other result returns
 * (k, RUN_VALUE, result), an exception (k, RUN_RAISED, exception); the
 * caller records it and calls again with k + 1. (n, RUN_DONE, None) at the end.
 */
static PyObject *
mem_run_tasks(MemObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs(nargs, 12, "run_tasks") < 0) return NULL;
    PyObject *fn = args[0], *items = args[1], *kwargs = args[2];
    if (!PyList_Check(items)) {
        PyErr_SetString(PyExc_TypeError, "run_tasks: items must be a list");
        return NULL;
    }
    if (kwargs == Py_None) kwargs = NULL;
    int star = PyObject_IsTrue(args[3]);
    Py_ssize_t k = PyLong_AsSsize_t(args[4]);
    Py_ssize_t n = PyLong_AsSsize_t(args[5]);
    long long seq0 = PyLong_AsLongLong(args[6]);
    Py_ssize_t mask = PyLong_AsSsize_t(args[10]);
    Py_ssize_t started_off = PyLong_AsSsize_t(args[11]);
    if (PyErr_Occurred()) return NULL;
    char *pos, *sleeping, *vals, *started = NULL;
    if (mem_addr(self, args[7], 8, &pos) < 0 || mem_addr(self, args[8], 8, &sleeping) < 0
        || mem_addr(self, args[9], 8, &vals) < 0)
        return NULL;
    if (mask < 0 || (vals - (char *)self->view.buf) + 8 * (mask + 1) > self->view.len) {
        PyErr_SetString(PyExc_ValueError, "run_tasks: slots out of range");
        return NULL;
    }
    if (started_off >= 0) {
        PyObject *o = PyLong_FromSsize_t(started_off);
        if (o == NULL) return NULL;
        int bad = mem_addr(self, o, 8, &started);
        Py_DECREF(o);
        if (bad < 0) return NULL;
    }
    if (n > PyList_GET_SIZE(items)) n = PyList_GET_SIZE(items);
    for (; k < n; k++) {
        long long seq = seq0 + k;
        if (started != NULL) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            __atomic_store_n((uint64_t *)started,
                             (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec,
                             __ATOMIC_SEQ_CST);
        }
        __atomic_store_n((uint64_t *)pos, (uint64_t)(2 * seq + 1), __ATOMIC_SEQ_CST);
        if (__atomic_load_n((uint64_t *)sleeping, __ATOMIC_SEQ_CST))
            return run_result(k, RUN_WAKE, NULL);
        PyObject *a = PyList_GET_ITEM(items, k);
        Py_INCREF(Py_None);
        PyList_SET_ITEM(items, k, Py_None);      /* the list's reference is now ours */
        PyObject *r;
        if (star) {
            if (!PyTuple_Check(a)) {
                PyObject *t = PySequence_Tuple(a);
                Py_DECREF(a);
                if (t == NULL) return run_result(k, RUN_RAISED, raised_exception());
                a = t;
            }
            r = PyObject_Call(fn, a, kwargs);
        }
        else {
            r = PyObject_CallOneArg(fn, a);
        }
        Py_DECREF(a);
        if (r == NULL)
            return run_result(k, RUN_RAISED, raised_exception());
        if (PyLong_CheckExact(r)) {
            int overflow = 0;
            long long v = PyLong_AsLongLongAndOverflow(r, &overflow);
            if (overflow == 0 && !(v == -1 && PyErr_Occurred())) {
                Py_DECREF(r);
                ((int64_t *)vals)[seq & mask] = (int64_t)v;
                continue;
            }
            PyErr_Clear();
        }
        return run_result(k, RUN_VALUE, r);
    }
    return run_result(n, RUN_DONE, NULL);
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
    FAST(futex_wait), FAST(futex_wake), FAST(run_tasks),
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
