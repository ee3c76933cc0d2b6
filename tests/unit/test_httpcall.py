"""The retry policy of notification requests: bounded attempts, waits as the server asks, never a
real sleep (the clock and the sleep are injected)."""

from __future__ import annotations

import urllib.request

import pytest

from reconciler.httpcall import HttpClient, HttpFailure, HttpResponse


def client(answers: list[HttpResponse | OSError], waited: list[float], **settings: float) -> HttpClient:
    def opener(request: urllib.request.Request, timeout: float) -> HttpResponse:
        answer = answers.pop(0)
        if isinstance(answer, OSError):
            raise answer
        return answer

    return HttpClient(sleep=waited.append, clock=lambda: 1000.0, opener=opener, **settings)  # type: ignore[arg-type]


def test_a_server_error_is_tried_again_with_growing_pauses_then_answered() -> None:
    waited: list[float] = []
    answers: list[HttpResponse | OSError] = [
        HttpResponse(502, {}, b""),
        HttpResponse(500, {}, b""),
        HttpResponse(200, {}, b"{}"),
    ]

    response = client(answers, waited).request("POST", "http://127.0.0.1:9/hook", payload={"a": 1})

    assert response.status == 200 and waited == [1.0, 2.0]


def test_a_refusal_that_is_no_rate_limit_is_the_callers_to_judge() -> None:
    waited: list[float] = []
    answers: list[HttpResponse | OSError] = [HttpResponse(403, {}, b'{"message": "Forbidden"}')]

    response = client(answers, waited).request("GET", "http://127.0.0.1:9/x")

    assert (response.status, response.json(), waited) == (403, {"message": "Forbidden"}, [])


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"retry-after": "12"}, 12.0),
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1030"}, 31.0),
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "990"}, 1.0),  # already reset
    ],
)
def test_a_rate_limit_is_waited_out_as_the_server_asks(headers: dict[str, str], wait: float) -> None:
    waited: list[float] = []
    answers: list[HttpResponse | OSError] = [HttpResponse(403, headers, b""), HttpResponse(200, {}, b"")]

    assert client(answers, waited).request("GET", "http://127.0.0.1:9/x").status == 200
    assert waited == [wait]


def test_a_rate_limit_beyond_the_bound_fails_at_once() -> None:
    waited: list[float] = []
    answers: list[HttpResponse | OSError] = [HttpResponse(429, {"retry-after": "600"}, b"")]

    with pytest.raises(HttpFailure, match=r"HTTP 429 \(rate limited\); the limit resets in 600 s"):
        client(answers, waited, max_wait=60.0).request("GET", "http://127.0.0.1:9/x")
    assert waited == []


def test_connection_failures_stop_after_the_last_attempt_and_name_no_url() -> None:
    waited: list[float] = []
    answers: list[HttpResponse | OSError] = [ConnectionRefusedError(111, "Connection refused")] * 3

    with pytest.raises(HttpFailure) as failure:
        client(answers, waited).request("POST", "http://127.0.0.1:9/hooks/s3cret")
    assert str(failure.value) == "cannot connect: Connection refused after 3 attempts"
    assert waited == [1.0, 2.0]
