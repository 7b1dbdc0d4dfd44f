#!/usr/bin/env bash
# Fuzz smoke: builds every cargo-fuzz target (ASan + debug assertions), writes seed
# corpora, replays fuzz/regressions/<target>/ and fuzzes each target for FUZZ_SECONDS.
#
# cargo fuzz needs nightly compiler flags (-Zsanitizer, sancov); the stable toolchain
# accepts them with RUSTC_BOOTSTRAP=1, and stable's rust-std ships the ASan runtime.
#
#   FUZZ_SECONDS   seconds per target (default 10)
#   FUZZ_TARGETS   space-separated subset of targets (default: all, from cargo fuzz list)
#   FUZZ_CAPTURES  extra seed captures (default ../shared/testdata/captures, if present)
#   FUZZ_JOBS      cargo build jobs (default: cargo's)
#
# Exits 1 when a target crashes (panic, ASan report, timeout, OOM), printing the
# crash input's path, its hex and the tail of the target's output. Prints
# "SKIP fuzz smoke: ..." and exits 0 only when cargo-fuzz cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
secs=${FUZZ_SECONDS:-10}
export RUSTC_BOOTSTRAP=1
cargo_fuzz_version=0.13.2
# Same flags for build and run, or `cargo fuzz run` rebuilds. -a: debug assertions
# (integer overflow, debug_assert!) are on while fuzzing.
fuzz_flags=(--release --debug-assertions --sanitizer address)
if [ -n "${FUZZ_JOBS:-}" ]; then export CARGO_BUILD_JOBS=$FUZZ_JOBS; fi
t0=$SECONDS

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz $cargo_fuzz_version"
  if ! cargo install cargo-fuzz --version "$cargo_fuzz_version" --locked --quiet; then
    echo "SKIP fuzz smoke: cargo-fuzz could not be installed (cargo install cargo-fuzz failed)"
    exit 0
  fi
  echo "fuzz: cargo-fuzz installed in $((SECONDS - t0))s"
fi
echo "fuzz: $(cargo fuzz --version), $(rustc --version)"

cd fuzz
logs=$root/fuzz/target/fuzz-smoke
mkdir -p "$logs"

t1=$SECONDS
captures=${FUZZ_CAPTURES:-$root/../shared/testdata/captures}
[ -d "$captures" ] || captures=
cargo run --quiet -p argos-fuzz-seeds -- corpus ${captures:+"$captures"}
echo "fuzz: seeds built in $((SECONDS - t1))s${captures:+ (with $captures)}"

t1=$SECONDS
if ! cargo fuzz build "${fuzz_flags[@]}" >"$logs/build.log" 2>&1; then
  echo "fuzz: cargo fuzz build failed:"
  tail -60 "$logs/build.log"
  exit 1
fi
echo "fuzz: targets built in $((SECONDS - t1))s"

if [ -n "${FUZZ_TARGETS:-}" ]; then
  targets=$FUZZ_TARGETS
else
  targets=$(cargo fuzz list)
fi

fail=0
for t in $targets; do
  mkdir -p "corpus/$t"
  dirs=("corpus/$t")
  if [ -d "regressions/$t" ]; then dirs+=("regressions/$t"); fi
  log=$logs/$t.log
  rm -rf "artifacts/$t"
  # -timeout: an input running longer than this is a hang, reported as a crash.
  if cargo fuzz run "${fuzz_flags[@]}" "$t" "${dirs[@]}" -- \
      -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
      >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    units=$(find "corpus/$t" -type f | wc -l)
    echo "fuzz: $t ok, ${secs}s, ${execs:-?} execs (${rate:-?}/s), corpus $units"
  else
    fail=1
    echo "FAIL fuzz target $t crashed (log $log)"
    inputs=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log")
    for f in $inputs; do
      [ -f "$f" ] || f=$root/fuzz/$f
      echo "  crash input: $f ($(wc -c <"$f") bytes)"
      echo "  hex: $(head -c 512 "$f" | od -An -v -tx1 | tr -d ' \n')"
      echo "  reproduce: cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run ${fuzz_flags[*]} $t $f"
      echo "  keep as regression: mkdir -p fuzz/regressions/$t && cp $f fuzz/regressions/$t/"
    done
    [ -n "$inputs" ] || echo "  (no crash input written: build or libFuzzer error)"
    echo "---- $t error ----"
    grep -m6 -A3 -E "panicked at|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|^SUMMARY:" "$log" || true
    echo "---- $t output (tail) ----"
    tail -60 "$log"
    echo "----"
  fi
done
echo "fuzz: smoke done in $((SECONDS - t0))s"
exit "$fail"
