#!/usr/bin/env bash
# Runs the repo's Prisma CLI from the repo root: tools/prisma.sh <prisma args…>
#
# Prisma 7's migrate/db commands start a native schema engine that the CLI downloads on
# first use. Where that download is impossible (air-gapped machines, this workplace), a
# stand-in engine kept beside the repo (../shared/tools/prisma-schema-engine.mjs) is used,
# but only when PRISMA_SCHEMA_ENGINE_BINARY is not already set and the file exists.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The stand-in engine resolves pg/@prisma/* from the current directory: stay at the root.
cd "$repo_root"

if [[ -z "${PRISMA_SCHEMA_ENGINE_BINARY:-}" ]]; then
  stand_in="$repo_root/../shared/tools/prisma-schema-engine.mjs"
  if [[ -f "$stand_in" ]]; then
    PRISMA_SCHEMA_ENGINE_BINARY="$(cd "$(dirname "$stand_in")" && pwd)/$(basename "$stand_in")"
    export PRISMA_SCHEMA_ENGINE_BINARY
  fi
fi

export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/tollgate_dev}"
# No update checks or telemetry: CI and air-gapped machines have no route to them.
export CHECKPOINT_DISABLE="${CHECKPOINT_DISABLE:-1}"
export PRISMA_HIDE_UPDATE_MESSAGE="${PRISMA_HIDE_UPDATE_MESSAGE:-1}"

exec "$repo_root/node_modules/.bin/prisma" "$@"
