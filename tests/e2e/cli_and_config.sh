#!/usr/bin/env bash
# cli_and_config.sh - the binary's help/version, and one clear error for each kind of bad config.
source "$(dirname "$0")/lib.sh"
cfgdir=$E2E_TMP/cfg; mkdir -p "$cfgdir"
cp configs/base.cfg "$cfgdir/"

check "robusta --help lists the commands" bash -c "'$ROBUSTA' --help | grep -q 'synth'"
check "robusta --version prints version and commit" bash -c "'$ROBUSTA' --version | grep -Eq '^robusta [0-9]+\.[0-9]+\.[0-9]+ \(commit [0-9a-f]+'"
check "docs/config.md is what robusta config --keys prints" bash -c "'$ROBUSTA' config --keys | cmp -s - docs/config.md"
check "robusta config shows defaults and overrides" bash -c "'$ROBUSTA' config -c configs/default.cfg --set train.epochs=7 | grep -q 'epochs = 7'"
for c in config synth import-xdv; do
  check "robusta $c --help" bash -c "'$ROBUSTA' $c --help | grep -q '^usage: robusta $c'"
done
expect_error "unknown command" "unknown command 'frobnicate'" "$ROBUSTA" frobnicate
expect_error "unknown option" "unknown option --bogus" "$ROBUSTA" synth --bogus

printf '@include "base.cfg"\nrun: { seed = 1 \ndata = ;\n' >"$cfgdir/syntax.cfg"
expect_error "config syntax error names file:line" "syntax.cfg:3" "$ROBUSTA" synth -c "$cfgdir/syntax.cfg"
printf '@include "base.cfg"\nrun: { seed = 1; };\ntrain: { epoch = 3; };\ndata: { datasets = ( { name = "a"; } ); };\n' >"$cfgdir/unknown.cfg"
expect_error "unknown key names file:line and key" "unknown.cfg:3: unknown key 'train.epoch'" "$ROBUSTA" synth -c "$cfgdir/unknown.cfg"
printf '@include "base.cfg"\nrun: { seed = 1; };\ntrain: { epochs = "many"; };\ndata: { datasets = ( { name = "a"; } ); };\n' >"$cfgdir/type.cfg"
expect_error "wrong type names file:line and key" "type.cfg:3: train.epochs should be an integer" "$ROBUSTA" synth -c "$cfgdir/type.cfg"
printf '@include "base.cfg"\nrun: { seed = 1; };\ndata: { datasets = ( { name = "a"; n_test = -3; } ); };\n' >"$cfgdir/range.cfg"
expect_error "out-of-range value names file:line and key" "range.cfg:3: data.datasets.[0].n_test = -3 is out of range" "$ROBUSTA" synth -c "$cfgdir/range.cfg"
expect_error "missing config file" "nope.cfg: No such file" "$ROBUSTA" synth -c "$cfgdir/nope.cfg"
expect_error "--set of an unknown key" "unknown key 'train.epohcs'" "$ROBUSTA" synth -c configs/default.cfg --set train.epohcs=3
expect_error "--set of a wrong type" "'abc' is not an integer" "$ROBUSTA" synth -c configs/default.cfg --set train.epochs=abc
finish
