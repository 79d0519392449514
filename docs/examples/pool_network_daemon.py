"""A network daemon whose every request needs a slow connection to a
service: first connecting per request, then taking connections from a
Pool warmed in advance.

Seed: "Concurrency in Go", ch. 3, "Pool" (startNetworkDaemon,
warmServiceConnCache, BenchmarkNetworkRequest).

    Go                                          parago
    func connectToService() interface{} {       def connect_to_service(delay):
        time.Sleep(1 * time.Second)                 pg.sleep(delay)
        return struct{}{}                           return object()
    }
    func warmServiceConnCache() *sync.Pool {    def warm_service_conn_cache(delay):
        p := &sync.Pool{New: connectToService}      p = pg.Pool(partial(connect_to_service, delay))
        for i := 0; i < 10; i++ {                   for _ in range(10):
            p.Put(p.New())                              p.put(p.new())
        }                                           return p
        return p
    }
    func startNetworkDaemon() *sync.WaitGroup { def start_network_daemon(done, pooled, delay):
        var wg sync.WaitGroup                       started = pg.chan()
        wg.Add(1)                                   pg.go(daemon, started, done, pooled, delay)
        go func() {                                 return started.recv()      # the port
            connPool := warmServiceConnCache()
            server, err := net.Listen("tcp",    def daemon(started, done, pooled, delay):
                "localhost:8080")                   conn_pool = warm_service_conn_cache(delay)
            ...                                     server = socket.create_server(("localhost", 0))
            defer server.Close()                    server.setblocking(False)
            wg.Done()                               started.send(server.getsockname()[1])
            for {                                   while (conn := accept(server, done)):
                conn, err := server.Accept()            svc_conn = conn_pool.get()
                ...                                     conn.sendall(b"\\n")
                svcConn := connPool.Get()               conn_pool.put(svc_conn)
                fmt.Fprintln(conn, "")                  conn.close()
                connPool.Put(svcConn)
                conn.Close()
            }
        }()
        return &wg
    }
    func BenchmarkNetworkRequest(b *testing.B) {    for _ in range(n):
        for i := 0; i < b.N; i++ {                      network_request(port)
            conn, err := net.Dial("tcp", "localhost:8080")
            ... ioutil.ReadAll(conn) ...
            conn.Close()
        }
    }

What it prints (times vary; with the book's 1 s connection, 10 requests):

    BenchmarkNetworkRequest   10   1001.480 ms/op   (connecting per request)
    BenchmarkNetworkRequest   10   1.002 ms/op      (warmed connection pool)

Each request without the pool waits for a new connection to the service; with
it, the ten connections were made before the daemon said it was ready, and
every request reuses one. (The book runs the two daemons as two benchmarks;
here one program runs both, one after the other, and stops each daemon by
closing `done`.)

Why it differs: the daemon listens on an ephemeral port (port 0) and reports
it on a channel instead of a WaitGroup, so no fixed port can be taken. The
connection delay, the number of requests and of pooled connections are
arguments (the test uses a short delay). Sockets are not parago objects:
a goroutine blocked in `accept()` or `recv()` blocks its whole process (P),
the way a goroutine in a blocking system call holds its thread in Go, but
parago has no network poller to hand the P to others meanwhile. So both
sides use non-blocking sockets and, when nothing is ready, wait with
`pg.select(done.recv, pg.after(POLL).recv)`, which lets other goroutines of
the process run — even with procs=1, where the daemon and the benchmark
share one process. The Pool's connections stay in the process of the daemon
goroutine that made and uses them (a Pool's objects are never copied
between processes), which is exactly what a pool of live connections needs.
"""

from __future__ import annotations

import socket
import sys
import time
from functools import partial

import parago as pg

POLL = 0.0005          # seconds between looks at a socket that is not ready


def connect_to_service(delay: float) -> object:
    pg.sleep(delay)                     # a slow handshake with some service
    return object()


def warm_service_conn_cache(delay: float, size: int) -> pg.Pool:
    p = pg.Pool(partial(connect_to_service, delay))
    for _ in range(size):
        p.put(p.new())  # type: ignore[misc]  # Pool.new is optional; set just above
    return p


def accept(server: socket.socket, done: pg.Chan[None]) -> socket.socket | None:
    """The next connection, or None once done is closed."""
    while True:
        try:
            conn, _ = server.accept()
        except BlockingIOError:
            if pg.select(done.recv, pg.after(POLL).recv)[0] == 0:
                return None
            continue
        conn.setblocking(True)
        return conn


def daemon(started: pg.Chan[int], done: pg.Chan[None], pooled: bool, delay: float,
           size: int) -> None:
    conn_pool = warm_service_conn_cache(delay, size) if pooled else None
    with socket.create_server(("localhost", 0)) as server:
        server.setblocking(False)
        started.send(server.getsockname()[1])       # wg.Done(): ready, on this port
        while (conn := accept(server, done)) is not None:
            with conn:
                if conn_pool is not None:       # pooled
                    svc_conn = conn_pool.get()
                    conn.sendall(b"\n")
                    conn_pool.put(svc_conn)
                else:
                    connect_to_service(delay)
                    conn.sendall(b"\n")


def start_network_daemon(done: pg.Chan[None], pooled: bool, delay: float, size: int) -> int:
    started: pg.Chan[int] = pg.chan()
    pg.go(daemon, started, done, pooled, delay, size)
    return started.recv()


def network_request(port: int) -> bytes:
    """Dial, read everything until the daemon closes, hang up."""
    with socket.create_connection(("localhost", port)) as conn:
        conn.setblocking(False)
        data = b""
        while True:
            try:
                chunk = conn.recv(4096)
            except BlockingIOError:
                pg.sleep(POLL)
                continue
            if not chunk:
                return data
            data += chunk


def benchmark(pooled: bool, n: int, delay: float, size: int) -> None:
    done = pg.chan()
    port = start_network_daemon(done, pooled, delay, size)
    start = time.perf_counter()
    for _ in range(n):
        assert network_request(port) == b"\n"
    per_op = (time.perf_counter() - start) / n
    done.close()                        # stop the daemon
    how = "(warmed connection pool)" if pooled else "(connecting per request)"
    print(f"BenchmarkNetworkRequest   {n}   {per_op * 1e3:.3f} ms/op".ljust(48) + how,
          flush=True)


def main(delay: float = 1.0, n: int = 10, size: int = 10) -> None:
    benchmark(False, n, delay, size)
    benchmark(True, n, delay, size)


if __name__ == "__main__":
    args = sys.argv[1:]
    pg.run(main, float(args[0]) if args else 1.0, *(int(a) for a in args[1:3]))
