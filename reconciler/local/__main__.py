"""`python -m reconciler.local` is `reconciler local`."""

from reconciler.local.cli import local

local()
