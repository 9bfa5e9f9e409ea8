"""A parent and a child talk through a two-way Pipe, then a one-way one.

Watch it with:  forklore watch -- python3 examples/python/pipe.py

Pipe() gives two connected ends; by default both can send and receive (a
Unix socketpair underneath). The parent sends numbers and waits for each
answer: while it waits, forklore shows it reading the socket. Then the
parent pushes a large message through a one-way Pipe(duplex=False) (an OS
pipe) faster than the child reads: the pipe fills to its 64 KiB and the
parent sleeps in write() until the child takes some out.
"""

import multiprocessing as mp
import time


def squares(conn):
    while True:
        n = conn.recv()
        if n is None:
            break
        time.sleep(0.2)  # think before answering
        conn.send(n * n)
    conn.close()


def slow_reader(reader):
    time.sleep(2)  # let the pipe fill first
    total = 0
    while True:
        chunk = reader.recv_bytes()
        if chunk == b"end":
            break
        total += len(chunk)
    print(f"reader got {total} bytes", flush=True)


if __name__ == "__main__":
    parent_end, child_end = mp.Pipe()  # duplex: a socketpair
    child = mp.Process(target=squares, args=(child_end,))
    child.start()
    for n in range(1, 13):
        parent_end.send(n)
        print(f"{n} squared is {parent_end.recv()}", flush=True)
    parent_end.send(None)
    child.join()

    reader, writer = mp.Pipe(duplex=False)  # one-way: an OS pipe
    child = mp.Process(target=slow_reader, args=(reader,))
    child.start()
    for _ in range(4):
        writer.send_bytes(b"x" * 1_000_000)  # more than the pipe holds
    writer.send_bytes(b"end")
    child.join()
