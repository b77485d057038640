#!/usr/bin/env bash
# run.sh - build the libFuzzer harnesses (clang, -fsanitize=fuzzer,address,undefined) and run each for
# SECONDS seconds from its seed corpus. Fails (exit 1) on any crash, hang (-timeout), leak or sanitizer
# report, and prints "fuzz <target>: N runs, ok" per target.
#   usage: tests/fuzz/run.sh [SECONDS]      (default 10; `make fuzz` passes 60)
# Only the objects each harness needs are linked: src/io/npy.c + src/core/errors.c + memory.c + fault.c,
# src/io/journal.c + errors.c + memory.c + files.c + fault.c, or
# src/core/config*.c + errors.c + memory.c + files.c + fault.c + suggest.c + names.c, with the MPI and libconfig libraries. Work corpora
# and crash artifacts go to build/fuzz/.
set -u
secs=${1:-10}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
CC=${FUZZ_CC:-clang}
out=build/fuzz
mkdir -p "$out"
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "fuzz: $CC not found (install clang and libclang-rt-dev)"
    exit 1
fi
cflags=(-g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Iinclude
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
        $(mpicc --showme:compile) $(pkg-config --cflags hdf5-openmpi))
libs=($(mpicc --showme:link) -lconfig -lm)

status=0
run_target() { # run_target NAME SOURCES...
    local name=$1
    shift
    local bin="$out/fuzz_$name"
    if ! "$CC" "${cflags[@]}" -o "$bin" "$@" "${libs[@]}" 2>"$out/build_$name.log"; then
        echo "fuzz $name: BUILD FAILED (see $out/build_$name.log)"
        sed -n 1,20p "$out/build_$name.log"
        status=1
        return
    fi
    local corpus="$out/corpus_$name"
    mkdir -p "$corpus"
    local dict=()
    [ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$bin" "$corpus" "tests/fuzz/seeds_$name" "${dict[@]}" -max_total_time="$secs" -timeout=10 \
        -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 -artifact_prefix="$out/crash_${name}_" \
        >"$out/run_$name.log" 2>&1
    local rc=$?
    local runs
    runs=$(awk '/stat::number_of_executed_units:/{print $2}' "$out/run_$name.log" | tail -1)
    if [ "$rc" -ne 0 ] || grep -q -E "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:" "$out/run_$name.log"; then
        echo "fuzz $name: FAILED after ${runs:-?} runs (exit $rc; log $out/run_$name.log)"
        grep -m 5 -E "ERROR|runtime error|SUMMARY|Test unit written" "$out/run_$name.log"
        status=1
        return
    fi
    echo "fuzz $name: ${runs:-?} runs, ok"
}

run_target npy tests/fuzz/fuzz_npy.c src/io/npy.c src/core/errors.c src/core/memory.c src/core/fault.c
run_target journal_tag tests/fuzz/fuzz_journal_tag.c src/io/journal.c src/core/errors.c src/core/memory.c src/core/files.c src/core/fault.c
if [ -f src/core/config.c ]; then
    run_target override tests/fuzz/fuzz_override.c src/core/config*.c src/core/errors.c src/core/memory.c src/core/files.c src/core/fault.c src/core/suggest.c src/core/names.c
else
    echo "fuzz override: FAILED (src/core/config.c does not exist)"
    status=1
fi
exit $status
