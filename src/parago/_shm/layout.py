"""Where everything sits in the arena: the one table of offsets.

Owns: the word offsets of the arena header, the P table, and the first
words every block starts with. Structure modules define their own fields
after these (chan.py, waiter.py, ptable.py, gqueue.py ...).

Invariants:
  - Addresses are byte offsets into the arena, always 8-aligned; ``a >> 3``
    is the word index used with the arena's int64 memoryview ``M``.
  - Word 0 of every allocated block is its KIND (a free block has 0), so the
    crash repairer can walk the heap and recognise what it finds.
  - Every lockable block keeps its lock word at word 1 (LOCK_W), so a lock
    address identifies its block (base = lock - 8).
"""

WORD = 8
CHUNK = 64 * 1024
CHUNK_WORDS = CHUNK // WORD
MIN_CLASS = 6            # 64-byte blocks
MAX_SMALL_CLASS = 15     # 32 KiB blocks; larger requests take whole chunks

MAGIC = 0x6F6761726170   # "parago", little-endian
VERSION = 1
MAXP = 256               # P slots; gomaxprocs may not exceed this

# ---- arena header (word indexes) ------------------------------------------
H_MAGIC = 0
H_VERSION = 1
H_SIZE = 2               # virtual size in bytes
H_TOP = 3                # bump pointer (bytes, multiple of CHUNK)
H_HEAP0 = 4              # first heap byte
H_CHUNKMAP = 5           # byte offset of the chunk map
H_PTABLE = 6             # byte offset of the P table
H_NPROCS = 7             # current number of Ps (gomaxprocs)
H_GID = 8                # last goroutine id handed out
H_NGOROUTINE = 9         # live goroutines, started or not, all processes
H_SHUTDOWN = 10          # 1: the runtime is ending; every P stops
H_EVENT = 11             # bit set: why P0 must look (EV_*)
H_PANIC_BLOB = 12        # data block describing the first goroutine panic
H_ACTIVITY = 13          # bumped before anything makes a goroutine runnable
H_ALLOC_KIND = 14        # the allocator's lock record: [K_ALLOC, lock]
H_ALLOC_LOCK = 15        # lock word of the allocator's global free lists
H_P0_PID = 16
H_SEQ = 17               # source of unique tickets (waits, objects)
H_NSLOTS = 18            # P slots ever used (>= H_NPROCS while Ps retire)
H_WANT_PROCS = 19        # gomaxprocs asked for by a worker goroutine (EV_PROCS)
H_NO_DEADLOCK = 20       # 1: driven from outside (a standalone WorkerPool): no deadlock proofs
H_FREE = 32              # H_FREE + class: head of that class's global free list
H_CRASH_BLOB = 100       # data block describing a crashed worker
H_WORDS = 512            # the header is 4 KiB

# H_EVENT bits
EV_PANIC = 1
EV_DEADLOCK = 2
EV_CRASH = 4
EV_DUMP = 8              # P0 wants every P's goroutine dump
EV_SHUTDOWN = 16         # the runtime is ending
EV_PROCS = 32            # gomaxprocs changed: retire or start Ps

# ---- block kinds (word 0 of every block) -----------------------------------
K_FREE = 0
K_DATA = 1               # [kind, nbytes, payload...]
K_CHAN = 2
K_GROUP = 3
K_SUDOG = 4
K_BLOB = 5               # an unstarted goroutine
K_SYNC = 6               # a sync object (issue: sync package)
K_RAW = 7                # caller-defined content, never repaired
K_ALLOC = 8              # the allocator's lock record in the header
K_GQ = 9                 # a P's queue of unstarted goroutines (in its slot)

LOCK_W = 1

# chunk map entries
CM_SMALL = 1 << 8        # | class
CM_LARGE = 2 << 8        # | (nchunks << 16)
CM_CONT = 3 << 8         # continuation chunk of a large block
