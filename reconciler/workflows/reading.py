"""Reading what the manifests speak about: domains, glob names, upstream chains, then every package
once, reads for different packages in parallel."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from reconciler.addresses import PackageRef
from reconciler.aws import reads
from reconciler.aws.spread import Spread
from reconciler.errors import AwsError, ReconcilerError
from reconciler.models import DesiredState
from reconciler.planner import PlannedAhead
from reconciler.scope import glob_scopes, read_specs, resolve_entries, upstream_sources
from reconciler.state import LiveState, PackageScope, PackageState, ReadSpec


def read_live_state(
    client: Any,
    desired: DesiredState,
    now: float,
    max_workers: int = 8,
    grace_seconds: float | None = None,
    spread: Spread | None = None,
    ahead: PlannedAhead | None = None,
) -> LiveState:
    """Everything the manifests speak about, read once.

    With `grace_seconds`, every package is listed by publish time and the versions published in
    the last `grace_seconds` are located (drift's --grace). With `spread`, the packages are read
    by as many processes as it decides (`aws.spread`), with the same result; when other processes read,
    each package is planned as soon as it is read, into `ahead` (`planner.PlannedAhead`).
    """
    return _LiveReader(client, max_workers, spread, ahead).read(desired, now, grace_seconds)


class _LiveReader:
    def __init__(
        self, client: Any, max_workers: int, spread: Spread | None, ahead: PlannedAhead | None
    ) -> None:
        self.client = client
        self.max_workers = max_workers
        self.spread = spread
        self.ahead = ahead
        self.lock = threading.Lock()

    def read(self, desired: DesiredState, now: float, grace_seconds: float | None) -> LiveState:
        live = LiveState(now=now)
        domains = sorted({(d.target.domain, d.target.domain_owner) for d in desired.entries}, key=str)
        for domain, owner in domains:
            live.domain_owners[domain] = reads.domain_owner(self.client, domain, owner, live.calls)
        scopes = [(scope, prefix) for scope, prefixes in glob_scopes(desired).items() for prefix in prefixes]
        with ThreadPoolExecutor(max_workers=self.max_workers) as pool:
            for scope, names, calls in pool.map(lambda job: self._package_names(*job), scopes):
                live.package_names.setdefault(scope, set()).update(names)
                live.calls.update(calls)
            resolved = resolve_entries(desired, live.package_names)
            for source in upstream_sources(resolved):
                live.upstream_chains[source] = reads.upstream_chain(self.client, source, live.calls)
            specs = read_specs(resolved, now, grace_seconds, live.upstream_chains)
            # Planning each package as it comes pays when other processes read; alone, this
            # process's CPU is all reading's, and planning in between costs more than after.
            ahead = self.ahead if self.spread is not None and self.spread.elsewhere_for(len(specs)) else None
            if ahead is not None:
                ahead.expect(resolved)
            # In spec order, each as soon as it and those before it are read (all of them may be).
            packages = (
                self.spread.read_in_order(self.client, specs, ahead=len(specs))
                if self.spread is not None
                else pool.map(lambda spec: reads.read_package(self.client, spec), specs)
            )
            for spec, (state, calls) in zip(specs, packages, strict=True):
                if state is not None:
                    live.packages[state.ref] = state
                live.calls.update(calls)
                if ahead is not None:
                    ahead.read(spec.ref, state)
        return live

    def _package_names(self, scope: PackageScope, prefix: str) -> tuple[PackageScope, set[str], Counter[str]]:
        calls: Counter[str] = Counter()
        try:
            names = {
                name
                for format, namespace, name in reads.list_packages(
                    self.client, scope.repository, calls, format=scope.format, prefix=prefix
                )
                # ListPackages' namespace is a prefix filter: keep only this exact namespace.
                if format is scope.format and namespace == scope.namespace
            }
        except AwsError as error:
            if error.code != "ResourceNotFoundException":
                raise
            raise ReconcilerError(f"{scope.repository}: {error.message}") from None
        return scope, names, calls


def read_packages(
    client: Any, refs: Iterable[PackageRef], max_workers: int = 8
) -> tuple[dict[PackageRef, PackageState], Counter[str]]:
    """The current versions of the given packages (absent: the package does not exist)."""
    states: dict[PackageRef, PackageState] = {}
    total: Counter[str] = Counter()
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        for state, calls in pool.map(lambda ref: reads.read_package(client, ReadSpec(ref)), refs):
            if state is not None:
                states[state.ref] = state
            total.update(calls)
    return states, total
