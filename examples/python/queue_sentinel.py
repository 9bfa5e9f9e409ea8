"""Two producers and two consumers pass items through one bounded queue.

Watch it with:  forklore watch -- python3 examples/python/queue_sentinel.py

A multiprocessing.Queue is a pipe with a feeder thread in each process that
puts: put() hands the item to the thread, and the thread writes it into the
pipe. Consumers sleep reading the pipe when it is empty; producers sleep on
the queue's semaphore when it is full (maxsize). When the producers are
done, the parent puts one None per consumer: the sentinel that tells a
consumer to stop. One sentinel too few and a consumer waits forever.
"""

import multiprocessing as mp
import os
import time

ITEMS_EACH = 30


def produce(queue, name):
    for i in range(ITEMS_EACH):
        queue.put(f"{name}-{i}")
        time.sleep(0.05)


def consume(queue, done):
    taken = 0
    while True:
        item = queue.get()
        if item is None:  # the sentinel: no more items will come
            break
        taken += 1
        time.sleep(0.12)  # consumers are slower: the queue fills up
    done.put((os.getpid(), taken))


if __name__ == "__main__":
    queue = mp.Queue(maxsize=4)
    done = mp.Queue()
    producers = [mp.Process(target=produce, args=(queue, n)) for n in ("a", "b")]
    consumers = [mp.Process(target=consume, args=(queue, done)) for _ in range(2)]
    for p in producers + consumers:
        p.start()
    for p in producers:
        p.join()
    for _ in consumers:
        queue.put(None)  # one sentinel per consumer
    results = [done.get() for _ in consumers]
    for c in consumers:
        c.join()
    for pid, taken in results:
        print(f"consumer {pid} took {taken} items", flush=True)
    print(f"total {sum(t for _, t in results)} of {2 * ITEMS_EACH}", flush=True)
