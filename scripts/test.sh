#!/usr/bin/env bash
# The test command (README.md): formatting, lints, every test of the workspace, and a
# short fuzz smoke run when cargo-fuzz can run here.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
# Integration tests start the release binary: build it once.
cargo build --release --locked -p argos
cargo test --workspace --locked
echo "== fuzz smoke"
scripts/fuzz-smoke.sh
echo "all tests passed"
