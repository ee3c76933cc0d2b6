"""The adaptive read limiter, on a fake clock: pacing at the quotas, backing off on throttles and
recovering, and an in-flight window sized by the latency it observes."""

from __future__ import annotations

import threading

import pytest

from reconciler.adaptive import MAX_IN_FLIGHT, AdaptiveLimiter
from reconciler.aws.client import Backend, connect
from tests.unit.test_ratelimit import FakeTime, most_in_any_second


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def limiter(time: FakeTime) -> AdaptiveLimiter:
    return AdaptiveLimiter(clock=time.clock, sleep=time.sleep)


def call(
    limiter: AdaptiveLimiter, time: FakeTime, operation: str, latency: float, throttled: bool = False
) -> float:
    """One attempt: acquired, `latency` seconds on the wire, released; returns when it went out."""
    limiter.acquire(operation)
    sent = time.now
    time.now += latency
    limiter.release(throttled)
    return sent


def test_list_package_versions_go_out_at_200_a_second_and_no_faster(
    limiter: AdaptiveLimiter, time: FakeTime
) -> None:
    times = [call(limiter, time, "ListPackageVersions", 0.0) for _ in range(600)]

    assert most_in_any_second(times) == 200
    assert times[-1] == pytest.approx(599 / 200)


def test_reads_without_a_quota_of_their_own_go_out_at_the_account_quota(
    limiter: AdaptiveLimiter, time: FakeTime
) -> None:
    times = [call(limiter, time, "DescribePackageVersion", 0.0) for _ in range(1600)]

    assert most_in_any_second(times) == 800


def test_the_window_holds_enough_calls_to_reach_the_quota_at_the_latency_seen(
    limiter: AdaptiveLimiter, time: FakeTime
) -> None:
    for latency, least in ((0.03, 24), (0.1, 80)):
        for _ in range(100):  # the average follows the latency observed
            call(limiter, time, "DescribePackageVersion", latency)
        # 800 reads/s x latency calls in flight reach the account quota; the window has room for more
        assert limiter.window >= least
    assert limiter.window <= MAX_IN_FLIGHT


def test_the_window_never_exceeds_the_cap(time: FakeTime) -> None:
    limiter = AdaptiveLimiter(cap=16, clock=time.clock, sleep=time.sleep)
    for _ in range(50):
        call(limiter, time, "DescribePackageVersion", 0.5)

    assert limiter.window == 16


def test_a_full_window_makes_the_next_call_wait_until_one_is_answered(time: FakeTime) -> None:
    limiter = AdaptiveLimiter(cap=4, clock=time.clock, sleep=time.sleep)
    for _ in range(4):
        limiter.acquire("DescribePackageVersion")
    time.now += 1.0  # the pacing allows the fifth call; the window does not
    entered = threading.Event()

    def fifth() -> None:
        limiter.acquire("DescribePackageVersion")
        entered.set()
        limiter.release()

    waiter = threading.Thread(target=fifth)
    waiter.start()
    assert not entered.wait(0.2)  # still waiting: no call has been answered
    limiter.release()  # one of the four this thread sent is answered
    waiter.join(5)

    assert entered.is_set()


def test_a_throttle_halves_the_pace_and_a_second_without_throttles_brings_a_tenth_back(
    limiter: AdaptiveLimiter, time: FakeTime
) -> None:
    call(limiter, time, "ListPackageVersions", 0.0, throttled=True)
    assert limiter.factor == pytest.approx(0.5)
    assert limiter.throttled == 1

    times = [call(limiter, time, "ListPackageVersions", 0.0) for _ in range(100)]
    # paced at half the quota at first, then a little faster as the rate recovers
    assert times[1] - times[0] == pytest.approx(1 / 100, rel=0.01)
    assert 0.5 < limiter.factor < 0.65

    time.now += 10.0
    assert limiter.factor == 1.0  # never above the documented quotas


def test_a_throttle_of_a_call_sent_at_the_slower_pace_halves_it_again(
    limiter: AdaptiveLimiter, time: FakeTime
) -> None:
    call(limiter, time, "ListPackageVersions", 0.01, throttled=True)
    call(limiter, time, "ListPackageVersions", 0.01, throttled=True)

    assert limiter.factor == pytest.approx(0.25, rel=0.01)


def test_calls_throttled_together_back_off_once(limiter: AdaptiveLimiter, time: FakeTime) -> None:
    sent = threading.Barrier(20)

    def throttled_call() -> None:
        limiter.acquire("ListPackageVersions")
        sent.wait()  # all twenty are in flight when the first throttle comes back
        limiter.release(throttled=True)

    threads = [threading.Thread(target=throttled_call) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)

    assert limiter.throttled == 20
    assert limiter.factor == pytest.approx(0.5)


def test_the_pace_never_falls_below_a_floor(limiter: AdaptiveLimiter, time: FakeTime) -> None:
    for _ in range(30):
        call(limiter, time, "ListPackageVersions", 1.0, throttled=True)

    assert limiter.factor >= 0.02


def test_a_release_without_an_acquire_on_this_thread_changes_nothing(limiter: AdaptiveLimiter) -> None:
    limiter.release(throttled=True)

    assert limiter.throttled == 0
    assert limiter.factor == 1.0


def test_a_cap_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="cap"):
        AdaptiveLimiter(cap=0)


def test_an_aws_endpoint_reads_adaptively_unless_concurrency_caps_it_and_the_local_service_reads_8(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    remote = connect(Backend(endpoint_url="http://127.0.0.1:9", region="us-east-1"))
    local = connect(Backend(local_db=":memory:"))
    try:
        assert remote.limiter is not None
        assert remote.workers(None) == MAX_IN_FLIGHT
        assert remote.workers(3) == 3  # --concurrency 3: a ceiling
        assert local.limiter is None
        assert local.workers(None) == 8
        assert local.workers(3) == 3
    finally:
        remote.close()
        local.close()


class CountingCondition(threading.Condition):
    """A condition that counts the threads waiting on it and how many each notification wakes."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = 0
        self.woken: list[int] = []  # per notification, the waiting threads it wakes

    def wait(self, timeout: float | None = None) -> bool:
        self.waiting += 1
        try:
            return super().wait(timeout)
        finally:
            self.waiting -= 1

    def notify(self, n: int = 1) -> None:
        self.woken.append(min(n, self.waiting))
        super().notify(n)

    def notify_all(self) -> None:
        self.woken.append(self.waiting)
        super().notify_all()


def test_an_answer_wakes_one_waiting_read_not_every_idle_worker(time: FakeTime) -> None:
    limiter = AdaptiveLimiter(cap=4, clock=time.clock, sleep=time.sleep)  # a window of 4
    condition = limiter._condition = CountingCondition()
    for _ in range(4):
        limiter.acquire("DescribePackageVersion")  # the window is full
    workers = [threading.Thread(target=limiter.acquire, args=("DescribePackageVersion",)) for _ in range(10)]
    for worker in workers:
        worker.start()
    while True:  # until all ten wait for the window
        with condition:
            if condition.waiting == 10:
                break

    limiter.release()  # one of the four is answered: one slot is free

    # One waiting read is woken to take it; the nine others have nothing to do. Woken all at once,
    # a hundred idle workers cost a trip through the GIL each on every answer.
    assert condition.woken == [1]
    while limiter.attempts < 5:  # the woken read takes the slot, and the window is full again
        with condition:
            condition.wait(0.01)
    assert limiter.window == 4
    with condition:  # let the nine go: the rest is not the test's
        limiter._cap = 100
        condition.notify_all()
    for worker in workers:
        worker.join()


def test_a_share_of_the_quotas_paces_at_that_share_and_a_throttle_halves_it_again(
    limiter: AdaptiveLimiter, time: FakeTime
) -> None:
    """One of two processes reading together: half of 200/s, and a throttle halves its half."""
    limiter.share = 0.5
    times = [call(limiter, time, "ListPackageVersions", 0.0) for _ in range(300)]
    assert most_in_any_second(times) == 100
    call(limiter, time, "ListPackageVersions", 0.0, throttled=True)
    spaced = [call(limiter, time, "ListPackageVersions", 0.0) for _ in range(3)]
    assert spaced[2] - spaced[1] == pytest.approx(1 / 50, rel=0.05)
    limiter.share = 1.0
    time.now += 10.0
    again = [call(limiter, time, "ListPackageVersions", 0.0) for _ in range(400)]
    assert most_in_any_second(again) == 200


def test_a_share_narrows_the_window_in_proportion(limiter: AdaptiveLimiter, time: FakeTime) -> None:
    for _ in range(100):
        call(limiter, time, "DescribePackageVersion", 0.1)
    whole = limiter.window
    limiter.share = 0.25
    assert limiter.window == pytest.approx(whole / 4, abs=2)


@pytest.mark.parametrize("share", [0.0, -0.5, 1.5])
def test_a_share_outside_zero_to_one_is_refused(limiter: AdaptiveLimiter, share: float) -> None:
    with pytest.raises(ValueError, match="share"):
        limiter.share = share
