#!/usr/bin/env python3
"""Python's multiprocessing Queue and Pipe on the same work as
`forklore bench queue` / `forklore bench pipe`: small items, one producer
process, one consumer; prints messages per second as one JSON object.

    python3 benches/queue_pipe.py [--items N] [--rounds R]
"""

import argparse
import json
import statistics
import time
from multiprocessing import Pipe, Process, Queue

WINDOW = 32  # answers the duplex sender may leave unread, as in forklore


def produce(q, n):
    for i in range(n):
        q.put((i, i * i))
    q.put(None)


def queue_rate(n):
    q = Queue()
    p = Process(target=produce, args=(q, n))
    t0 = time.perf_counter()
    p.start()
    got = 0
    while q.get() is not None:
        got += 1
    dt = time.perf_counter() - t0
    p.join()
    assert got == n
    return n / dt


def send_one_way(conn, n):
    for i in range(n):
        conn.send((i, i * i))
    conn.close()


def send_duplex(conn, n):
    answered = 0
    for i in range(n):
        conn.send((i, i * i))
        if i % 8 == 0:
            while conn.poll():
                assert conn.recv() == answered
                answered += 1
        while i + 1 - answered >= WINDOW:
            assert conn.recv() == answered
            answered += 1
    while answered < n:
        assert conn.recv() == answered
        answered += 1
    conn.close()


def pipe_rate(n, duplex, answered=False):
    """duplex: a two-way Pipe (a socketpair); answered: the parent answers
    each message and the sender reads the answers (as forklore's duplex)."""
    mine, theirs = Pipe(duplex=duplex)
    target = send_duplex if answered else send_one_way
    p = Process(target=target, args=(theirs, n))
    t0 = time.perf_counter()
    p.start()
    theirs.close()
    got = 0
    while True:
        try:
            seq, _ = mine.recv()
        except EOFError:
            break
        assert seq == got
        got += 1
        if answered:
            mine.send(seq)
    dt = time.perf_counter() - t0
    p.join()
    assert got == n
    return n / dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    med = lambda f: round(statistics.median(f() for _ in range(a.rounds)))
    print(json.dumps({
        "items": a.items,
        "queue_msgs_per_sec": med(lambda: queue_rate(a.items)),
        "pipe_msgs_per_sec": med(lambda: pipe_rate(a.items, False)),
        "pipe_duplex_msgs_per_sec": med(lambda: pipe_rate(a.items, True)),
        "pipe_duplex_answered_msgs_per_sec": med(lambda: pipe_rate(a.items, True, True)),
    }))


if __name__ == "__main__":
    main()
