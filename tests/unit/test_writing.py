"""Values the tool writes into manifests read back as the same strings."""

from __future__ import annotations

import os

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.manifest.writing import yaml_scalar

_WORDS = st.sampled_from(["1.10", "true", "no", "null", "0x1F", "1_000", "2026-01-01", "2026-13-01", "1e3"])
_TEXTS = (
    _WORDS
    | st.text(alphabet="abyNnulTrex0123456789._-: #'\"", min_size=1, max_size=12)
    | st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=6)
)


@settings(
    max_examples=int(os.environ.get("RECONCILER_FUZZ_EXAMPLES", "300")), derandomize=True, database=None
)
@given(text=_TEXTS)
def test_a_written_value_reads_back_as_the_same_string_and_is_plain_when_safe_load_agrees(text: str) -> None:
    written = yaml_scalar(text)

    assert yaml.safe_load(f"key: {written}")["key"] == text
    try:
        plain_reads_back = yaml.safe_load(text) == text
    except (yaml.YAMLError, ValueError):
        plain_reads_back = False  # 2026-13-01 looks like a date and is none: it stays quoted
    if written == text:
        assert plain_reads_back
    elif plain_reads_back and text.strip() == text and text[:1].isalnum():
        # Plain text of the characters names are made of is never quoted needlessly.
        assert not set(text) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
