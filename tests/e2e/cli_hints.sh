#!/usr/bin/env bash
# cli_hints.sh - the hints a new user gets (issue 14, item 4): a mistyped config key (in --set or a
# config file) or option names the nearest valid one, --help marks -c as required, `make help` lists
# every target of the Makefile, and make without the compiler says what to install instead of
# "mpicc: No such file or directory". (The 1-rank note of bench is checked in report_browser.sh.)
source "$(dirname "$0")/lib.sh"
expect_error "--set typo suggests the key" "unknown key 'train.epoch'; did you mean train.epochs?" \
  "$ROBUSTA" bench -c configs/default.cfg --set train.epoch=3
expect_error "--set typo in a list element keeps its index" "did you mean data.datasets.[1].n_test?" \
  "$ROBUSTA" bench -c configs/default.cfg --set data.datasets.[1].n_tset=3
cp configs/base.cfg configs/default.cfg "$E2E_TMP/"
printf 'train = { epoks = 3; };\n@include "default.cfg"\n' >"$E2E_TMP/typo.cfg"
expect_error "a config file typo suggests the key, with file and line" "typo.cfg:1: unknown key 'train.epoks'; did you mean train.epochs?" \
  "$ROBUSTA" bench -c "$E2E_TMP/typo.cfg"
expect_error "an option typo suggests the option" "unknown option --ouut; did you mean --out?" \
  "$ROBUSTA" bench -c configs/default.cfg --ouut x
expect_error "a far-off option gets no guess" "unknown option --zzzzzzzz (see robusta bench --help)" \
  "$ROBUSTA" bench -c configs/default.cfg --zzzzzzzz
for cmd in bench synth train; do
  check "$cmd --help marks -c as required" bash -c "'$ROBUSTA' $cmd --help | grep -E -- '^ +-c, --config CFG +required' >/dev/null"
done
targets=$(sed -n 's/^\.PHONY: *//p' Makefile)
help=$(make --no-print-directory help)
for t in $targets; do
  if [[ $t == all ]]; then want="make all"; else want="make $t"; fi
  check "make help lists '$t'" grep -qF -- "$want" <<<"$help"
done
out=$(make --no-print-directory CC=no-such-mpicc lib 2>&1); rc=$?
check "make without the compiler fails with what to do (exit $rc)" \
  bash -c "(( $rc != 0 )) && grep -q 'cannot build: no-such-mpicc' <<<\"\$1\" && grep -q 'make deps' <<<\"\$1\" && ! grep -q 'No such file' <<<\"\$1\"" _ "$out"
finish
