"""The problems of one reading of manifests, in the order a person fixes them: by file, then line."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Report:
    """Problems as they are found, each with the index of its file in reading order (-1: before any
    file, such as a path that does not exist) and its line (0: the whole file)."""

    problems: list[tuple[int, int, int, str]] = field(default_factory=list)

    def add(self, file_index: int, line: int, text: str) -> None:
        # The running count keeps problems of one line in the order they were found.
        self.problems.append((file_index, line, len(self.problems), text))

    def sorted(self) -> list[str]:
        return [text for *_, text in sorted(self.problems)]
