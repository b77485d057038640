# robusta - build, test, run and benchmark. `make help` lists the targets.
PREFIX   ?= /usr/local
CC       := mpicc
PKGS     := hdf5-openmpi openblas libconfig
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Iinclude $(PKG_CFLAGS) \
            -DRB_VERSION='"$(VERSION)"' -DRB_GIT_COMMIT='"$(GIT_COMMIT)"'
LDLIBS   += $(PKG_LIBS) -lm

SRC      := $(wildcard src/*.c)
LIB_SRC  := $(filter-out src/main.c,$(SRC))
COMMON_TEST_SRC := $(wildcard tests/common/*.c)
UNIT_SRC := $(wildcard tests/unit/*.c) $(COMMON_TEST_SRC)
BENCH_SRC := $(wildcard tests/bench/*.c) $(COMMON_TEST_SRC)

BUILD    := build
OBJ      := $(patsubst %.c,$(BUILD)/rel/%.o,$(SRC))
UNIT_OBJ := $(patsubst %.c,$(BUILD)/rel/%.o,$(UNIT_SRC)) $(patsubst %.c,$(BUILD)/rel/%.o,$(LIB_SRC))
BENCH_OBJ := $(patsubst %.c,$(BUILD)/rel/%.o,$(BENCH_SRC)) $(patsubst %.c,$(BUILD)/rel/%.o,$(LIB_SRC))
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ASAN_OBJ := $(patsubst %.c,$(BUILD)/asan/%.o,$(SRC))
ASAN_UNIT_OBJ := $(patsubst %.c,$(BUILD)/asan/%.o,$(UNIT_SRC)) $(patsubst %.c,$(BUILD)/asan/%.o,$(LIB_SRC))

.DEFAULT_GOAL := all
# The version and commit are compiled into provenance.c: rebuild it whenever they change.
VERSION_STAMP := $(BUILD)/version-stamp
$(shell mkdir -p $(BUILD); echo '$(VERSION) $(GIT_COMMIT)' | cmp -s - $(VERSION_STAMP) 2>/dev/null || echo '$(VERSION) $(GIT_COMMIT)' > $(VERSION_STAMP))
$(BUILD)/rel/src/provenance.o $(BUILD)/asan/src/provenance.o: $(VERSION_STAMP)

.PHONY: all asan unit install run test test-unit test-slurm bench bench-scale fuzz clean deps help
all: bin/robusta bin/robusta-unit bin/robusta-bench

bin/robusta: $(OBJ)
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

bin/robusta-unit: $(UNIT_OBJ)
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

bin/robusta-bench: $(BENCH_OBJ)
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/rel/%.o: %.c $(wildcard include/*.h) $(wildcard tests/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -Itests/bench -Itests/common -c -o $@ $<

# Sanitizer build: address + undefined behaviour, same sources.
asan: bin/robusta-asan bin/robusta-unit-asan
bin/robusta-asan: $(ASAN_OBJ)
	@mkdir -p bin
	$(CC) $(CFLAGS) $(ASAN_FLAGS) -o $@ $^ $(LDLIBS)
bin/robusta-unit-asan: $(ASAN_UNIT_OBJ)
	@mkdir -p bin
	$(CC) $(CFLAGS) $(ASAN_FLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/asan/%.o: %.c $(wildcard include/*.h) $(wildcard tests/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ASAN_FLAGS) -Itests/unit -Itests/common -c -o $@ $<

install: bin/robusta
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 bin/robusta $(DESTDIR)$(PREFIX)/bin/robusta

deps:
	@bash scripts/check-deps.sh

# The main job on the embedded default data.
run:
	@bash scripts/check-deps.sh
	@$(MAKE) --no-print-directory all
	@bash scripts/run-default.sh

# The whole test suite: unit tests, sanitizer unit tests, fuzz smoke, end-to-end tests.
test:
	@bash scripts/check-deps.sh --tests
	@$(MAKE) --no-print-directory all asan
	@bash tests/run.sh

test-unit: bin/robusta-unit
	./bin/robusta-unit

# A real one-node Slurm (installed and started by the script, as root): sbatch scripts, job array +
# merge, requeue. Not part of `make test` (see docs/slurm.md).
test-slurm: bin/robusta
	@bash tests/slurm/run.sh

bench:
	@bash scripts/check-deps.sh
	@$(MAKE) --no-print-directory all
	@bash scripts/bench.sh

# XD-Violence-sized run (about 10 GB of synthetic features, ~20 min on 2 cores): docs/scaling.md.
bench-scale:
	@bash scripts/check-deps.sh
	@$(MAKE) --no-print-directory all
	@bash scripts/bench-scale.sh

fuzz:
	@bash tests/fuzz/run.sh 60

clean:
	rm -rf $(BUILD) bin

help:
	@echo "make            build bin/robusta and bin/robusta-unit"
	@echo "make run        build, make the default data and run the pipeline (installs deps as root)"
	@echo "make test       the whole test suite, ending in 'N passed, N failed'"
	@echo "make asan       sanitizer build (address, undefined)"
	@echo "make bench      benchmarks (throughput, GFLOP/s next to sgemm)"
	@echo "make test-slurm the Slurm scripts against a real local Slurm (root)"
	@echo "make bench-scale XD-Violence-sized subset run: stage times, cells/s, memory (docs/scaling.md)"
	@echo "make fuzz       fuzz the .npy header and --set parsers (60 s each)"
	@echo "make install PREFIX=/opt/robusta"
