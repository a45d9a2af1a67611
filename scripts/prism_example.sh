#!/usr/bin/env bash
# Worked example: judge Prism's static mock of the contract with the conformance suite.
# Prism answers every request from the contract's examples and keeps no state, so the
# suite reports which requirements a stateless mock cannot meet. Writes the terminal output,
# JSON, JUnit XML and HTML reports to build/prism-example/ (or $1). With --record, the JSON
# report's counts and outcomes are also written to docs/prism-example.json, where the figures the README and
# docs/conformance.md quote are read from (tests/docs/test_figures.py compares them).
set -euo pipefail
cd "$(dirname "$0")/.."
record=false
if [ "${1:-}" = "--record" ]; then record=true; shift; fi
out="${1:-build/prism-example}"
port="${PRISM_PORT:-4017}"
mkdir -p "$out"
# The local binary rather than `npx`, so that $! is Prism itself and the trap really stops it.
node_modules/.bin/prism mock spec/openapi.yaml -p "$port" -h 127.0.0.1 -v silent >"$out/prism.log" 2>&1 &
prism=$!
trap 'kill "$prism" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/api/v1/users/me" && break
  sleep 0.2
done
# Prism answers any sign-in with its example token and one example user for every token: the
# two users are told apart by their usernames only, and the suite reports what a static mock
# cannot keep apart (ownership, SEC-003) as failures of the server, not of the configuration.
set +e
SCHEMATHESIS_TELEMETRY=false "${CHAT_CONTRACT:-chat-contract}" check \
  --base-url "http://127.0.0.1:$port" --username prism-user-1 --password prism-password-1 \
  --username-2 prism-user-2 --password-2 prism-password-2 --profile smoke \
  --json "$out/report.json" --junit-xml "$out/junit.xml" --html "$out/report.html" | tee "$out/output.txt"
status=${PIPESTATUS[0]}
set -e
if $record; then
  # Only the figures the docs quote and each requirement's outcome (the full report is in $out).
  python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(json.dumps({"command": "bash scripts/prism_example.sh --record", "profile": r["profile"],
                  "counts": r["counts"], "outcomes": {q["id"]: q["outcome"] for q in r["requirements"]}}, indent=2))' \
    "$out/report.json" > docs/prism-example.json
fi
echo "chat-contract check exited with $status (1 = requirements failed, as expected against a stateless mock)"
exit 0
