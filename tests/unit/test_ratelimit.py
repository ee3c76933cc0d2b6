"""The client-side rate limiter, on a fake clock: AWS's quotas per operation and per account."""

from __future__ import annotations

import threading

import pytest

from reconciler.ratelimit import RateLimiter


class FakeTime:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def send_times(limiter: RateLimiter, time: FakeTime, operations: list[str]) -> list[float]:
    """When each call goes out, made one after another as fast as the limiter lets them."""
    times = []
    for operation in operations:
        limiter.acquire(operation)
        times.append(time.now)
    return times


def most_in_any_second(times: list[float]) -> int:
    # Half-open windows [t, t + 1) starting at each call; a hair of tolerance for float sums.
    return max(sum(1 for other in times if start <= other < start + 1.0 - 1e-9) for start in times)


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def limiter(time: FakeTime) -> RateLimiter:
    return RateLimiter(clock=time.clock, sleep=time.sleep)


def test_copy_package_versions_go_out_five_a_second(limiter: RateLimiter, time: FakeTime) -> None:
    times = send_times(limiter, time, ["CopyPackageVersions"] * 11)
    assert times == pytest.approx([0.2 * i for i in range(11)])
    assert most_in_any_second(times) == 5


def test_update_and_dispose_share_the_account_write_quota_of_100_a_second(
    limiter: RateLimiter, time: FakeTime
) -> None:
    operations = ["UpdatePackageVersionsStatus", "DisposePackageVersions"] * 150
    times = send_times(limiter, time, operations)
    assert most_in_any_second(times) == 100
    assert times[-1] == pytest.approx(2.99)


def test_copies_count_against_the_account_write_quota_too(limiter: RateLimiter, time: FakeTime) -> None:
    limiter.acquire("CopyPackageVersions")
    limiter.acquire("UpdatePackageVersionsStatus")
    assert time.now == pytest.approx(0.01)  # the copy took the account's first write slot


def test_reads_go_out_800_a_second_and_do_not_wait_for_writes(limiter: RateLimiter, time: FakeTime) -> None:
    writes = send_times(limiter, time, ["UpdatePackageVersionsStatus"] * 3)
    start = time.now
    reads = send_times(limiter, time, ["DescribePackageVersion", "DescribeDomain"] * 800)
    assert writes == pytest.approx([0.0, 0.01, 0.02])
    assert reads[0] == start  # the read quota is its own
    assert most_in_any_second(reads) == 800
    assert reads[-1] - reads[0] == pytest.approx(1599 / 800)


def test_list_package_versions_has_its_own_quota_of_200_a_second(
    limiter: RateLimiter, time: FakeTime
) -> None:
    times = send_times(limiter, time, ["ListPackageVersions"] * 401)
    assert times[-1] == pytest.approx(2.0)
    assert most_in_any_second(times) == 200


def test_an_idle_limiter_never_lets_a_burst_through(limiter: RateLimiter, time: FakeTime) -> None:
    limiter.acquire("CopyPackageVersions")
    time.now = 60.0
    times = send_times(limiter, time, ["CopyPackageVersions"] * 6)
    assert times == pytest.approx([60.0, 60.2, 60.4, 60.6, 60.8, 61.0])


def test_acquire_returns_and_sleeps_exactly_the_wait(limiter: RateLimiter, time: FakeTime) -> None:
    assert limiter.acquire("CopyPackageVersions") == 0.0
    assert limiter.acquire("CopyPackageVersions") == pytest.approx(0.2)
    assert time.slept == [pytest.approx(0.2)]


def test_scale_multiplies_every_quota(time: FakeTime) -> None:
    limiter = RateLimiter(scale=2.0, clock=time.clock, sleep=time.sleep)
    assert send_times(limiter, time, ["CopyPackageVersions"] * 3) == pytest.approx([0.0, 0.1, 0.2])
    slow = RateLimiter(scale=0.1, clock=time.clock, sleep=time.sleep)
    start = time.now
    assert send_times(slow, time, ["CopyPackageVersions"] * 2) == pytest.approx([start, start + 2.0])


def test_threads_waiting_together_each_get_their_own_slot() -> None:
    lock = threading.Lock()
    waits: list[float] = []
    limiter = RateLimiter(clock=lambda: 0.0, sleep=lambda seconds: None)

    def worker() -> None:
        for _ in range(10):
            wait = limiter.acquire("CopyPackageVersions")
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == pytest.approx([0.2 * i for i in range(80)])


def test_a_scale_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ValueError, match="scale"):
        RateLimiter(scale=0)
