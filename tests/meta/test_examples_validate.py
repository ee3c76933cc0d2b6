"""The example manifests in manifests/ are valid, and together they show every key of the format.

The key coverage is computed from the pydantic models, so adding a key (or a choice of an enumerated
key) to the format without writing an example for it fails here.
"""

from __future__ import annotations

import enum
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pytest
import yaml
from pydantic import BaseModel, BeforeValidator

from reconciler.manifest import load_manifests
from reconciler.models import InUseFile, Manifest, PackageEntry, Pin

MANIFESTS = Path(__file__).parents[2] / "manifests"
SEED_DIR = MANIFESTS / "local"
EXAMPLES = sorted(
    path for path in MANIFESTS.rglob("*") if path.suffix in (".yaml", ".yml") and SEED_DIR not in path.parents
)


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def manifest_documents() -> list[dict[str, Any]]:
    return [doc for path in EXAMPLES for doc in documents(path) if doc.get("kind") == "PackageLifecycle"]


def _unwrap(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _alternatives(annotation: Any) -> list[Any]:
    annotation = _unwrap(annotation)
    if get_origin(annotation) in (Union, types.UnionType):
        return [_unwrap(arg) for arg in get_args(annotation)]
    return [annotation]


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _before_validators(annotation: Any) -> list[BeforeValidator]:
    if get_origin(annotation) is not Annotated:
        return []
    return [item for item in get_args(annotation)[1:] if isinstance(item, BeforeValidator)]


def models_in(annotation: Any, value: Any) -> Iterator[tuple[type[BaseModel], dict[Any, Any]]]:
    """Each (model, mapping) that `annotation` reads `value` (plain YAML data) as, at any depth.

    Shorthands are expanded first, as the model does: `"1.2.3": Archived` is the Pin {status: Archived}.
    """
    for validator in _before_validators(annotation):
        value = validator.func(value)  # type: ignore[call-arg]
    for option in _alternatives(annotation):
        origin = get_origin(option)
        if origin is list and isinstance(value, list):
            for item in value:
                yield from models_in(get_args(option)[0], item)
        elif origin is dict and isinstance(value, dict):
            for item in value.values():
                yield from models_in(get_args(option)[1], item)
        elif _is_model(option) and isinstance(value, dict):
            yield option, value


def nested_models(annotation: Any) -> Iterator[type[BaseModel]]:
    for option in _alternatives(annotation):
        if _is_model(option):
            yield option
        for arg in get_args(option):
            yield from nested_models(arg)


def all_models(root: type[BaseModel] = Manifest) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = [root]
    for model in found:
        for field in model.model_fields.values():
            found.extend(m for m in nested_models(field.annotation) if m not in found)
    return found


def written(root: type[BaseModel] = Manifest) -> dict[type[BaseModel], list[dict[Any, Any]]]:
    """Every mapping of the examples, by the model that reads it."""
    by_model: dict[type[BaseModel], list[dict[Any, Any]]] = {model: [] for model in all_models(root)}
    pending = [(root, doc) for doc in manifest_documents()]
    while pending:
        model, mapping = pending.pop()
        by_model[model].append(mapping)
        for name, field in model.model_fields.items():
            if name in mapping:
                pending.extend(models_in(field.annotation, mapping[name]))
    return by_model


def choices(annotation: Any) -> set[str]:
    """The values an enumerated key accepts (a Literal or an Enum, possibly optional); else none."""
    values: set[str] = set()
    for option in _alternatives(annotation):
        if get_origin(option) is Literal:
            values.update(str(arg) for arg in get_args(option))
        elif isinstance(option, type) and issubclass(option, enum.Enum):
            values.update(str(member.value) for member in option)
    return values


def test_the_examples_directory_holds_several_manifest_files_besides_the_seed_data() -> None:
    assert len(EXAMPLES) >= 5
    assert (SEED_DIR / "example-data.yaml").is_file()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: str(path.relative_to(MANIFESTS)))
def test_each_example_file_validates_on_its_own(path: Path) -> None:
    desired = load_manifests([path])

    assert desired.entries, f"{path} declares no package entry"


def test_the_whole_examples_directory_validates_and_skips_the_local_seed_documents() -> None:
    desired = load_manifests([MANIFESTS])

    seed_files = {str(path) for path in SEED_DIR.rglob("*.yaml")}
    assert seed_files, "the seed data moved: update SEED_DIR"
    assert not any(entry.origin.path in seed_files for entry in desired.entries)
    assert not any(origin.path in seed_files for origin in desired.manifests)
    assert len(desired.manifests) == len(manifest_documents())


def test_the_key_walk_reaches_every_model_of_the_format() -> None:
    # Guards the coverage tests below: if the walk missed a model, it would check nothing about it.
    assert {model.__name__ for model in all_models()} >= {"Manifest", "Target", "PackageEntry", "Pin", "Rule"}
    assert all(written()[model] for model in all_models())


@pytest.mark.parametrize("model", all_models(), ids=lambda model: model.__name__)
def test_every_key_of_the_format_appears_in_some_example(model: type[BaseModel]) -> None:
    used = {key for mapping in written()[model] for key in mapping}

    missing = sorted(set(model.model_fields) - used)

    assert not missing, f"no example in manifests/ writes these {model.__name__} keys: {missing}"


# Enumerated keys whose choices need not each have an example, and why.
CHOICES_SHOWN_ELSEWHERE = {
    # Its statuses are the ones rules and pins declare (each shown there); `otherwise: Disposed`
    # in an example would invite copying a manifest that disposes everything it does not name.
    (PackageEntry, "otherwise"),
    # One kind per lockfile format: docs/manifest.md tables them all with the file names that imply
    # them, and tests/unit/test_lockfiles.py reads each; the examples need only the one no name implies.
    (InUseFile, "kind"),
}


def test_every_choice_of_every_enumerated_key_appears_in_some_example() -> None:
    by_model = written()
    missing: list[str] = []
    for model in all_models():
        for name, field in model.model_fields.items():
            if (model, name) in CHOICES_SHOWN_ELSEWHERE:
                continue
            used = {str(mapping[name]) for mapping in by_model[model] if name in mapping}
            missing.extend(
                f"{model.__name__}.{name}: {value}" for value in sorted(choices(field.annotation) - used)
            )

    assert not missing, f"no example in manifests/ uses: {missing}"


def test_keys_that_take_one_value_or_a_list_are_shown_both_ways() -> None:
    by_model = written()
    missing: list[str] = []
    for model in all_models():
        for name, field in model.model_fields.items():
            one_or_many = any(
                isinstance(item, BeforeValidator)
                and any(get_origin(option) is list for option in _alternatives(item.json_schema_input_type))
                for item in field.metadata
            )
            if not one_or_many:
                continue
            values = [mapping[name] for mapping in by_model[model] if name in mapping]
            if not any(isinstance(value, list) for value in values):
                missing.append(f"{model.__name__}.{name} as a list")
            if not any(not isinstance(value, list) for value in values):
                missing.append(f"{model.__name__}.{name} as a single value")

    assert not missing, f"no example in manifests/ writes: {missing}"


def test_pins_are_shown_in_shorthand_and_long_form() -> None:
    pins = [pin for entry in written()[PackageEntry] for pin in entry.get("versions", {}).values()]

    assert any(isinstance(pin, str) for pin in pins), 'no shorthand pin ("1.2.3": Published)'
    assert any(isinstance(pin, dict) for pin in pins), 'no long-form pin ("1.2.3": {status: ...})'
    assert written()[Pin]


def test_every_status_is_declared_by_some_pin_and_some_rule() -> None:
    statuses = set(get_args(Pin.model_fields["status"].annotation))
    entries = written()[PackageEntry]
    pin_statuses = {
        pin if isinstance(pin, str) else pin["status"]
        for entry in entries
        for pin in entry.get("versions", {}).values()
    }
    rule_statuses = {rule["status"] for entry in entries for rule in entry.get("rules", [])}

    assert pin_statuses == statuses
    assert rule_statuses == statuses


def test_a_multi_document_file_is_among_the_examples() -> None:
    assert any(len(documents(path)) > 1 for path in EXAMPLES)


def test_a_glob_entry_and_an_exact_entry_it_matches_share_a_target_in_the_examples() -> None:
    entries = load_manifests([MANIFESTS]).entries
    globs = [declared for declared in entries if declared.entry.is_glob]

    beaten = [
        (glob.origin, exact.origin)
        for glob in globs
        for exact in entries
        if not exact.entry.is_glob
        and exact.target == glob.target
        and (exact.entry.format, exact.entry.namespace) == (glob.entry.format, glob.entry.namespace)
        and glob.entry.matches(exact.entry.name)
    ]

    assert globs
    assert beaten


def test_the_examples_cover_every_package_format_and_both_scoped_and_unscoped_npm() -> None:
    entries = [declared.entry for declared in load_manifests([MANIFESTS]).entries]
    npm = [entry for entry in entries if entry.format == "npm"]

    assert {entry.format.value for entry in entries} == choices(
        PackageEntry.model_fields["format"].annotation
    )
    assert any(entry.namespace for entry in npm)
    assert any(entry.namespace is None for entry in npm)


def test_otherwise_is_shown_both_leaving_versions_alone_and_setting_a_status() -> None:
    used = {entry["otherwise"] for entry in written()[PackageEntry] if "otherwise" in entry}

    assert "ignore" in used
    assert used - {"ignore"}
