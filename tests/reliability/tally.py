"""Counting trials and violations per invariant, and printing them as `N trials, V violations`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

# How many violations of one invariant are kept with their detail: enough to reproduce and debug.
_KEPT = 5


@dataclass
class Invariant:
    name: str
    trials: int = 0
    violations: int = 0
    examples: list[str] = field(default_factory=list)


@dataclass
class Tally:
    """Every invariant a suite checks, in the order it first checked them.

    `check(name, holds, detail)` counts one trial of an invariant; a violation keeps its detail
    (which should name the trial and its seed, so it can be run again alone).
    """

    suite: str
    seed: int
    invariants: dict[str, Invariant] = field(default_factory=dict)

    def declare(self, names: Iterable[str]) -> None:
        """Name invariants up front, so one never checked still shows, with 0 trials."""
        for name in names:
            self.invariants.setdefault(name, Invariant(name))

    def check(self, name: str, holds: bool, detail: str = "") -> bool:
        invariant = self.invariants.setdefault(name, Invariant(name))
        invariant.trials += 1
        if not holds:
            invariant.violations += 1
            if len(invariant.examples) < _KEPT:
                invariant.examples.append(detail)
        return holds

    @property
    def violations(self) -> int:
        return sum(invariant.violations for invariant in self.invariants.values())

    def lines(self) -> list[str]:
        width = max((len(name) for name in self.invariants), default=0)
        out = [f"{self.suite} (seed {self.seed})"]
        for invariant in self.invariants.values():
            out.append(
                f"  {invariant.name:<{width}}  {invariant.trials} trials, {invariant.violations} violations"
            )
            out.extend(f"    - {example}" for example in invariant.examples)
        return out

    def summary(self) -> str:
        return "\n".join(self.lines())
