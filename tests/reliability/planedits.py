"""Edits of a plan file's document, for fuzz-plans: each says whether it leaves the plan consistent.

An edit is `(rng, document) -> (document, kind)`; the kind is `INCONSISTENT` when the edited plan
breaks one of the planner's invariants (reconciler/verify.py) and must be refused before any call,
`CONSISTENT` when it is a plan the planner could have made (apply may carry it out, or refuse it for
its limits), and `ANY` when the edit is blind (a field replaced by any value) and either may be true.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from typing import Any

from tests.reliability import generators as gen

INCONSISTENT, CONSISTENT, ANY = "inconsistent", "consistent", "any"
Document = dict[str, Any]
Edit = Callable[[random.Random, Document], tuple[Document, str]]
STATUSES = ["Published", "Unlisted", "Archived", "Disposed", "Deleted", "Unfinished"]
KINDS = ["copy", "update-status", "dispose", "delete"]
PHASE = {"copy": 0, "update-status": 1, "dispose": 2, "delete": 3}
SUMMARY_OF = {"copy": "to_copy", "update-status": "to_update", "dispose": "to_dispose", "delete": "to_delete"}


def _actions(document: Document, *kinds: str, settling: bool | None = None) -> list[int]:
    """The indexes of the actions of these kinds (all kinds when none given); `settling` True or
    False keeps only the updates that do, or do not, carry a source repository."""
    found = []
    for index, action in enumerate(document["actions"]):
        if kinds and action["kind"] not in kinds:
            continue
        if settling is not None and bool(action.get("source_repository")) != settling:
            continue
        found.append(index)
    return found


def _recount(document: Document) -> Document:
    """The summary's counts made the plan's own again."""
    counts = dict.fromkeys(SUMMARY_OF.values(), 0)
    for action in document["actions"]:
        counts[SUMMARY_OF[action["kind"]]] += len(action["versions"])
    document["summary"].update(counts)
    return document


# --- inconsistent edits


def kind_swapped(rng: random.Random, document: Document) -> tuple[Document, str]:
    """An action's kind changed, its statuses left: a dispose to Archived, a copy that disposes."""
    index = rng.choice(_actions(document))
    action = document["actions"][index]
    action["kind"] = rng.choice([kind for kind in KINDS if kind != action["kind"]])
    return _recount(document), INCONSISTENT


def target_swapped(rng: random.Random, document: Document) -> tuple[Document, str]:
    """An action's target status changed, its versions' `after` left."""
    action = document["actions"][rng.choice(_actions(document))]
    action["target_status"] = rng.choice([status for status in STATUSES if status != action["target_status"]])
    return document, INCONSISTENT


def after_swapped(rng: random.Random, document: Document) -> tuple[Document, str]:
    action = document["actions"][rng.choice(_actions(document))]
    change = rng.choice(action["versions"])
    change["after"] = rng.choice([status for status in STATUSES if status != change["after"]])
    return document, INCONSISTENT


def prior_swapped(rng: random.Random, document: Document) -> tuple[Document, str]:
    action = document["actions"][rng.choice(_actions(document))]
    change = rng.choice(action["versions"])
    change["prior_status"] = rng.choice([status for status in STATUSES if status != change["prior_status"]])
    return document, INCONSISTENT


def version_doubled(rng: random.Random, document: Document) -> tuple[Document, str]:
    """A version twice in its action (counts fixed)."""
    action = document["actions"][rng.choice(_actions(document))]
    action["versions"].insert(
        rng.randint(0, len(action["versions"])), copy.deepcopy(rng.choice(action["versions"]))
    )
    return _recount(document), INCONSISTENT


def action_doubled(rng: random.Random, document: Document) -> tuple[Document, str]:
    """An action twice in a row (counts fixed): its versions are changed twice by one kind of action."""
    index = rng.choice(_actions(document))
    document["actions"].insert(index + 1, copy.deepcopy(document["actions"][index]))
    return _recount(document), INCONSISTENT


def source_added(rng: random.Random, document: Document) -> tuple[Document, str]:
    """A source repository on a dispose, a delete or an update that settles no copy."""
    candidates = _actions(document, "dispose", "delete") + _actions(document, "update-status", settling=False)
    action = document["actions"][rng.choice(candidates)]
    action["source_repository"] = rng.choice(["staging", "npm-proxy", "prod", "elsewhere"])
    return document, INCONSISTENT


def own_source(rng: random.Random, document: Document) -> tuple[Document, str]:
    action = document["actions"][rng.choice(_actions(document, "copy"))]
    action["source_repository"] = action["package"]["repository"]
    return document, INCONSISTENT


def flags_added(rng: random.Random, document: Document) -> tuple[Document, str]:
    action = document["actions"][rng.choice(_actions(document, "update-status", "dispose", "delete"))]
    action[rng.choice(["allow_overwrite", "include_from_upstream"])] = True
    return document, INCONSISTENT


def over_the_call_limit(rng: random.Random, document: Document) -> tuple[Document, str]:
    """An action of more than 100 versions, each consistent with it (counts fixed)."""
    action = document["actions"][rng.choice(_actions(document))]
    model = action["versions"][0]
    for number in range(101 - len(action["versions"]) + rng.randint(0, 50)):
        action["versions"].append({**model, "version": f"99.{number}.0"})
    return _recount(document), INCONSISTENT


def out_of_order(rng: random.Random, document: Document) -> tuple[Document, str]:
    """A later phase's action moved before an earlier phase's one."""
    actions = document["actions"]
    late = rng.choice(
        _actions(document, "dispose", "delete") + _actions(document, "update-status", settling=False)
    )
    early = [index for index in range(late) if PHASE[actions[index]["kind"]] < PHASE[actions[late]["kind"]]]
    moved = actions.pop(late)
    actions.insert(rng.choice(early), moved)
    return document, INCONSISTENT


def owner_changed(rng: random.Random, document: Document) -> tuple[Document, str]:
    """One action's domain owner, or the target's record of it, or an action's domain, changed."""
    pick = rng.random()
    if pick < 0.4:
        action = document["actions"][rng.choice(_actions(document))]
        action["package"]["domain_owner"] = rng.choice(["999999999999", "111122223334", "0" * 12])
    elif pick < 0.7:
        # A plan of one Region records its `target`; a plan of several, one per Region in `targets`.
        target = document["target"] if "target" in document else rng.choice(document["targets"])
        target["domains"] = dict.fromkeys(target["domains"], "999999999999")
        # Only an action that names its domain's owner contradicts the target's record. When none
        # does (an owner left to the caller's account), the edit is a plan made against another
        # account: consistent, and refused by apply once it reads the domain's owner.
        if not _names_an_owner(document, target):
            return document, CONSISTENT
    else:
        action = document["actions"][rng.choice(_actions(document))]
        action["package"]["domain"] = rng.choice(["other", "acme2", ""])
    return document, INCONSISTENT


def _names_an_owner(document: Document, target: Document) -> bool:
    """Whether an action of `target` (the plan's only one, or the one of its Region) names the owner
    of one of the target's domains, for its package or its source."""
    region = target.get("region") if "targets" in document else None
    for action in document["actions"]:
        for package in (action["package"], action.get("source")):
            if not package or package.get("region") != region:
                continue
            if package.get("domain") in target["domains"] and package.get("domain_owner") is not None:
                return True
    return False


def count_changed(rng: random.Random, document: Document) -> tuple[Document, str]:
    name = rng.choice(["to_copy", "to_update", "to_dispose", "to_delete", "cannot_converge"])
    document["summary"][name] = document["summary"].get(name, 0) + rng.choice([-1, 1, 7, 1000])
    return document, INCONSISTENT


def updated_and_disposed(rng: random.Random, document: Document) -> tuple[Document, str]:
    """A version of a plain update also disposed by a new dispose of the same package (counts fixed)."""
    source = document["actions"][rng.choice(_actions(document, "update-status", settling=False))]
    change = {**rng.choice(source["versions"]), "after": "Disposed"}
    change["prior_status"] = source["expected_status"]
    dispose = {**copy.deepcopy(source), "kind": "dispose", "target_status": "Disposed", "versions": [change]}
    document["actions"].append(dispose)
    return _recount(document), INCONSISTENT


def disposed_and_deleted(rng: random.Random, document: Document) -> tuple[Document, str]:
    """A version a dispose disposes also deleted by a new delete of the same package (counts fixed):
    a version is disposed or deleted, never both in one plan."""
    source = document["actions"][rng.choice(_actions(document, "dispose"))]
    change = {**rng.choice(source["versions"]), "after": "Deleted"}
    delete = {**copy.deepcopy(source), "kind": "delete", "target_status": "Deleted", "versions": [change]}
    document["actions"].append(delete)
    return _recount(document), INCONSISTENT


def deleting_what_is_gone(rng: random.Random, document: Document) -> tuple[Document, str]:
    """A delete that expects its versions to be Deleted already (or Unfinished): no plan deletes a
    version it did not see there."""
    action = document["actions"][rng.choice(_actions(document, "delete"))]
    action["expected_status"] = rng.choice(["Deleted", "Unfinished"])
    for change in action["versions"]:
        change["prior_status"] = action["expected_status"]
    return document, INCONSISTENT


# --- consistent edits


def archive_deleted(rng: random.Random, document: Document) -> tuple[Document, str]:
    """An update to Archived turned into a delete everywhere it shows, moved to the deletes, counts
    fixed: a plan the planner could have made (apply carries it out only with --allow-delete)."""
    candidates = [
        index
        for index in _actions(document, "update-status", settling=False)
        if document["actions"][index]["target_status"] == "Archived"
    ]
    action = document["actions"].pop(rng.choice(candidates))
    action.update(kind="delete", target_status="Deleted")
    for change in action["versions"]:
        change["after"] = "Deleted"
    document["actions"].append(action)
    return _recount(document), CONSISTENT


def archive_disposed(rng: random.Random, document: Document) -> tuple[Document, str]:
    """An update to Archived turned into a dispose everywhere it shows, moved to the disposes, counts
    fixed: a plan the planner could have made, but not the one reviewed."""
    candidates = [
        index
        for index in _actions(document, "update-status", settling=False)
        if document["actions"][index]["target_status"] == "Archived"
    ]
    action = document["actions"].pop(rng.choice(candidates))
    action.update(kind="dispose", target_status="Disposed")
    for change in action["versions"]:
        change["after"] = "Disposed"
    document["actions"].append(action)
    return _recount(document), CONSISTENT


def retargeted(rng: random.Random, document: Document) -> tuple[Document, str]:
    """A plain update's target status changed to another it may have, `after`s with it."""
    index = rng.choice(_actions(document, "update-status", settling=False))
    action = document["actions"][index]
    choices = [
        s
        for s in ("Published", "Unlisted", "Archived")
        if s not in (action["expected_status"], action["target_status"])
    ]
    if not choices:
        return document, CONSISTENT
    action["target_status"] = rng.choice(choices)
    for change in action["versions"]:
        change["after"] = action["target_status"]
    return document, CONSISTENT


def action_dropped(rng: random.Random, document: Document) -> tuple[Document, str]:
    """An action left out, counts fixed (a copy's settling update may then settle nothing: any)."""
    del document["actions"][rng.choice(_actions(document))]
    return _recount(document), ANY


def version_dropped(rng: random.Random, document: Document) -> tuple[Document, str]:
    action = document["actions"][rng.choice(_actions(document))]
    del action["versions"][rng.randrange(len(action["versions"]))]
    if not action["versions"]:
        document["actions"].remove(action)
    return _recount(document), ANY


def sizes_changed(rng: random.Random, document: Document) -> tuple[Document, str]:
    """`package_versions` edited: limits come from live state, so this bends nothing."""
    sizes = document["package_versions"]
    for name in rng.sample(sorted(sizes), rng.randint(1, len(sizes))):
        sizes[name] = rng.choice([0, 1, 10**6, sizes[name] * 100])
    return document, CONSISTENT


def words_changed(rng: random.Random, document: Document) -> tuple[Document, str]:
    """A reason or the creation time reworded."""
    if rng.random() < 0.5:
        document["created_at"] = "1970-01-01T00:00:00+00:00"
    else:
        action = document["actions"][rng.choice(_actions(document))]
        rng.choice(action["versions"])["reason"] = gen.text(rng, rng.randint(0, 40))
    return document, CONSISTENT


def field_changed(rng: random.Random, document: Document) -> tuple[Document, str]:
    """Any field replaced, removed, retyped or nested, or one added: blind."""
    return gen.changed(rng, document), ANY


EDITS: list[Edit] = [
    kind_swapped,
    target_swapped,
    after_swapped,
    prior_swapped,
    version_doubled,
    action_doubled,
    source_added,
    own_source,
    flags_added,
    over_the_call_limit,
    out_of_order,
    owner_changed,
    count_changed,
    updated_and_disposed,
    disposed_and_deleted,
    deleting_what_is_gone,
    archive_disposed,
    archive_deleted,
    archive_disposed,
    retargeted,
    retargeted,
    action_dropped,
    version_dropped,
    sizes_changed,
    words_changed,
    field_changed,
    field_changed,
    field_changed,
]
