"""Read manifest files into the desired state, reporting every problem as `FILE:LINE: field.path: message`.

Every `*.yaml` / `*.yml` file under the given paths (files or directories) is read, recursively, in
sorted order; when walking a directory, files and directories whose names start with '.' are skipped
(a `.github/` folder holds YAML that is not a manifest). A file named on the command line is read
whatever its name. A file may hold several documents separated by `---`: empty documents are
skipped, and so are documents of kind `LocalSeed` (example data for the local CodeArtifact service,
see `reconciler.local.seed`), so that one folder can hold both.

All problems of all files are collected and raised together as one `ManifestError`: YAML syntax,
unreadable files, duplicate keys, unquoted version keys, aliases that expand a document beyond
`MAX_ALIAS_VALUES` values, schema violations, a `copy_from` naming the target repository itself
and the same package declared twice. Bad input never ends in a traceback.

The steps, one module each:

- `discovery`: which files are read, in which order;
- `yamlsource`: YAML as plain data with the line of every key, and what YAML lets pass but a manifest
  must not hold;
- `documents`: each document on its own, structure then schema (the pydantic models of
  `reconciler.models`, their problems worded by `reconciler.problems`);
- `crossfile`: what only the whole set shows: domain owners, packages declared twice;
- `loader`: the sequence, and the digest of what was read;
- `schema`: the JSON Schema for editors and the words for the manifest's own keys.
"""

from __future__ import annotations

from reconciler.manifest.discovery import SUFFIXES
from reconciler.manifest.documents import SKIPPED_KINDS
from reconciler.manifest.loader import load_manifests
from reconciler.manifest.schema import SCHEMA_ID, json_schema
from reconciler.manifest.yamlsource import MAX_ALIAS_VALUES, MAX_DEPTH

# The wording of problems lives in reconciler.problems; these two are how manifest messages show keys and values.
from reconciler.problems import describe, render_path

__all__ = [
    "MAX_ALIAS_VALUES",
    "MAX_DEPTH",
    "SCHEMA_ID",
    "SKIPPED_KINDS",
    "SUFFIXES",
    "describe",
    "json_schema",
    "load_manifests",
    "render_path",
]
