"""One module per command that talks to CodeArtifact; `reconciler.cli` registers them."""
