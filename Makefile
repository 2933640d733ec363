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

memcheck: build
	sh scripts/memcheck.sh $(BUILD)

fuzz: build
	@echo "make fuzz: the fuzz targets arrive with the hardening issue" >&2; exit 1

bench: build
	@sh bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
