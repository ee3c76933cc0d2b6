#!/usr/bin/env bash
# Quickstart: the whole reconciler workflow against the local CodeArtifact service, in a minute.
#
#   bash quickstart.sh        (needs `reconciler` on PATH, e.g. after `pip install -e .`)
#
# It starts from a fresh local database (.reconciler/quickstart.db) seeded with the example data
# in manifests/local/, then validates, plans and applies the example manifests in manifests/, and
# shows that a second plan is empty and that nothing has drifted. Nothing here talks to AWS.
set -euo pipefail

cd "$(dirname "$0")"

DB=.reconciler/quickstart.db
PLAN=plans/quickstart.plan.json

heading() { printf '\n=== %s ===\n\n' "$*"; }
run() {
  printf '$ %s\n' "$*"
  "$@"
}

heading "1. A fresh local CodeArtifact service, seeded with the example data"
rm -f "$DB" "$DB-wal" "$DB-shm"
mkdir -p "$(dirname "$DB")" "$(dirname "$PLAN")"
run reconciler local seed manifests/local/example-data.yaml --db "$DB"

heading "2. Validate the manifests (offline: every problem of every file, with its line)"
run reconciler validate manifests

heading "3. Plan: what would change, one line per package"
run reconciler plan manifests --local "$DB" -o "$PLAN" --summary

heading "3b. The same, for one file: every version, and the pin or rule that decided it"
run reconciler plan manifests/prod/python.yaml --local "$DB" -o plans/quickstart-python.plan.json

heading "4. Apply exactly the saved plan (a full record of the calls is kept next to it)"
# The examples declare one version Deleted (manifests/prod/python.yaml): apply refuses a plan that
# deletes unless --allow-delete says the deletes were reviewed.
printf '$ reconciler apply %s --local %s --allow-delete > plans/quickstart.apply.txt\n' "$PLAN" "$DB"
reconciler apply "$PLAN" --local "$DB" --allow-delete >plans/quickstart.apply.txt
run tail -n 4 plans/quickstart.apply.txt

heading "5. Plan again: live state now matches the manifests"
# --detailed-exitcode exits 2 when there are changes: this is how CI spots a pending plan.
run reconciler plan manifests --local "$DB" -o plans/quickstart-again.plan.json --detailed-exitcode

heading "6. Drift: has anything moved away from the manifests since?"
run reconciler drift manifests --local "$DB"

heading "Done"
cat <<TEXT
Next steps:
  reconciler show $PLAN               every version the first plan changed, and why
  reconciler local serve --db $DB     the same data over HTTP, for boto3 and the AWS CLI
  Edit a file in manifests/ (start with manifests/prod/web-sdk.yaml), then plan again.
TEXT
