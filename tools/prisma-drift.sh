#!/usr/bin/env bash
# Fails when committed Prisma artefacts no longer match prisma/schema.prisma:
#   1. the generated client in libs/shared/relational/src/generated/prisma differs from a
#      fresh `prisma generate`;
#   2. the committed migrations in prisma/migrations do not produce the schema
#      (`prisma migrate diff --from-migrations … --to-schema … --exit-code`).
# The second check replays the migrations in a temporary shadow database, so it needs a
# PostgreSQL server that allows CREATE DATABASE: DRIFT_DATABASE_URL, by default the local
# maintenance database. Nothing is written there; the shadow database is dropped again.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

generated="libs/shared/relational/src/generated/prisma"
drift_url="${DRIFT_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
# Shown in messages without credentials or query string.
shown_url="$(printf '%s' "${drift_url%%\?*}" | sed -E 's#//[^@/]*@#//#')"
failed=0

work="$(mktemp -d)"
cleanup() {
  # Put back exactly what was there before the check (a stale client stays stale, so a
  # developer sees the failure again until they regenerate and commit).
  if [[ -d "$work/before" ]]; then
    rm -rf "$generated"
    mkdir -p "$(dirname "$generated")"
    cp -R "$work/before" "$generated"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "prisma-drift: checking the generated client ($generated)"
if [[ -d "$generated" ]]; then
  cp -R "$generated" "$work/before"
else
  echo "prisma-drift: FAIL: $generated is missing; run 'npm run prisma:generate' and commit it." >&2
  failed=1
fi
if [[ $failed -eq 0 ]]; then
  bash tools/prisma.sh generate >"$work/generate.log" 2>&1 || {
    cat "$work/generate.log" >&2
    echo "prisma-drift: FAIL: prisma generate failed." >&2
    exit 1
  }
  if ! diff -r -u "$work/before" "$generated" >"$work/client.diff"; then
    head -n 80 "$work/client.diff" >&2
    echo "prisma-drift: FAIL: the committed Prisma client is stale. Run 'npm run prisma:generate' and commit $generated." >&2
    failed=1
  else
    echo "prisma-drift: generated client is up to date"
  fi
fi

echo "prisma-drift: checking prisma/migrations against prisma/schema.prisma (shadow database on $shown_url)"
if ! node -e '
  const { Client } = require("pg");
  const client = new Client({ connectionString: process.argv[1], connectionTimeoutMillis: 5000 });
  client.connect().then(() => client.end(), (error) => { console.error(error.message); process.exit(1); });
' "$drift_url" 2>"$work/connect.log"; then
  cat "$work/connect.log" >&2
  echo "prisma-drift: FAIL: cannot reach PostgreSQL at $shown_url (set DRIFT_DATABASE_URL, or start it with 'npm run services:up')." >&2
  exit 1
fi
set +e
DATABASE_URL="$drift_url" bash tools/prisma.sh migrate diff \
  --from-migrations prisma/migrations \
  --to-schema prisma/schema.prisma \
  --exit-code >"$work/migrate-diff.log" 2>&1
diff_status=$?
set -e
case $diff_status in
  0) echo "prisma-drift: migrations match the schema" ;;
  2)
    cat "$work/migrate-diff.log" >&2
    echo "prisma-drift: FAIL: prisma/schema.prisma has changes that no migration contains. Create one with 'bash tools/prisma.sh migrate dev --create-only --name <change>' (see docs/migrations.md) and commit it." >&2
    failed=1
    ;;
  *)
    cat "$work/migrate-diff.log" >&2
    echo "prisma-drift: FAIL: prisma migrate diff exited with $diff_status." >&2
    failed=1
    ;;
esac

if [[ $failed -ne 0 ]]; then
  exit 1
fi
echo "prisma-drift: OK"
