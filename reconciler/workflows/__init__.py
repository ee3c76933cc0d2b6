"""Use cases: the only place that sequences reads, planning, checks and writes.

`planning` (read and plan), `applying` (apply a saved or a fresh plan), `drifting` and `importing`;
`reading` is the read orchestration they share. Commands call exactly one of them.
"""
