#!/usr/bin/env bash
# The kill -9 soak (milestone M4), too slow for CI: the real jitosd, on one data directory,
# killed with SIGKILL thousands of times while concurrent clients write; every start checks that
# each acknowledged write survived and that the log is gap-free and consistent
# (tests/it/e2e_m4/kill9.rs; CI runs 200 iterations of the same test in the debug build).
#
# Usage: scripts/kill9-soak.sh [ITERATIONS]      (default 5000)
# Environment: CARGO_TARGET_DIR as usual; PROFILE=dev runs the debug build (slower).
#
# Invariants: read-only with respect to the repository; the daemon writes only to a temporary
# directory, removed at the end. The kill delays and the clients' choices are seeded, so a
# failure names its iteration; which request a kill interrupts depends on the machine.
set -euo pipefail

cd "$(dirname "$0")/.."
iterations="${1:-5000}"
profile="${PROFILE:-release}"

start=$SECONDS
echo "== kill -9 soak: $iterations iterations, profile $profile" >&2
JITOS_KILL9_ITERATIONS="$iterations" cargo test --profile "$profile" -p jitos-tests --test it -- \
    e2e_m4::kill9 --nocapture
echo "== done in $((SECONDS - start)) s" >&2
