/*
 * The atomics of parago._native, as inline C: used by _native.c's Mem
 * methods and, through _shm/_c_atom.pxd, by the compiled kernel directly on
 * its typed views of the arena.
 *
 * Invariants: every operation is sequentially consistent (__ATOMIC_SEQ_CST:
 * Go's memory model, MM-11); arithmetic wraps modulo 2^64 (done on unsigned
 * integers, no undefined behaviour on overflow); pg_fence() is a compiler
 * barrier only: the C compiler may not move a plain store of the kernel's
 * across it, which is what a crash repair reading the shared words relies
 * on (x86 keeps the machine's stores in order).
 */
#ifndef PARAGO_NATIVE_ATOMICS_H
#define PARAGO_NATIVE_ATOMICS_H

static inline long long pg_load64(long long *p)
{ return __atomic_load_n(p, __ATOMIC_SEQ_CST); }

static inline void pg_store64(long long *p, long long v)
{ __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }

static inline long long pg_add64(long long *p, long long d)
{ return (long long)__atomic_add_fetch((unsigned long long *)p, (unsigned long long)d,
                                       __ATOMIC_SEQ_CST); }

static inline long long pg_swap64(long long *p, long long v)
{ return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }

static inline int pg_cas64(long long *p, long long old, long long v)
{ return __atomic_compare_exchange_n(p, &old, v, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); }

static inline void pg_fence(void)
{ __atomic_signal_fence(__ATOMIC_SEQ_CST); }

#endif
