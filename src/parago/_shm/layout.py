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
PAGE = 4096              # unit of large blocks and of the page map
PAGE_SHIFT = 12
CHUNK = 64 * 1024        # a small-class chunk: 16 pages cut into blocks of one class
CHUNK_WORDS = CHUNK // WORD
CHUNK_PAGES = CHUNK // PAGE
MIN_CLASS = 6            # 64-byte blocks
MAX_SMALL_CLASS = 15     # 32 KiB blocks; larger requests take whole pages

MAGIC = 0x6F6761726170   # "parago", little-endian
VERSION = 2              # 2: identity record, page map, undo-logged span allocator
MAXP = 256               # P slots; gomaxprocs may not exceed this

# ---- arena header (word indexes) ------------------------------------------
# Words 0..7: the segment's identity record. segment.py writes it (magic
# last) before anything maps the segment, and the start-up sweep reads it
# with pread: it is what proves a file is a parago segment, whose, and
# whether its owner can still be alive (DESIGN decision 7).
H_MAGIC = 0
H_VERSION = 1
H_OWNER_UID = 2          # effective uid of the creator
H_P0_PID = 3             # P0's pid, in P0's PID namespace
H_P0_START = 4           # P0's start time (clock ticks after boot, /proc/<pid>/stat)
H_PIDNS = 5              # inode of P0's PID namespace (0: unknown)
H_BOOT_ID = 6            # 2 words: the kernel's boot id when the segment was made
IDENT_WORDS = 8
H_GID = 8                # last goroutine id handed out
H_NGOROUTINE = 9         # live goroutines, started or not, all processes
H_SHUTDOWN = 10          # 1: the runtime is ending; every P stops
H_EVENT = 11             # bit set: why P0 must look (EV_*)
H_PANIC_BLOB = 12        # data block describing the first goroutine panic
H_ACTIVITY = 13          # bumped before anything makes a goroutine runnable
H_ALLOC_KIND = 14        # the allocator's lock record: [K_ALLOC, lock]
H_ALLOC_LOCK = 15        # lock word of the allocator (free lists, spans, page map, top)
H_NPROCS = 16            # current number of Ps (gomaxprocs)
H_SEQ = 17               # source of unique tickets (waits, objects)
H_NSLOTS = 18            # P slots ever used (>= H_NPROCS while Ps retire)
H_WANT_PROCS = 19        # gomaxprocs asked for by a worker goroutine (EV_PROCS)
H_NO_DEADLOCK = 20       # 1: driven from outside (a standalone WorkerPool): no deadlock proofs
H_NO_PREEMPT = 21        # 1: PARAGO_PREEMPT=0: no goroutine is preempted (_core/preempt.py)
H_NSPINNING = 22         # Ps spinning on their inbox now (_core/spin.py)
# Words 32..99: the arena's geometry and its allocator (arena.py, spans.py).
H_SIZE = 32              # virtual size in bytes
H_TOP = 33               # end of the heap handed out so far (bytes, multiple of PAGE)
H_HEAP0 = 34             # first heap byte
H_PAGEMAP = 35           # byte offset of the page map (one word per PAGE of the segment)
H_PTABLE = 36            # byte offset of the P table
H_ALOG_N = 37            # entries in the allocator's undo log (0: nothing in flight)
H_LARGE_USED = 38        # pages of large blocks in use
H_DIRTY = 39             # pages of free spans (beyond their first) that may still be backed
H_FREE = 40              # H_FREE + class: head of that small class's global free list
H_SPANS = 56             # H_SPANS + b: free spans of 2^b .. 2^(b+1)-1 pages
SPAN_BUCKETS = 40
H_QUICK = 96             # the quick list: recently freed large blocks, newest first
H_QUICK_PAGES = 97       # pages of the blocks on it
H_QUICK_N = 98           # blocks on it
H_CRASH_BLOB = 100       # data block describing a crashed worker
H_ALOG = 256             # the allocator's undo log: ALOG_MAX (word index, old value) pairs
ALOG_MAX = 64
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

# page map entries: a tag in the low 8 bits, a number above it
PM_SMALL = 1             # | class << 8, on every page of a small-class chunk
PM_USED = 2              # | npages << 8, first page of a large block
PM_FREE = 3              # | npages << 8, first page of a free span
PM_FREE_END = 4          # | first page << 8, last page of a free span of 2+ pages
PM_TAG = 0xFF
