#!/usr/bin/env bash
# `npm test`: the whole check, in the order that fails fastest. Stops at the first failing step.
# Services are mandatory (CI_SERVICES_REQUIRED=1): a suite that cannot reach Kafka, PostgreSQL or Redis fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export CI_SERVICES_REQUIRED=1
# kafkajs prints a multi-line notice about its v2 partitioner on every producer otherwise.
export KAFKAJS_NO_PARTITIONER_WARNING=1

T0="$EPOCHREALTIME"
RESULTS_DIR="$(mktemp -d)"
trap 'rm -rf "$RESULTS_DIR"' EXIT

elapsed_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

step() {
  local name="$1" t0="$EPOCHREALTIME" status=0
  shift
  printf '\n==> %s\n' "$name"
  "$@" || status=$?
  if ((status != 0)); then
    printf '\n==> FAILED: %s (exit %d after %s s; total %s s)\n' \
      "$name" "$status" "$(elapsed_since "$t0")" "$(elapsed_since "$T0")" >&2
    exit "$status"
  fi
  printf '==> ok: %s (%s s)\n' "$name" "$(elapsed_since "$t0")"
}

jest_tier() {
  local project="$1"
  shift
  step "$project tests" npx jest --selectProjects "$project" --ci "$@" --json --outputFile="$RESULTS_DIR/$project.json"
}

step "services (infra/local/services-up.sh)" bash infra/local/services-up.sh
step "format" npx prettier --check . --log-level warn
step "lint" npm run --silent lint
step "typecheck" npm run --silent typecheck
step "generated files (Prisma client and migrations, OpenAPI document, README config table)" \
  bash -c 'npm run --silent prisma:drift && npm run --silent openapi -- --check && npm run --silent docs:config -- --check'
jest_tier unit
jest_tier contract --verbose
# The platform the integration and browser tests start serves the web app from dist/web.
step "web app build (dist/web)" node tools/build-web.cjs
jest_tier integration --runInBand --verbose
jest_tier browser --runInBand --verbose

printf '\n==> all checks passed in %s s\n' "$(elapsed_since "$T0")"
# One plain closing line with the counts of all tiers, so a reader (or CI) can tell tests really ran.
node -e '
  const fs = require("node:fs");
  const dir = process.argv[1];
  let passed = 0, failed = 0;
  for (const file of fs.readdirSync(dir)) {
    const result = JSON.parse(fs.readFileSync(`${dir}/${file}`, "utf8"));
    passed += result.numPassedTests;
    failed += result.numFailedTests;
  }
  const line = `tests: ${passed} passed, ${failed} failed`;
  console.log(line);
  if (process.env.TEST_SUMMARY_FILE) fs.writeFileSync(process.env.TEST_SUMMARY_FILE, `${line}\n`);
' "$RESULTS_DIR"
