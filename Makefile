# Thin wrapper over CMake (the way Neovim does it). The two README commands:
#   make demo   install what is missing, build, run a demo
#   make test   install what is missing, build, run the whole suite, then the
#               same suite again under AddressSanitizer+UBSan
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= 2
CMAKE_ARGS ?=

.PHONY: all deps build build-asan test test-plain test-asan demo memcheck fuzz bench clean

all: build

deps:
	@sh scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_ARGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) -DLUADM_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_ARGS)

build-asan: deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j$(JOBS)

test-plain: build
	ctest --test-dir $(BUILD) -j$(JOBS) --output-on-failure

test-asan: build-asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir $(ASAN_BUILD) -j$(JOBS) --output-on-failure

test: test-plain test-asan

demo: build
	@sh scripts/demo.sh $(BUILD)

# valgrind is 20-50 times slower: its own build, with a one-hour test limit
MEMCHECK_BUILD ?= build-memcheck
$(MEMCHECK_BUILD)/CMakeCache.txt:
	cmake -S . -B $(MEMCHECK_BUILD) -DLUADM_TEST_TIMEOUT=3600 $(CMAKE_ARGS)

memcheck: deps $(MEMCHECK_BUILD)/CMakeCache.txt
	cmake --build $(MEMCHECK_BUILD) -j$(JOBS)
	sh scripts/memcheck.sh $(MEMCHECK_BUILD)

fuzz: deps
	@sh fuzz/run.sh -s $(or $(FUZZ_SECONDS),60) -j$(JOBS)

bench: build
	@sh bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(MEMCHECK_BUILD)

# The crash test of make test (tests/crash/test_kill.sh) with many more
# trials: CRASH_TRIALS (2000) and CRASH_BUDGET seconds (1800) to change.
.PHONY: crash-long
crash-long: build
	CRASH_TRIALS=$${CRASH_TRIALS:-2000} CRASH_BUDGET=$${CRASH_BUDGET:-1800} \
	LUADM_BIN=$(CURDIR)/$(BUILD)/luadm LUADM_SRC=$(CURDIR) \
	CRASH_KILL=$(CURDIR)/$(BUILD)/tests/crash/crash_kill \
	CRASH_SHIM=$(CURDIR)/$(BUILD)/tests/crash/crash_shim.so \
	sh tests/crash/test_kill.sh
