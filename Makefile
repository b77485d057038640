# robusta - build, test, run and benchmark. `make help` lists the targets.
#
# Layout (docs/architecture.md): the pipeline's stages are folders under src/, built into one static
# library (librobusta.a); bin/robusta is src/cmd/main.c over it. The unit tests (tests/unit/<stage>/)
# and the benchmarks (tests/bench/) link the same library. Header dependencies are generated
# (-MMD -MP), so `make -j` rebuilds exactly what a change touches.
PREFIX   ?= /usr/local
CC       := mpicc
PKGS     := hdf5-openmpi openblas libconfig
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# The build identity recorded in every manifest, journal record and results file (docs/run-directory.md):
# the commit; with uncommitted changes "-dirty-" and the first 12 hex digits of a SHA-256 over the
# contents of src/, include/ and the Makefile (tracked and untracked, sorted), so two builds from
# different uncommitted sources never share an identity (--resume refuses the other one);
# "unknown" without git.
GIT_HEAD := $(shell git rev-parse --short=12 HEAD 2>/dev/null)
ifeq ($(GIT_HEAD),)
GIT_COMMIT := unknown
else ifeq ($(shell git diff --quiet HEAD 2>/dev/null || echo dirty; git ls-files -o --exclude-standard src include | head -c1),)
GIT_COMMIT := $(GIT_HEAD)
else
GIT_SRC_DIGEST := $(shell git ls-files -co --exclude-standard -z src include Makefile 2>/dev/null | LC_ALL=C sort -z | \
                    xargs -0 -r sha256sum 2>/dev/null | sha256sum | cut -c1-12)
GIT_COMMIT := $(GIT_HEAD)-dirty-$(GIT_SRC_DIGEST)
endif
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Iinclude $(PKG_CFLAGS) \
            -DRB_VERSION='"$(VERSION)"' -DRB_GIT_COMMIT='"$(GIT_COMMIT)"'
# Warnings are errors in CI (CI=true, as .ci/run is run) or on request (make WERROR=1).
ifneq ($(filter true 1,$(CI) $(WERROR)),)
CFLAGS   += -Werror
endif
DEPFLAGS := -MMD -MP
LDLIBS   += $(PKG_LIBS) -lm
# Test and benchmark objects also see the test helpers and the stages' private headers.
TEST_INC := -Itests/common -Itests/unit -Itests/bench -Isrc

STAGES   := core io data corrupt model score results grid cmd
MAIN_SRC := src/cmd/main.c
LIB_SRC  := $(filter-out $(MAIN_SRC),$(foreach s,$(STAGES),$(wildcard src/$(s)/*.c)))
TEST_COMMON_SRC := $(wildcard tests/common/*.c)
UNIT_SRC := $(wildcard tests/unit/*.c) $(foreach s,$(STAGES),$(wildcard tests/unit/$(s)/*.c)) $(TEST_COMMON_SRC)
BENCH_SRC := $(wildcard tests/bench/*.c) $(TEST_COMMON_SRC)

BUILD    := build
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# objs VARIANT, SOURCES: the object files of SOURCES in build/VARIANT/
objs = $(patsubst %.c,$(BUILD)/$(1)/%.o,$(2))
LIB_OBJ       := $(call objs,rel,$(LIB_SRC))
LIB_ASAN_OBJ  := $(call objs,asan,$(LIB_SRC))
UNIT_OBJ      := $(call objs,rel,$(UNIT_SRC))
UNIT_ASAN_OBJ := $(call objs,asan,$(UNIT_SRC))
BENCH_OBJ     := $(call objs,rel,$(BENCH_SRC))
LIB      := $(BUILD)/rel/librobusta.a
LIB_ASAN := $(BUILD)/asan/librobusta.a

.DEFAULT_GOAL := all
# The version and commit are compiled into provenance.c: rebuild it whenever they change.
VERSION_STAMP := $(BUILD)/version-stamp
$(shell mkdir -p $(BUILD); echo '$(VERSION) $(GIT_COMMIT)' | cmp -s - $(VERSION_STAMP) 2>/dev/null || echo '$(VERSION) $(GIT_COMMIT)' > $(VERSION_STAMP))
$(BUILD)/rel/src/io/provenance.o $(BUILD)/asan/src/io/provenance.o: $(VERSION_STAMP)
# No errno for sqrt, so the loops that call it vectorise: rng_normals.c (Box-Muller) and adam.c (the
# second-moment root); the argument is never negative in either.
NO_ERRNO_OBJ := src/core/rng_normals.o src/model/adam.o
$(addprefix $(BUILD)/rel/,$(NO_ERRNO_OBJ)) $(addprefix $(BUILD)/asan/,$(NO_ERRNO_OBJ)): CFLAGS += -fno-math-errno

.PHONY: all asan lib install run test test-unit test-e2e test-slurm check-layout bench bench-scale bench-grid fuzz clean deps help toolchain
all: bin/robusta bin/robusta-unit bin/robusta-bench bin/robusta-h5poke

# Before compiling anything: the compiler and libraries are there, or say which packages to install
# (scripts/check-deps.sh --check reports, never installs) instead of "mpicc: No such file or directory".
toolchain:
	@if ! command -v $(CC) >/dev/null 2>&1 || ! pkg-config --exists $(PKGS) 2>/dev/null; then \
	  bash scripts/check-deps.sh --check || true; \
	  echo "make: cannot build: $(CC) or the pkg-config modules $(PKGS) are missing (install the packages above: as root 'make deps', then run make again)" >&2; \
	  exit 1; \
	fi
$(LIB_OBJ) $(LIB_ASAN_OBJ) $(UNIT_OBJ) $(UNIT_ASAN_OBJ) $(BENCH_OBJ): | toolchain
lib: $(LIB)

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(LIB_ASAN): $(LIB_ASAN_OBJ)
	@rm -f $@
	ar rcs $@ $^

bin/robusta: $(call objs,rel,$(MAIN_SRC)) $(LIB)
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
bin/robusta-unit: $(UNIT_OBJ) $(LIB)
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
bin/robusta-bench: $(BENCH_OBJ) $(LIB)
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
# A test tool: edits one value of an HDF5 file (tests/e2e/safe_files.sh edits results files with it).
bin/robusta-h5poke: $(call objs,rel,tests/tools/h5poke.c)
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# Production objects: include/ and their own stage folder only.
$(BUILD)/rel/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<
$(BUILD)/rel/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) $(TEST_INC) -c -o $@ $<

# Sanitizer build: address + undefined behaviour, same sources.
asan: bin/robusta-asan bin/robusta-unit-asan
bin/robusta-asan: $(call objs,asan,$(MAIN_SRC)) $(LIB_ASAN)
	@mkdir -p bin
	$(CC) $(CFLAGS) $(ASAN_FLAGS) -o $@ $^ $(LDLIBS)
bin/robusta-unit-asan: $(UNIT_ASAN_OBJ) $(LIB_ASAN)
	@mkdir -p bin
	$(CC) $(CFLAGS) $(ASAN_FLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/asan/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ASAN_FLAGS) $(DEPFLAGS) -c -o $@ $<
$(BUILD)/asan/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ASAN_FLAGS) $(DEPFLAGS) $(TEST_INC) -c -o $@ $<

ALL_OBJ := $(LIB_OBJ) $(LIB_ASAN_OBJ) $(UNIT_OBJ) $(UNIT_ASAN_OBJ) $(BENCH_OBJ) $(call objs,rel,tests/tools/h5poke.c) $(call objs,rel,$(MAIN_SRC)) $(call objs,asan,$(MAIN_SRC))
-include $(ALL_OBJ:.o=.d)

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

# The whole test suite: layout check, unit tests (plain and sanitizers), fuzz smoke, end-to-end tests.
# T=pattern runs only the tests whose name contains pattern (unit test names, e2e script names).
test:
	@bash scripts/check-deps.sh --tests
	@$(MAKE) --no-print-directory all asan
	@bash tests/run.sh $(if $(T),--only '$(T)')

test-unit: bin/robusta-unit bin/robusta-unit-asan
	@bash tests/run.sh --unit $(if $(T),--only '$(T)')

test-e2e: bin/robusta bin/robusta-asan bin/robusta-h5poke
	@bash tests/run.sh --e2e $(if $(T),--only '$(T)')

# The include rule between the stages, and no outside reference or machine path (docs/architecture.md).
check-layout:
	@bash tests/check-layout.sh

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

# The grid at XD-Violence test size (configs/xdv-grid.cfg, 28 cells, ~10 min on 2 cores the first time)
# against the sgemm floors of its cells, and what the bootstrap adds: docs/scaling.md.
bench-grid:
	@bash scripts/check-deps.sh
	@$(MAKE) --no-print-directory all
	@bash scripts/bench-grid.sh

fuzz:
	@bash tests/fuzz/run.sh 60

clean:
	rm -rf $(BUILD) bin

help:
	@echo "make              build bin/robusta, bin/robusta-unit and bin/robusta-bench (library: build/rel/librobusta.a; = make all)"
	@echo "make lib          only the library build/rel/librobusta.a"
	@echo "make deps         install the build dependencies (Debian, as root) or list what is missing"
	@echo "make toolchain    check the compiler and libraries are there (every build does this first)"
	@echo "make run          build, make the default data and run the pipeline (installs deps as root)"
	@echo "make test         the whole test suite, ending in 'N passed, N failed' (T=pattern: a subset)"
	@echo "make test-unit    the layout check and the unit tests, plain and under the sanitizers (T=pattern)"
	@echo "make test-e2e     end-to-end tests only (T=script name pattern)"
	@echo "make check-layout the include rule between the stage folders; no outside or machine path"
	@echo "make asan         sanitizer build (address, undefined)"
	@echo "make bench        benchmarks (throughput, GFLOP/s next to sgemm)"
	@echo "make test-slurm   the Slurm scripts against a real local Slurm (root)"
	@echo "make bench-scale  XD-Violence-sized subset run: stage times, cells/s, memory (docs/scaling.md)"
	@echo "make bench-grid   the grid at XD test size against its cells' sgemm floors; what the bootstrap adds"
	@echo "make fuzz         fuzz the .npy header, journal tag and --set parsers (60 s each)"
	@echo "make install PREFIX=/opt/robusta"
	@echo "make clean        remove build/ and bin/"
	@echo "make help         this list"
	@echo "WERROR=1 (or CI=true) makes warnings errors"
