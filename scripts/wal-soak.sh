#!/usr/bin/env bash
# The WAL soak (milestone M4), too slow for CI: the kernel's golden WAL fixture opened AND booted
# at every byte offset cut and every flipped byte (crates/jitos-kernel/tests/it/wal_golden.rs,
# JITOS_SOAK=1), and the seeded crash simulation over thousands of seeds
# (crates/jitos-kernel/src/persist/tests.rs, JITOS_SIM_SEEDS).
#
# Usage: scripts/wal-soak.sh [SEEDS]      (default 5000 seeds)
# Environment: CARGO_TARGET_DIR as usual; PROFILE=dev runs the debug build (much slower).
#
# Invariants: read-only with respect to the repository (the fixture is never rewritten:
# UPDATE_EXPECT is cleared); every case is seeded, so a failure names a seed or an offset that
# reproduces it.
set -euo pipefail

cd "$(dirname "$0")/.."
seeds="${1:-5000}"
profile="${PROFILE:-release}"
unset UPDATE_EXPECT

run() {
    echo "== $*" >&2
    local start=$SECONDS
    "$@"
    echo "== done in $((SECONDS - start)) s" >&2
}

run env JITOS_SOAK=1 cargo test --profile "$profile" -p jitos-kernel --test it -- \
    wal_golden --test-threads 2
run env JITOS_SIM_SEEDS="$seeds" cargo test --profile "$profile" -p jitos-kernel --lib -- \
    persist::tests --test-threads 2
