"""Load on friktion serve: CLIENTS connections, each running the queries of QUERIES (a JSON list)
in turn for SECONDS. Prints one JSON object: every distinct answer per query, the errors, the
number of queries and the latency percentiles in milliseconds.

  wire_load.py run DSN SECONDS CLIENTS QUERIES
  wire_load.py snapshot DSN QUERIES          each query's answer once
"""

import json
import statistics
import sys
import threading
import time

import psycopg


def answer(cur, sql):
    rows = cur.execute(sql).fetchall()
    return json.dumps([[str(v) for v in r] for r in rows])


def snapshot(dsn, queries):
    with psycopg.connect(dsn) as c:
        print(json.dumps([answer(c.cursor(), q) for q in queries]))


def run(dsn, seconds, clients, queries):
    seconds, clients = float(seconds), int(clients)
    answers = [set() for _ in queries]
    errors, latencies = [], []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    end = [0.0]

    def client(i):
        try:
            conn = psycopg.connect(dsn, autocommit=True)
        except psycopg.Error as e:
            with lock:
                errors.append(f"connect: {e}")
            start.wait()
            return
        start.wait()
        cur = conn.cursor()
        k = i
        mine = []
        while time.time() < end[0]:
            q = k % len(queries)
            k += 1
            t = time.perf_counter()
            try:
                a = answer(cur, queries[q])
            except psycopg.Error as e:
                with lock:
                    errors.append(f"{queries[q]}: {e}")
                continue
            mine.append((time.perf_counter() - t) * 1e3)
            with lock:
                answers[q].add(a)
        with lock:
            latencies.extend(mine)
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    end[0] = time.time() + seconds
    start.wait()
    for t in threads:
        t.join()
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
    print(json.dumps({
        "answers": [sorted(a) for a in answers],
        "errors": errors[:20],
        "error_count": len(errors),
        "queries": len(latencies),
        "p50_ms": q[49],
        "p95_ms": q[94],
    }))


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    if cmd == "snapshot":
        snapshot(args[0], json.load(open(args[1])))
    else:
        run(args[0], args[1], args[2], json.load(open(args[3])))
