"""The plan digest ties the file applied to the plan reviewed: `plan` prints it (text view, Markdown,
stderr), `show` shows it, and `apply PLAN --expect-digest SHA` refuses any other file before any call."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler import planfile
from reconciler.aws.client import Backend
from reconciler.local import LocalCodeArtifact
from reconciler.local.seed import SeedDocument, seed_service
from reconciler.plan import Plan
from reconciler.workflows.applying import ApplySettings, apply_saved_plan
from tests.functional.test_apply import MANIFEST, SEED, refuse_connections, run, versions
from tests.refs import read_journal

CI_DOC = Path(__file__).parents[2] / "docs" / "ci.md"
DIGEST_LINE = re.compile(r"Plan digest \(SHA-256\): `?([0-9a-f]{64})`?")


@pytest.fixture(scope="module")
def seeded_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "seeded.db"
    with LocalCodeArtifact(path) as service:
        seed_service(service, SeedDocument.model_validate(SEED))
    return path


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    path = tmp_path / "manifests" / "prod.yaml"
    path.parent.mkdir()
    path.write_text(MANIFEST)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def planned(db: Path, manifests: Path, path: Path, *options: str) -> tuple[str, str, str]:
    """Plan into `path`: the digest printed on stderr, the view on stdout, and stderr."""
    result = run("plan", manifests, "-o", path, "--local", db, *options)
    assert result.exit_code == 0, result.stderr
    found = DIGEST_LINE.findall(result.stderr)
    assert len(found) == 1, result.stderr
    return found[0], result.stdout, result.stderr


def test_plan_prints_the_digest_of_the_file_it_saves_in_the_text_view_and_on_stderr(
    db: Path, manifests: Path, tmp_path: Path
) -> None:
    path = tmp_path / "pr.plan.json"

    digest, view, _ = planned(db, manifests, path)

    assert digest == sha256(path)  # `sha256sum FILE` says the same
    assert view.rstrip("\n").splitlines()[-1] == f"Plan digest (SHA-256): {digest}"
    shown = run("show", path)
    assert shown.stdout.rstrip("\n").splitlines()[-1] == f"Plan digest (SHA-256): {digest}"


def test_the_markdown_view_shows_the_digest_a_ci_job_can_read_back(
    db: Path, manifests: Path, tmp_path: Path
) -> None:
    path = tmp_path / "pr.plan.json"

    digest, view, _ = planned(db, manifests, path, "--output", "markdown")

    assert digest == sha256(path)
    assert f"Plan digest (SHA-256): `{digest}`" in view
    # The extraction docs/ci.md's apply job makes from the comment (grep -oE, then the hex digits).
    pattern = re.search(r"grep -oE '(Plan digest[^']*)'", CI_DOC.read_text())
    assert pattern is not None
    found = re.findall(pattern.group(1), view)
    assert [re.findall("[0-9a-f]{64}", match) for match in found] == [[digest]]


def test_a_plan_written_to_stdout_has_the_digest_printed_on_stderr(db: Path, manifests: Path) -> None:
    result = run("plan", manifests, "-o", "-", "--local", db)

    assert result.exit_code == 0, result.stderr
    assert DIGEST_LINE.findall(result.stderr)[-1] == hashlib.sha256(result.stdout.encode()).hexdigest()


def test_apply_with_the_expected_digest_applies_the_plan(db: Path, manifests: Path, tmp_path: Path) -> None:
    path = tmp_path / "pr.plan.json"
    digest, _, _ = planned(db, manifests, path)

    result = run("apply", path, "--local", db, "--expect-digest", f"sha256:{digest.upper()}")

    assert result.exit_code == 0, result.stderr
    assert versions(db)[("prod", "app", "1.0.0")] == "Archived"
    assert read_journal(tmp_path / "pr.plan.journal.jsonl")[0]["plan_digest"] == digest


def _archive_turned_into_a_dispose(path: Path) -> None:
    """A consistent edit: every check of the plan alone lets it through; only the digest differs."""
    document = json.loads(path.read_text())
    for action in document["actions"]:
        archive = action["kind"] == "update-status" and action["target_status"] == "Archived"
        if archive and action["package"]["package"] == "app":
            action.update(kind="dispose", target_status="Disposed")
            for version in action["versions"]:
                version["after"] = "Disposed"
            document["summary"]["to_update"] -= len(action["versions"])
            document["summary"]["to_dispose"] += len(action["versions"])
    document["actions"].sort(key=lambda action: ["copy", "update-status", "dispose"].index(action["kind"]))
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")


def test_a_consistently_edited_plan_is_refused_by_its_digest_before_any_call(
    db: Path, manifests: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "pr.plan.json"
    digest, _, _ = planned(db, manifests, path)
    _archive_turned_into_a_dispose(path)
    edited = sha256(path)
    before = versions(db)
    refuse_connections(monkeypatch)
    # Without the digest, every check of the plan alone lets the edited plan through to the calls.
    with pytest.raises(AssertionError, match="apply connected"):
        apply_saved_plan(path, [], Backend(local_db=str(db)), ApplySettings(journal=tmp_path / "x.jsonl"))

    result = run("apply", path, "--local", db, "--expect-digest", digest, "--output", "json")

    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["result"] == "refused"
    assert (
        document["reason"]["summary"] == "refused: the plan file is not the one expected; nothing was changed"
    )
    assert f"its digest is {edited}, not {digest}" in document["reason"]["detail"]
    assert document["calls"] == 0
    records = read_journal(tmp_path / "pr.plan.journal.jsonl")
    assert [r["event"] for r in records] == ["apply", "refused"]
    assert records[0]["plan_digest"] == edited
    monkeypatch.undo()
    assert versions(db) == before


def test_the_digest_does_not_depend_on_the_files_formatting(
    db: Path, manifests: Path, tmp_path: Path
) -> None:
    path = tmp_path / "pr.plan.json"
    digest, _, _ = planned(db, manifests, path)
    path.write_text(json.dumps(json.loads(path.read_text())))  # one line, keys in the file's order

    result = run("apply", path, "--local", db, "--expect-digest", digest)

    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--expect-digest", "abc"], "is not a SHA-256 digest"),
        (["--expect-digest", "0" * 64, "--auto-approve"], "--expect-digest checks a plan file"),
    ],
)
def test_a_malformed_digest_or_one_given_with_manifests_is_a_usage_error(
    manifests: Path, arguments: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    refuse_connections(monkeypatch)
    target = manifests if "--auto-approve" in arguments else manifests.with_suffix(".plan.json")

    result = run("apply", target, *arguments)

    assert result.exit_code == 1
    assert message in result.stderr


def test_the_json_report_of_apply_names_the_digest_of_the_plan_it_applied(
    db: Path, manifests: Path, tmp_path: Path
) -> None:
    path = tmp_path / "pr.plan.json"
    digest, _, _ = planned(db, manifests, path)

    result = run("apply", path, "--local", db, "--output", "json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["plan_digest"] == digest


def test_plan_makes_the_plan_files_text_once_for_its_digest_and_the_file(
    db: Path, manifests: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # At a million versions the text takes seconds to make: the digest and the file share one.
    made: list[object] = []
    chunks = planfile.plan_chunks

    def counted(plan: Plan) -> Iterator[str]:
        made.append(plan)
        return chunks(plan)

    monkeypatch.setattr(planfile, "plan_chunks", counted)
    path = tmp_path / "pr.plan.json"

    digest, _, _ = planned(db, manifests, path)

    assert digest == sha256(path)
    assert len(made) == 1
