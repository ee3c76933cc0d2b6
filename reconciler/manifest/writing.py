"""Manifest text the tool writes itself (`import`, `drift --accept-into`): the head of a document for
one target repository, and values written so that YAML reads them back as the same strings."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from reconciler.models import API_VERSION, KIND

_PLAIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._\-]*$")
_STR_TAG = "tag:yaml.org,2002:str"
# The resolver `yaml.safe_load` uses: which type a plain scalar's text is read as.
_RESOLVER: Any = yaml.resolver.Resolver()


def yaml_scalar(text: str) -> str:
    """`text` plain when YAML reads it back as the same string, else double-quoted. Text of these
    characters, starting with none of YAML's indicators, is one plain scalar: the resolver alone
    says whether it is read as a string (not as 1.10, true, null or a date), without parsing it."""
    if _PLAIN.match(text) and _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == _STR_TAG:
        return text
    return json.dumps(text, ensure_ascii=False)


def document_head(domain: str, repository: str, domain_owner: str | None, region: str | None) -> list[str]:
    """`apiVersion`, `kind` and `target` of a document for one repository (the owner always quoted:
    YAML would read twelve digits as a number)."""
    lines = [f"apiVersion: {API_VERSION}", f"kind: {KIND}", "target:", f"  domain: {yaml_scalar(domain)}"]
    if domain_owner:
        lines.append(f"  domain_owner: {json.dumps(domain_owner)}")
    if region:
        lines.append(f"  region: {yaml_scalar(region)}")
    lines.append(f"  repository: {yaml_scalar(repository)}")
    return lines
