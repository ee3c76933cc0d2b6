"""The exact bytes of the two hot answers, ListPackageVersions pages and UpdatePackageVersionsStatus
batches, held to a plain Python rendering of what the database holds.

The service builds both bodies without Python structures (SQLite writes each version summary, the
batch outcome is written as text); these tests say what those bodies must be, byte for byte: member
order, the order of versions and pages, escaping, page tokens, and the shapes of failed batches.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from reconciler.local import LocalCodeArtifact
from reconciler.local.context import origin
from reconciler.local.pagination import encode_token
from reconciler.local.protocol import HttpRequest
from tests.local.builders import coordinates, generic, seed_packages

# Versions that need escaping in JSON, sort differently by text and by time, and are not ASCII.
VERSIONS: list[dict[str, Any]] = [
    {"version": "1.0.0", "published": "-50d"},
    {"version": '2.0.0-"quoted"', "published": "-10d", "status": "Unlisted"},
    {"version": "2.0.0-back\\slash", "published": "-40d", "status": "Archived"},
    {"version": "3.0.0-é文", "published": "-20d", "status": "Disposed"},
    {
        "version": "3.0.0-\x01ctl",
        "published": "-30d",
        "origin": "EXTERNAL",
        "external_connection": "public:npmjs",
    },
    {"version": "0.9.0", "published": "-5d", "status": "Unfinished"},
    {"version": "10.0.0", "published": "-5d"},  # the same time as 0.9.0: the version breaks the tie
    {"version": "9.0.0", "published": "-60d"},
]


@pytest.fixture
def seeded(service: LocalCodeArtifact) -> LocalCodeArtifact:
    seed_packages(service, [generic(VERSIONS)])
    return service


def _bodies(client: Any, operation: str) -> list[bytes]:
    """The raw body of every answer `client` gets to `operation` from now on."""
    bodies: list[bytes] = []

    def keep(http_response: Any, **_: Any) -> None:
        bodies.append(http_response.content)

    client.meta.events.register(f"after-call.codeartifact.{operation}", keep)
    return bodies


def _dumps(value: Any, *, ascii: bool) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=ascii).encode()


def _rows(service: LocalCodeArtifact) -> list[Any]:
    with service.store.read() as conn:
        return conn.execute("SELECT * FROM package_version ORDER BY version").fetchall()


def _expected_pages(
    service: LocalCodeArtifact, page_size: int, sort_by: str | None, status: str | None
) -> Iterator[dict[str, Any]]:
    """Every page, as the service's documented rules make it from the rows, in its member order."""
    rows = [row for row in _rows(service) if status is None or row["status"] == status]
    if sort_by == "PUBLISHED_TIME":
        rows.sort(key=lambda row: (row["published_time"], row["version"]), reverse=True)
    finished = [row for row in _rows(service) if row["status"] != "Unfinished"]
    display = max(finished, key=lambda row: (row["published_time"], row["version"]))["version"]
    filters = {**coordinates(), "status": status, "sortBy": sort_by, "originType": None}
    for start in range(0, len(rows), page_size):
        page = rows[start : start + page_size]
        body: dict[str, Any] = {
            "format": "generic",
            "package": coordinates()["package"],
            "versions": [
                {
                    "version": r["version"],
                    "revision": r["revision"],
                    "status": r["status"],
                    "origin": origin(r),
                }
                for r in page
            ],
            "namespace": coordinates()["namespace"],
            "defaultDisplayVersion": display,
        }
        if start + page_size < len(rows):
            last = page[-1]
            key = (
                [last["published_time"], last["version"]]
                if sort_by == "PUBLISHED_TIME"
                else [last["version"]]
            )
            body["nextToken"] = encode_token("ListPackageVersions", filters, key)
        yield body


@pytest.mark.parametrize("sort_by", [None, "PUBLISHED_TIME"])
@pytest.mark.parametrize(
    ("page_size", "status"), [(1, None), (3, None), (8, None), (50, None), (1, "Published")]
)
def test_every_list_page_is_byte_for_byte_the_json_of_its_versions(
    seeded: LocalCodeArtifact, any_client: Any, page_size: int, sort_by: str | None, status: str | None
) -> None:
    bodies = _bodies(any_client, "ListPackageVersions")
    params: dict[str, Any] = {**coordinates(), "maxResults": page_size}
    if sort_by:
        params["sortBy"] = sort_by
    if status:
        params["status"] = status
    token = None
    while True:
        page = any_client.list_package_versions(**params, **({"nextToken": token} if token else {}))
        token = page.get("nextToken")
        if not token:
            break

    expected = [_dumps(page, ascii=False) for page in _expected_pages(seeded, page_size, sort_by, status)]
    assert bodies == expected


def test_a_page_of_a_package_with_no_version_left_is_an_empty_list(
    seeded: LocalCodeArtifact, client: Any
) -> None:
    bodies = _bodies(client, "ListPackageVersions")

    client.list_package_versions(**coordinates(), status="Deleted")

    assert json.loads(bodies[0])["versions"] == []
    assert b'"versions":[]' in bodies[0]


def _batch(client: Any, versions: list[str], target: str, **extra: Any) -> dict[str, Any]:
    return client.update_package_versions_status(  # type: ignore[no-any-return]
        **coordinates(), versions=versions, targetStatus=target, **extra
    )


def test_a_successful_batch_answers_each_version_once_in_the_order_asked(
    seeded: LocalCodeArtifact, any_client: Any
) -> None:
    revisions = {row["version"]: row["revision"] for row in _rows(seeded)}
    asked = ["9.0.0", '2.0.0-"quoted"', "1.0.0", "9.0.0", "3.0.0-\x01ctl", "2.0.0-back\\slash"]
    bodies = _bodies(any_client, "UpdatePackageVersionsStatus")

    _batch(any_client, asked, "Archived", versionRevisions={"1.0.0": revisions["1.0.0"]})

    successes = {version: {"revision": revisions[version], "status": "Archived"} for version in asked}
    assert bodies == [_dumps({"successfulVersions": successes, "failedVersions": {}}, ascii=True)]
    assert {row["version"]: row["status"] for row in _rows(seeded)} == {
        **{item["version"]: item.get("status", "Published") for item in VERSIONS},
        **dict.fromkeys(asked, "Archived"),
    }
    assert {row["version"]: row["revision"] for row in _rows(seeded)} == revisions


def _mismatched_revision(rows: dict[str, Any]) -> dict[str, Any]:
    return {"versionRevisions": {"1.0.0": rows["1.0.0"]["revision"], "10.0.0": rows["1.0.0"]["revision"]}}


# (extra request members, the failing versions and their codes); the batch is 9.0.0, 1.0.0, 10.0.0
# plus whatever the case adds, and everything else is SKIPPED.
FAILURES: dict[str, Any] = {
    "missing": ({}, ["4.0.0"], {"4.0.0": "NOT_FOUND"}),
    "status": ({"expectedStatus": "Published"}, ['2.0.0-"quoted"'], {'2.0.0-"quoted"': "MISMATCHED_STATUS"}),
    "revision": (_mismatched_revision, [], {"10.0.0": "MISMATCHED_REVISION"}),
    "disposed": ({}, ["3.0.0-é文"], {"3.0.0-é文": "NOT_ALLOWED"}),
    "several": (
        {"expectedStatus": "Published"},
        ["4.0.0", "3.0.0-é文", "0.9.0"],
        {"4.0.0": "NOT_FOUND", "3.0.0-é文": "MISMATCHED_STATUS", "0.9.0": "MISMATCHED_STATUS"},
    ),
}


@pytest.mark.parametrize("case", FAILURES)
def test_a_failed_batch_answers_every_version_and_changes_nothing(
    seeded: LocalCodeArtifact, any_client: Any, case: str
) -> None:
    extra, added, codes = FAILURES[case]
    before = {row["version"]: tuple(row) for row in _rows(seeded)}
    extra = extra({row["version"]: row for row in _rows(seeded)}) if callable(extra) else extra
    asked = ["9.0.0", "1.0.0", "10.0.0", *added]
    bodies = _bodies(any_client, "UpdatePackageVersionsStatus")

    answer = _batch(any_client, asked, "Unlisted", **extra)

    assert answer["successfulVersions"] == {}
    assert list(answer["failedVersions"]) == asked
    assert {version: failure["errorCode"] for version, failure in answer["failedVersions"].items()} == {
        **dict.fromkeys(asked, "SKIPPED"),
        **codes,
    }
    assert bodies == [
        _dumps({"successfulVersions": {}, "failedVersions": answer["failedVersions"]}, ascii=True)
    ]
    assert {row["version"]: tuple(row) for row in _rows(seeded)} == before


def _raw_update(service: LocalCodeArtifact, body: bytes) -> tuple[int, dict[str, Any]]:
    query = "&".join(f"{key}={value}" for key, value in coordinates().items())
    request = HttpRequest(
        "POST", "/v1/package/versions/update_status", query, {"content-type": "application/json"}, body
    )
    response = service.handle(request)
    return response.status, json.loads(response.body)


def _utf16(text: str) -> bytes:
    return text.encode("utf-16", "surrogatepass")


@pytest.mark.parametrize(
    "body",
    [
        b'{"versions": ["\\ud800"], "targetStatus": "Unlisted"}',
        b'{"versions": ["1.0.0-\\uDBFF"], "targetStatus": "Unlisted"}',
        b'{"versions": ["1.0.0"], "targetStatus": "Unlisted", "versionRevisions": {"1.0.0": "\\udc00"}}',
        b'{"versions": ["1.0.0-\xed\xa0\x80"], "targetStatus": "Unlisted"}',  # the surrogate's own bytes
        _utf16('{"versions": ["\\ud800"], "targetStatus": "Unlisted"}'),
        _utf16('{"versions": ["\ud800"], "targetStatus": "Unlisted"}'),
        b'\xef\xbb\xbf{"versions": ["\\ud800"], "targetStatus": "Unlisted"}',
    ],
    ids=["escaped", "escaped-upper", "in-a-map", "raw-bytes", "utf16-escaped", "utf16-raw", "utf8-bom"],
)
def test_a_lone_surrogate_anywhere_in_a_body_is_a_parse_error_and_changes_nothing(
    seeded: LocalCodeArtifact, body: bytes
) -> None:
    before = [tuple(row) for row in _rows(seeded)]

    status, answer = _raw_update(seeded, body)

    assert (status, answer["reason"]) == (400, "CANNOT_PARSE")
    assert [tuple(row) for row in _rows(seeded)] == before


@pytest.mark.parametrize(
    "body",
    [
        b'{"versions": ["9.0.0"], "targetStatus": "Unlisted"}',
        b'{"versions": ["\\u0039.0.0"], "targetStatus": "Unlisted"}',  # an escape, not a surrogate
        b'{"versions": ["9.0.0"], "targetStatus": "Unlisted", "x": "\\\\ud800"}',  # an escaped backslash
        b'{"versions": ["9.0.0"], "targetStatus": "Unlisted", "x": "\\ud83d\\ude00 \xed\x9f\xbf"}',  # a pair
        _utf16('{"versions": ["9.0.0"], "targetStatus": "Unlisted"}'),
    ],
    ids=["plain", "escape", "escaped-backslash", "surrogate-pair", "utf16"],
)
def test_bodies_without_a_lone_surrogate_are_served(seeded: LocalCodeArtifact, body: bytes) -> None:
    status, answer = _raw_update(seeded, body)

    assert status == 200, answer
    assert answer["successfulVersions"]["9.0.0"]["status"] == "Unlisted"
