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
echo "== web UI in headless Chromium"
# Drives the UI against a real server (login, search, call ladder, call tracker pages,
# hostile strings shown as text); needs the lab capture, Chromium and Node.js.
if [ -f ../shared/testdata/lab/lab-calls.pcap ] && [ -x /usr/bin/chromium ] && command -v node >/dev/null; then
  ARGOS_BIN=target/release/argos scripts/ui-screenshots.sh ../shared/testdata/lab/lab-calls.pcap
else
  echo "SKIP: web UI test needs ../shared/testdata/lab/lab-calls.pcap, /usr/bin/chromium and node"
fi
echo "== fuzz smoke"
scripts/fuzz-smoke.sh
echo "all tests passed"
