"""Reading packages in several processes: the CPU a read costs (botocore's handling of each request,
the parse of each page) spread over the machine's cores, the account's quotas shared between them.

Python runs one thread at a time per process, and a large read is CPU-bound on the client: a
1,000-version page costs about 5 ms of CPU, a DescribePackageVersion 1-2 ms, while AWS's quotas
allow 200 pages a second and 800 reads a second: one process falls behind the quotas.

Other processes read, and this one takes their answers (the caller may plan each package as it
comes: `planner.PlannedAhead`). They take packages from one queue, so a large package does not leave the
others idle, and each paces its reads at its part of the quotas (n processes: 1/n each), so together
they stay within the quotas as one process does. This process reads too, until another is ready (a
process takes about a second to start) and whenever none is left (one that cannot start or ends
early leaves its packages here), at the share of the quotas the others leave it. Every call another
process makes is told to this process's `CallLog` (counts, `--log-requests`, progress), and the
packages are given in the order they were asked for: the result is what one process reads, call
for call.

Another process gets the credentials this one holds (never a profile to resolve again: an MFA
prompt or an SSO login belongs to the user's own process), and works only over HTTP (an AWS endpoint
or `reconciler local serve`), never on the embedded service's database.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import multiprocessing.connection
import os
import queue
import signal
import threading
import traceback
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from reconciler.addresses import PackageRef
from reconciler.aws import reads
from reconciler.aws.client import Connection, Recipe, connect_recipe
from reconciler.aws.observe import CallLog
from reconciler.errors import ReconcilerError
from reconciler.state import PackageState, ReadSpec, VersionState

# Below this many packages a process, starting one (about a second of CPU and 50 MB: an
# interpreter, boto3 and the service model) costs more than it saves.
MIN_PACKAGES_PER_PROCESS = 100
# At most this many other processes read when none is asked for: past it the quotas, not the CPU, bind.
MAX_PROCESSES = 4
# Packages another process is sent at most before it answers: enough to keep its window of calls
# full (an aged read is about 9 calls after one another a package: at 400 calls/s and 35 ms, about
# 15 packages under way), few enough that it holds a few packages, not a hundred (each is memory).
_SENT_AT_MOST = 32

Read = tuple[PackageState | None, Counter[str]]


def _as_it_is() -> None:
    """No settings of its own for another process."""


def _no_recipe() -> Recipe | None:
    return None


def default_processes() -> int:
    """One other reading process per CPU this process may run on, at most `MAX_PROCESSES`."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_PROCESSES, cpus))


def processes_for(packages: int, wanted: int) -> int:
    """How many other processes read `packages` packages when `wanted` may: each has enough to be
    worth starting (0: this process reads them alone)."""
    return max(0, min(wanted, packages // MIN_PACKAGES_PER_PROCESS))


class Spread:
    """Reads packages with a connection's client and, when there are enough of them, with other
    processes' clients made from its recipe (asked for only then: None keeps the reads here).

    `Backend.processes` is how many other processes may read (0: none); not given, one per CPU,
    unless `--concurrency` is (a ceiling on the reads in flight, kept in this process: a run with
    `--concurrency 1` makes its calls one after another, as asked). With both, the ceiling is
    divided between the processes, this one included."""

    def __init__(
        self,
        connection: Connection,
        concurrency: int | None,
        prepare: Callable[[], None] | None = None,
        regions: int = 1,
    ) -> None:
        # Called first in each other process, once its client is made: a function of a module
        # (it is sent to the process by name), such as `workflows.gcpause.reading_process`.
        self.prepare = prepare or _as_it_is
        wanted = connection.processes
        if wanted is None:
            wanted = 0 if concurrency is not None else default_processes()
        # The processes are the run's, not each Region's: `regions` Regions read at once share them.
        wanted //= max(1, regions)
        self._processes = 0 if connection.recipe is None else min(wanted, concurrency or wanted)
        # Asked for once, when first needed: the credentials it freezes are those of that moment.
        self._recipe = functools.cache(connection.recipe or _no_recipe)
        self._ceiling = concurrency
        self.workers = connection.workers(concurrency)  # reads in flight in this process, at most
        self._log: CallLog = connection.log
        self._limiter = connection.limiter  # its share of the quotas shrinks as others join
        self.elsewhere = 0  # packages other processes read, so far

    def read(self, client: Any, specs: Sequence[ReadSpec]) -> list[Read]:
        """`reads.read_package` of every spec, in spec order; the first failure in spec order raised."""
        return list(self.read_in_order(client, specs, ahead=len(specs)))

    def read_in_order(
        self, client: Any, specs: Sequence[ReadSpec], ahead: int
    ) -> Generator[Read, None, None]:
        """Each package's read, in spec order, as soon as it and every one before it are read, with
        at most `ahead` packages read (or being read) beyond the one given next: memory holds a
        few packages, not all of them. Closing the iterator early stops every read not started."""
        others, recipe = self._plan(len(specs))
        if recipe is None:
            return in_order(client, specs, self.workers, ahead)
        workers = self.workers if self._ceiling is None else max(1, self._ceiling // (others + 1))
        return _SpreadRead(client, specs, workers, ahead, self).run(others, recipe)

    def elsewhere_for(self, packages: int) -> bool:
        """Whether other processes will read `packages` packages: this process's CPU is then free to
        plan each as it comes (alone, it is all reading's; planning in between costs more)."""
        return self._plan(packages)[1] is not None

    def _plan(self, packages: int) -> tuple[int, Recipe | None]:
        others = processes_for(packages, self._processes)
        return others, self._recipe() if others else None


def in_order(client: Any, specs: Sequence[ReadSpec], workers: int, ahead: int) -> Generator[Read, None, None]:
    """`Spread.read_in_order` in this process alone: `workers` reads at a time, at most `ahead`
    packages beyond the one given next."""
    pending: deque[Future[Read]] = deque()
    queue = iter(specs)
    pool = ThreadPoolExecutor(max_workers=workers)
    try:

        def submit() -> None:
            spec = next(queue, None)
            if spec is not None:
                pending.append(pool.submit(reads.read_package, client, spec))

        for _ in range(max(1, ahead)):
            submit()
        while pending:
            read = pending.popleft().result()
            submit()
            yield read
    finally:
        # Reads not started are dropped at once (an error, or Ctrl-C): only those under way finish.
        pool.shutdown(wait=True, cancel_futures=True)


class _SpreadRead:
    """One spread read: a queue of packages taken in spec order by this process's workers and by a
    feeder per other process, no further than `ahead` beyond the package given next."""

    def __init__(
        self, client: Any, specs: Sequence[ReadSpec], workers: int, ahead: int, spread: Spread
    ) -> None:
        self.client = client
        self.specs = specs
        self.workers = workers
        self.ahead = max(1, ahead)
        self.spread = spread
        # One lock, three kinds of waiting: the packages given in order wait for reads to arrive,
        # the feeders for something to send, and this process's idle workers (a hundred of them)
        # for something to take. Waking every worker on every read would cost each a trip through
        # the GIL for nothing, while other processes read.
        lock = threading.Lock()
        self.arrived = threading.Condition(lock)
        self.work = threading.Condition(lock)
        self.work_here = threading.Condition(lock)
        self.queue = list(range(len(specs) - 1, -1, -1))  # popped from the end: spec order
        self.results: list[Read | None] = [None] * len(specs)
        self.failures: dict[int, BaseException] = {}
        self.given = 0  # the next package to give
        self.running = 0  # this process's workers and feeders still at work
        self.feeders = 0  # feeders still at work: a process that ends gives its packages back
        self.stopped = False
        self.reading = 0  # other processes ready and reading: while there are, this one plans

    def run(self, others: int, recipe: Recipe) -> Generator[Read, None, None]:
        context = multiprocessing.get_context("spawn")  # never fork a process that has threads
        share = 1.0 / others  # each other process's part of the quotas, from its start
        limiter = self.spread._limiter
        share_before = limiter.share if limiter is not None else 1.0
        children: list[_Child] = []
        threads: list[threading.Thread] = []
        completed = False
        try:
            for _ in range(others):
                try:
                    children.append(_Child.start(context, recipe, self.workers, share, self.spread.prepare))
                except OSError:
                    break  # no process to be had (EAGAIN, EMFILE): those started, and this one, read
            threads += [
                threading.Thread(target=self._feed, args=(child, others), daemon=True) for child in children
            ]
            threads += [threading.Thread(target=self._read_here, daemon=True) for _ in range(self.workers)]
            self.running = len(threads)
            self.feeders = len(children)
            for thread in threads:
                thread.start()
            yield from self._in_order()
            completed = True
        finally:
            # Nothing more is taken; what is under way ends (another process answers what it was
            # sent before it is told to stop: its pipe is then this thread's alone). Stopped early
            # (a failure, Ctrl-C, the caller done), the other processes are ended at once instead:
            # their answers are no longer wanted, and the feeders see their pipes close.
            with self.work:
                self.stopped = True
                self._wake_takers()
            if not completed:
                for child in children:
                    child.process.terminate()
            for thread in threads:
                thread.join()
            for child in children:
                child.stop()
            if limiter is not None:
                limiter.share = share_before

    def _in_order(self) -> Iterator[Read]:
        for index in range(len(self.specs)):
            with self.arrived:
                while self.results[index] is None and self.running:
                    self.arrived.wait()
                read = self.results[index]
                if read is None:
                    if not self.failures:  # pragma: no cover - every package is read or fails
                        raise RuntimeError(f"{self.specs[index].ref} was never read")
                    # Every read has stopped on a failure: the one of this package, or the first after it.
                    raise self.failures.get(index) or self.failures[min(self.failures)]
                self.results[index] = None  # given: no longer held here
                self.given = index + 1
                if self.queue and self.queue[-1] == self.given + self.ahead - 1:
                    # The reading ahead may take one more: any feeder, or a worker here if it may read.
                    self.work.notify_all()
                    if not self.reading:
                        self.work_here.notify()
            yield read

    def _wake_takers(self) -> None:
        """Something changed for every taker (called with the lock held)."""
        self.work.notify_all()
        self.work_here.notify_all()

    def _take(self, wait: bool, here: bool = False) -> int | None:
        """The next package to read; None when there is none (or, without `wait`, none yet). This
        process (`here`) takes none while another reads: its CPU goes to taking their answers."""
        with self.work:
            while True:
                if self.failures or self.stopped:
                    return None
                if self.queue and self.queue[-1] < self.given + self.ahead and not (here and self.reading):
                    return self.queue.pop()
                # Wait while a package may still come: the reading ahead moves on as packages are
                # given, and another process that ends gives back the packages it was sent.
                if not wait or (not self.queue and not self.feeders):
                    return None
                (self.work_here if here else self.work).wait()

    def _done(self, index: int, read: Read | None, failure: BaseException | None = None) -> None:
        with self.arrived:
            if failure is not None:
                self.failures[index] = failure
                self._wake_takers()  # nothing more is taken
            else:
                self.results[index] = read
            self.arrived.notify()

    def _leave(self) -> None:
        with self.arrived:
            self.running -= 1
            self.arrived.notify()
            self._wake_takers()  # a feeder gone: idle workers may have its packages to read

    def _read_here(self) -> None:
        try:
            while (index := self._take(wait=True, here=True)) is not None:
                try:
                    self._done(index, reads.read_package(self.client, self.specs[index]))
                except BaseException as error:  # raised in spec order by `_in_order`
                    self._done(index, None, error)
        finally:
            self._leave()

    def _joined(self, others: int) -> None:
        """Another process is ready: this one stops taking packages, and keeps, for when it reads
        again, the share of the quotas one of `others` processes has."""
        limiter = self.spread._limiter
        with self.work:
            self.reading += 1
            if limiter is not None:
                limiter.share = min(limiter.share, 1.0 / others)

    def _feed(self, child: _Child, others: int) -> None:
        """Keeps `child` busy with packages from the queue and takes its answers, until there are no
        more and every package sent has been answered."""
        outstanding: set[int] = set()
        joined = False
        try:
            if not child.wait_ready():
                return  # it could not start: this process reads its part
            self._joined(others)
            joined = True
            while True:
                sent: list[tuple[int, ReadSpec]] = []
                while (
                    len(outstanding) < min(self.workers, _SENT_AT_MOST)
                    and (index := self._take(wait=not outstanding and not sent)) is not None
                ):
                    outstanding.add(index)  # before sending: a send that fails gives it back too
                    sent.append((index, self.specs[index]))
                if sent:
                    child.send(sent)
                if not outstanding:
                    return
                for message in child.receive():
                    self._answer(message, outstanding)
        except (EOFError, OSError):
            # The process ended without answering (killed, out of memory): its packages go back to
            # the queue, for this process's workers. What it did answer is kept.
            with self.work:
                self.queue.extend(outstanding)
                self.queue.sort(reverse=True)
                self._wake_takers()
        except BaseException as error:  # a bug here: raised in spec order, not lost with the thread
            for index in outstanding:
                self._done(index, None, error)
        finally:
            with self.work:
                self.feeders -= 1
                self.reading -= joined
            self._leave()

    def _answer(self, message: tuple[Any, ...], outstanding: set[int]) -> None:
        kind = message[0]
        if kind == "call":
            self.spread._log.record(message[1])
            return
        index = message[1]
        outstanding.discard(index)
        if kind == "read":
            _, _, encoded, calls = message
            self._done(index, (_decoded(encoded), calls))
            with self.work:
                self.spread.elsewhere += 1
        elif kind == "failed":
            self._done(index, None, message[2])
        else:  # "broken": a bug in the other process, with its traceback
            self._done(
                index,
                None,
                RuntimeError(f"reading {self.specs[index].ref} in another process failed:\n{message[2]}"),
            )


class _Child:
    """Another reading process and this process's end of its pipe."""

    def __init__(self, process: Any, pipe: multiprocessing.connection.Connection) -> None:
        self.process = process
        self.pipe = pipe

    @classmethod
    def start(
        cls,
        context: Any,
        recipe: Recipe,
        workers: int,
        share: float,
        prepare: Callable[[], None],
    ) -> _Child:
        here, there = context.Pipe()
        process = context.Process(
            target=_serve,
            args=(there, recipe, workers, share, prepare),
            daemon=True,
            name="reconciler-reader",
        )
        process.start()
        there.close()
        return cls(process, here)

    def wait_ready(self) -> bool:
        try:
            return bool(self.pipe.recv() == ("ready",))
        except (EOFError, OSError):
            return False

    def send(self, message: Any) -> None:
        self.pipe.send(message)

    def receive(self) -> tuple[Any, ...]:
        message: tuple[Any, ...] = self.pipe.recv()
        return message

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # it has ended already
            self.pipe.send(None)
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=5)
        self.pipe.close()


def _serve(
    pipe: multiprocessing.connection.Connection,
    recipe: Recipe,
    workers: int,
    share: float,
    prepare: Callable[[], None],
) -> None:
    """The other process: reads the packages it is sent, answering each as it is read, and tells
    every call its client makes, until told to stop (None) or its pipe closes.

    Messages go both ways in batches: the user's process takes them on a thread that must win
    Python's GIL from the planning for each one (up to a switch interval, 5 ms), so a message per
    call or per package would leave this process waiting on a full pipe. Answers queue here and
    go out together, as many as came while the last batch was being sent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the user's process's to handle
    try:
        connection = connect_recipe(recipe, share)
    except BaseException:
        return  # the pipe closes: the reads stay with the user's process, which words any error
    prepare()  # the use case's settings for a process that only reads (its collector's)
    outbox: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
    connection.log.listen(lambda observed: outbox.put(("call", observed)))

    def read(index: int, spec: ReadSpec) -> None:
        try:
            state, calls = reads.read_package(connection.client, spec)
            outbox.put(("read", index, _encoded(state), calls))
        except ReconcilerError as error:
            outbox.put(("failed", index, error))
        except BaseException:
            outbox.put(("broken", index, traceback.format_exc()))

    sender = threading.Thread(target=_send_batches, args=(pipe, outbox), daemon=True)
    try:
        pipe.send(("ready",))
        sender.start()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            while (sent := pipe.recv()) is not None:
                for index, spec in sent:
                    pool.submit(read, index, spec)
    except (EOFError, OSError):
        pass  # the user's process has gone: nothing to answer
    finally:
        outbox.put(None)
        if sender.is_alive():
            sender.join()
        connection.close()


def _send_batches(
    pipe: multiprocessing.connection.Connection, outbox: queue.SimpleQueue[tuple[Any, ...] | None]
) -> None:
    """Sends what `outbox` holds, a batch at a time, until None."""
    done = False
    while not done:
        first = outbox.get()
        if first is None:
            return
        batch = [first]
        while True:
            try:
                message = outbox.get_nowait()
            except queue.Empty:
                break
            if message is None:
                done = True
                break
            batch.append(message)
        try:
            pipe.send(batch)
        except (OSError, ValueError):
            return  # the user's process has gone
        except Exception:
            # An answer that cannot be pickled (nothing is written then): closing the pipe hands
            # every package sent here back to the user's process, which reads and words it itself,
            # rather than leave it waiting for answers that never come.
            pipe.close()
            return


# A package's state crosses the pipe as plain tuples and strings: pickling a million NamedTuples
# and enum members costs several times more than the rows they hold.
_Encoded = tuple[PackageRef, list[tuple[str, str, str, str, int | None]], str | None, bool, dict[float, int]]


def _encoded(state: PackageState | None) -> _Encoded | None:
    if state is None:
        return None
    rows = [
        (v.version, v.revision, v.status.value, v.origin_type, v.time_rank) for v in state.versions.values()
    ]
    return (state.ref, rows, state.default_display_version, state.time_sorted, state.published_after)


def _decoded(encoded: _Encoded | None) -> PackageState | None:
    if encoded is None:
        return None
    ref, rows, default, time_sorted, published_after = encoded
    origins: dict[str, str] = {}
    versions = {
        version: VersionState(
            version, revision, reads.STATUSES[status], origins.setdefault(origin, origin), time_rank
        )
        for version, revision, status, origin, time_rank in rows
    }
    return PackageState(ref, versions, default, time_sorted, published_after)
