"""Output files: a regular or new file is replaced whole, anything else at the path is written into."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from reconciler import files
from reconciler.files import is_special, write_output


def read_fifo_in_background(path: Path) -> tuple[threading.Thread, list[str]]:
    """A reader on the FIFO (a writer blocks until one opens it), collecting what it reads."""
    received: list[str] = []

    def read() -> None:
        with open(path, encoding="utf-8") as stream:
            received.append(stream.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader, received


def test_a_new_file_is_written_in_folders_it_creates_with_the_usual_permissions(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "plan.json"
    umask = os.umask(0o022)
    try:
        write_output(path, "{}\n")
    finally:
        os.umask(umask)

    assert path.read_text() == "{}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # not mkstemp's private 0600


def test_a_regular_file_is_replaced_whole_and_keeps_its_permissions(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text("old, longer content\n")
    path.chmod(0o640)
    inode = path.stat().st_ino

    write_output(path, "new\n")

    assert path.read_text() == "new\n"
    assert path.stat().st_ino != inode  # renamed into place, not rewritten in place
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_symbolic_link_is_followed_and_its_target_replaced(tmp_path: Path) -> None:
    target = tmp_path / "real" / "plan.json"
    target.parent.mkdir()
    target.write_text("old\n")
    link = tmp_path / "latest.plan.json"
    link.symlink_to(target)

    write_output(link, "new\n")

    assert link.is_symlink() and link.readlink() == target
    assert target.read_text() == "new\n"


def test_a_dangling_symbolic_link_gets_its_target_created(tmp_path: Path) -> None:
    link = tmp_path / "latest.plan.json"
    link.symlink_to(tmp_path / "plans" / "new.plan.json")

    write_output(link, "new\n")

    assert link.is_symlink()
    assert (tmp_path / "plans" / "new.plan.json").read_text() == "new\n"


def test_a_link_to_a_regular_file_is_kept_without_replace(tmp_path: Path) -> None:
    target = tmp_path / "kept.yaml"
    target.write_text("kept\n")
    link = tmp_path / "link.yaml"
    link.symlink_to(target)

    with pytest.raises(FileExistsError):
        write_output(link, "new\n", replace=False)
    assert target.read_text() == "kept\n" and link.is_symlink()


@pytest.mark.parametrize("replace", [True, False])
def test_a_fifo_is_written_into_and_stays_a_fifo(tmp_path: Path, replace: bool) -> None:
    fifo = tmp_path / "plan.fifo"
    os.mkfifo(fifo)
    reader, received = read_fifo_in_background(fifo)

    write_output(fifo, "through the pipe\n", replace=replace)
    reader.join(timeout=30)

    assert received == ["through the pipe\n"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["plan.fifo"]  # no temporary file left


def test_a_device_is_written_into_and_never_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    # /dev/null is only written to: a replacing write would fail loudly here instead of replacing it.
    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("a device must never be replaced")

    monkeypatch.setattr(files, "write_atomically", never)
    monkeypatch.setattr(files.os, "replace", never)
    monkeypatch.setattr(files.os, "link", never)
    assert is_special(Path("/dev/null"))

    write_output(Path("/dev/null"), "discarded\n")
    write_output(Path("/dev/null"), "discarded\n", replace=False)

    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        write_output(tmp_path, "x")
    assert not is_special(tmp_path) and not is_special(tmp_path / "missing")
