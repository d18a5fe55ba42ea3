# hotpath: `make run` and `make test` are all a new user needs.
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror
BASE    := -std=c11 -D_GNU_SOURCE -pthread
# The target: this host's unless set (a cross build of the payload sets
# UNAME_S, UNAME_M, CC, B, BIN and JANSSON_PREFIX; see tests/cli/t0700).
UNAME_S ?= $(shell uname -s)
UNAME_M ?= $(shell uname -m)
X86_64  := $(filter x86_64 amd64,$(UNAME_M))
B       ?= build
BIN     ?= bin

# Jansson: JANSSON_PREFIX if given, else pkg-config, else Homebrew's
# prefixes. Payload binaries for Linux link it statically (libjansson.a), so
# they run on any glibc distribution without it.
ifeq ($(origin JANSSON_PREFIX),undefined)
  JANSSON_PC := $(shell pkg-config --exists jansson 2>/dev/null && echo 1)
  ifeq ($(JANSSON_PC),)
    JANSSON_PREFIX := $(firstword $(foreach p,/opt/homebrew /usr/local /opt/local,\
                        $(if $(wildcard $(p)/include/jansson.h),$(p))))
  endif
endif
ifneq ($(JANSSON_PREFIX),)
  JANSSON_CFLAGS := -I$(JANSSON_PREFIX)/include
  JANSSON_LIBDIR := $(JANSSON_PREFIX)/lib
  JANSSON_DYN    := -L$(JANSSON_LIBDIR) -ljansson
  JANSSON_FOUND  := $(wildcard $(JANSSON_PREFIX)/include/jansson.h)
else ifneq ($(JANSSON_PC),)
  JANSSON_CFLAGS := $(shell pkg-config --cflags jansson)
  JANSSON_LIBDIR := $(shell pkg-config --variable=libdir jansson)
  JANSSON_DYN    := $(shell pkg-config --libs jansson)
  JANSSON_FOUND  := 1
else
  # No pkg-config: the compiler's own search path may still hold it.
  JANSSON_DYN    := -ljansson
  JANSSON_FOUND  := $(wildcard /usr/include/jansson.h)
endif
JANSSON_A := $(wildcard $(JANSSON_LIBDIR)/libjansson.a)
# Static where an archive is there and the target is Linux, or the prefix
# holds only an archive (a cross build's own Jansson).
ifneq ($(and $(JANSSON_A),$(or $(filter Linux,$(UNAME_S)),\
        $(if $(wildcard $(JANSSON_LIBDIR)/libjansson.so* $(JANSSON_LIBDIR)/libjansson*.dylib),,1))),)
  JANSSON_LIBS := $(JANSSON_A)
else
  JANSSON_LIBS := $(JANSSON_DYN)
endif

# The payload (agent, generator, C engines) needs only libc, libm, pthreads
# and Jansson; the generator's float draws must not be fused.
PAYLOAD_FLAGS := $(BASE) $(WARN) -ffp-contract=off $(JANSSON_CFLAGS)
LIBS    := $(JANSSON_LIBS) -lm
# libcrypto (OpenSSL, which libssh2 and libcurl are built on here): base64.
CRYPTO_LIBS := $(shell pkg-config --libs libcrypto 2>/dev/null || echo -lcrypto)
CTL_LIBS := -lsqlite3 -lcurl -lssh2 $(CRYPTO_LIBS) $(JANSSON_DYN) -lm

COMMON_SRC := common/xmalloc.c common/err.c common/buf.c common/sha256.c common/check.c \
              common/proc.c common/quantile.c common/exe.c common/cpu.c common/clock.c \
              common/strset.c common/sample.c common/fs.c
COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/%.o)
GEN_OBJ    := $(B)/workloads/gen/gen.o
ENGINE_OBJ := $(B)/workloads/c/csv.o $(B)/workloads/c/tasks.o
AGENT_OBJ  := $(patsubst %.c,$(B)/%.o,$(filter-out agent/main.c,$(wildcard agent/*.c)))
CTL_OBJ    := $(patsubst %.c,$(B)/%.o,$(wildcard controller/*.c reports/*.c)) $(B)/store/store.o \
              $(B)/store/schema.o
PROGRAMS   := $(BIN)/hotpath-gen $(BIN)/c-scalar $(BIN)/c-threads $(BIN)/hotpath-agent \
              $(BIN)/hotpath
UNIT_SRC   := $(wildcard tests/unit/test_*.c)

.PHONY: all payload toolchain deps deps-test run test unit check-asan asan-controller bench clean rust rust-polars
all: $(PROGRAMS) rust
# What a host needs to run sweeps: no SQLite, libssh2 or libcurl.
payload: $(BIN)/hotpath-gen $(BIN)/c-scalar $(BIN)/c-threads $(BIN)/hotpath-agent

# A host that builds its own payload is told what is missing, by name.
toolchain:
	@command -v $(firstword $(CC)) >/dev/null 2>&1 || { echo "hotpath: no C compiler \
	'$(firstword $(CC))' here: install one (Debian/Ubuntu: apt-get install build-essential; \
	Fedora: dnf install gcc make; macOS: xcode-select --install)" >&2; exit 1; }
	@printf '#include <jansson.h>\nint main(void) { return 0; }\n' | \
	    $(CC) $(JANSSON_CFLAGS) -x c -E - >/dev/null 2>&1 || { echo "hotpath: \
	Jansson not found (pkg-config jansson, /opt/homebrew, /usr/local): install it \
	(Debian/Ubuntu: apt-get install libjansson-dev; Fedora: dnf install jansson-devel; \
	macOS: brew install jansson)" >&2; exit 1; }

# The store's migrations (store/migrations/NNNN-*.sql, applied in name
# order: the Nth file takes the store to user_version N) and its views,
# embedded as C strings.
MIGRATIONS := $(sort $(wildcard store/migrations/*.sql))
SQL_TO_C   := sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$$/\\n"/'
$(B)/store/schema.c: $(MIGRATIONS) store/views.sql Makefile
	@mkdir -p $(dir $@)
	@{ echo 'const char *const store_migrations[] = {'; \
	   for f in $(MIGRATIONS); do $(SQL_TO_C) $$f; echo '    ,'; done; \
	   echo '    0};'; \
	   echo 'const char store_views_sql[] ='; $(SQL_TO_C) store/views.sql; echo ';'; } > $@

$(B)/store/schema.o: $(B)/store/schema.c
	$(CC) $(BASE) $(CFLAGS) -c $< -o $@

$(BIN)/hotpath: $(CTL_OBJ) $(COMMON_OBJ)
	@mkdir -p $(BIN)
	$(CC) $(BASE) $(CFLAGS) -o $@ $^ $(CTL_LIBS)

$(B)/agent/probe.o: EXTRA := -DHOTPATH_BUILD_FLAGS='"$(CC) $(CFLAGS)"'

$(B)/%.o: %.c | toolchain
	@mkdir -p $(dir $@)
	$(CC) $(PAYLOAD_FLAGS) $(CFLAGS) $(EXTRA) -MMD -MP -c $< -o $@

# The numeric kernels: vectorised (OpenMP simd pragmas, no runtime; AVX2
# intrinsics on x86-64, used only where the CPU has them), every step
# rounded as num_distance() rounds it (fused only where the code says so),
# and no -ffast-math, so the range test sees NaN.
KERNEL_FLAGS := $(BASE) $(WARN) $(JANSSON_CFLAGS) -O3 -g -fno-math-errno -fno-trapping-math -ffp-contract=off \
                -fopenmp-simd
AVX2_FLAGS   := $(if $(X86_64),-mavx2 -mfma)
$(B)/workloads/c/numeric_kernel.o: workloads/c/numeric_kernel.c
	@mkdir -p $(dir $@)
	$(CC) $(KERNEL_FLAGS) -MMD -MP -c $< -o $@
$(B)/workloads/c/numeric_avx2.o: workloads/c/numeric_avx2.c
	@mkdir -p $(dir $@)
	$(CC) $(KERNEL_FLAGS) $(AVX2_FLAGS) -MMD -MP -c $< -o $@

$(BIN)/hotpath-gen: $(B)/workloads/gen/main.o $(GEN_OBJ) $(COMMON_OBJ)
	@mkdir -p $(BIN)
	$(CC) $(BASE) $(CFLAGS) -o $@ $^ $(LIBS)

$(BIN)/c-scalar: $(B)/workloads/c/scalar.o $(ENGINE_OBJ) $(COMMON_OBJ)
	@mkdir -p $(BIN)
	$(CC) $(BASE) $(CFLAGS) -o $@ $^ $(LIBS)

# c-threads: threads.c twice on x86-64 (baseline and x86-64-v3, chosen at
# run time by threads-main.c), once elsewhere.
V3          := $(if $(X86_64),1)
# zig's clang spells the level -mcpu=x86_64_v3.
V3_FLAGS    ?= -march=x86-64-v3
THREADS_OBJ := $(B)/workloads/c/threads-main.o $(B)/workloads/c/threads-base.o \
               $(if $(V3),$(B)/workloads/c/threads-v3.o)
$(B)/workloads/c/threads-main.o: EXTRA := $(if $(V3),-DHP_HAVE_V3)
$(B)/workloads/c/threads-base.o: workloads/c/threads.c
	@mkdir -p $(dir $@)
	$(CC) $(PAYLOAD_FLAGS) $(CFLAGS) -DTHREADS_MAIN=threads_main_base -MMD -MP -c $< -o $@
$(B)/workloads/c/threads-v3.o: workloads/c/threads.c
	@mkdir -p $(dir $@)
	$(CC) $(PAYLOAD_FLAGS) $(CFLAGS) $(V3_FLAGS) -DTHREADS_MAIN=threads_main_v3 \
		-MMD -MP -c $< -o $@

$(BIN)/c-threads: $(THREADS_OBJ) $(B)/workloads/c/numeric_kernel.o \
		$(B)/workloads/c/numeric_avx2.o $(ENGINE_OBJ) $(COMMON_OBJ)
	@mkdir -p $(BIN)
	$(CC) $(BASE) $(CFLAGS) -o $@ $^ $(LIBS)

$(BIN)/hotpath-agent: $(B)/agent/main.o $(AGENT_OBJ) $(GEN_OBJ) $(COMMON_OBJ)
	@mkdir -p $(BIN)
	$(CC) $(BASE) $(CFLAGS) -o $@ $^ $(LIBS)

UNIT_DEPS := $(COMMON_SRC) workloads/gen/gen.c workloads/c/csv.c workloads/c/tasks.c \
	controller/admit.c agent/validate.c agent/plan.c agent/hostcpu.c agent/paths.c store/store.c controller/proto.c controller/cfg.c controller/common.c \
	controller/record.c controller/rows.c \
	controller/quote.c controller/transport.c controller/transport-local.c \
	controller/transport-ssh.c controller/bundle.c controller/sweep-plan.c controller/explain.c \
	controller/sshcfg.c controller/pyenv.c controller/sweep-queue.c controller/sweep-writer.c \
	controller/sweep-progress.c reports/plot.c \
	$(B)/store/schema.c
# The numeric kernels keep their own flags (see above).
UNIT_OBJ  := $(B)/workloads/c/numeric_kernel.o $(B)/workloads/c/numeric_avx2.o
$(BIN)/unit-tests: $(UNIT_SRC) tests/unit/harness.h tests/unit/tests.def $(UNIT_DEPS) $(UNIT_OBJ) \
		$(wildcard workloads/c/*.h common/*.h)
	@mkdir -p $(BIN)
	$(CC) $(PAYLOAD_FLAGS) $(CFLAGS) -o $@ $(UNIT_SRC) $(UNIT_DEPS) $(UNIT_OBJ) -lsqlite3 -lssh2 \
		$(CRYPTO_LIBS) $(LIBS)

# The unit tests of the payload alone (no SQLite, libssh2 or libcurl): what a
# cross build runs under qemu (tests/cli/t0720).
# The payload's test files, named: every other test file's tests are left
# out of the list (controller, store and report tests need their libraries).
PAYLOAD_TEST_SRC  := $(wildcard $(addprefix tests/unit/,test_main.c test_buf.c test_clock.c \
	test_err.c test_csv.c test_fastrow.c test_fastrow_portable.c test_fastrow_v3.c \
	test_numeric.c test_misc.c test_proc.c test_hostcpu.c))
OTHER_TEST_SRC    := $(filter-out $(PAYLOAD_TEST_SRC),$(UNIT_SRC))
PAYLOAD_TEST_DEPS := $(COMMON_SRC) workloads/gen/gen.c workloads/c/csv.c workloads/c/tasks.c \
	agent/validate.c agent/plan.c agent/hostcpu.c agent/paths.c
$(B)/payload-tests.def: tests/unit/tests.def $(OTHER_TEST_SRC)
	@mkdir -p $(dir $@)
	@sed -n 's/^TEST(\(.*\))$$/X(\1)/p' $(OTHER_TEST_SRC) /dev/null > $@.not
	@grep -v -x -F -f $@.not tests/unit/tests.def > $@; rm -f $@.not
$(BIN)/payload-tests: $(PAYLOAD_TEST_SRC) tests/unit/harness.h $(B)/payload-tests.def \
		$(PAYLOAD_TEST_DEPS) $(UNIT_OBJ) $(wildcard workloads/c/*.h common/*.h)
	@mkdir -p $(BIN)
	$(CC) $(PAYLOAD_FLAGS) $(CFLAGS) -DHP_TESTS_DEF='"$(abspath $(B))/payload-tests.def"' \
		-o $@ $(PAYLOAD_TEST_SRC) $(PAYLOAD_TEST_DEPS) $(UNIT_OBJ) $(LIBS)

# The Rust engines, when this host has cargo (they are skipped, with that
# reason, where it does not).
RUST_BINS := rust-scalar rust-rayon rust-native
rust:
	@if command -v cargo >/dev/null 2>&1; then \
	    cargo build -q --release --locked --manifest-path workloads/rust/Cargo.toml \
	        --target-dir build/rust && mkdir -p $(BIN) && \
	    for b in $(RUST_BINS); do cp -p build/rust/release/$$b $(BIN)/; done; \
	else echo "hotpath: no cargo here: the Rust engines will be recorded as skipped" >&2; fi

# rust-polars compiles Polars itself (one codegen unit, fat LTO): about 40
# minutes on 2 busy cores, so it is
# a target of its own (CI builds it before `make test`).
# HOTPATH_CARGO_TARGET keeps its compiled dependencies outside the work tree.
RUST_POLARS_TARGET ?= $(or $(HOTPATH_CARGO_TARGET),build/rust-polars)
rust-polars:
	@command -v cargo >/dev/null 2>&1 || { echo "hotpath: rust-polars needs cargo" >&2; exit 1; }
	cargo build --release --locked --manifest-path workloads/rust-polars/Cargo.toml \
	    --target-dir $(RUST_POLARS_TARGET)
	@mkdir -p $(BIN) && cp -p $(RUST_POLARS_TARGET)/release/rust-polars $(BIN)/

deps:
	@scripts/install-deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/run-local.sh

unit: $(BIN)/unit-tests
	@$(BIN)/unit-tests

deps-test:
	@scripts/install-deps.sh --test

# Dependencies first: a fresh machine cannot build before they are there.
test: deps-test
	@$(MAKE) --no-print-directory all $(BIN)/unit-tests
	@tests/run.sh

# The unit tests again under AddressSanitizer and UBSan.
check-asan:
	@$(MAKE) --no-print-directory BIN=build/asan/bin \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		build/asan/bin/unit-tests
	@ASAN_OPTIONS=detect_leaks=1 build/asan/bin/unit-tests

# The controller under AddressSanitizer and UBSan, in a tree of its own
# (build/asan) that borrows this one's agent, engines and workloads.
ASAN_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=all
asan-controller:
	@$(MAKE) --no-print-directory B=build/asan BIN=build/asan/bin CFLAGS="$(ASAN_CFLAGS)" \
		build/asan/bin/hotpath
	@ln -sfn ../../workloads build/asan/workloads && ln -sfn ../../configs build/asan/configs
	@for p in hotpath-agent hotpath-gen c-scalar c-threads; do \
	    ln -sf ../../../bin/$$p build/asan/bin/$$p; done

bench:
	@scripts/install-deps.sh --bench
	@$(MAKE) --no-print-directory all
	@scripts/bench.sh $(PROFILE)

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
