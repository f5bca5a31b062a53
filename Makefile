# The two commands of the quick start, and the steps they are made of. A thin layer over CMake:
# every target installs what it needs first (scripts/install-deps), so a fresh clone on a fresh
# Debian machine needs nothing else.
BUILD   ?= build
CONFIG  ?= RelWithDebInfo
JOBS    ?= $(shell nproc)
CMAKE_FLAGS ?=
# ccache keys on paths relative to the checkout, so every clone (CI's included) shares one cache.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
FUZZ_SECONDS ?= 60
CHECK = JOBS=$(JOBS) CONFIG=$(CONFIG) FUZZ_SECONDS=$(FUZZ_SECONDS) CMAKE_FLAGS="$(CMAKE_FLAGS)" scripts/check

.PHONY: all deps configure build unit test check asan tsan fuzz tidy format-check format demo \
        install clean bench
# The gates share the machine's cores: one at a time, each with -j $(JOBS).
.NOTPARALLEL:

all: build

deps:
	@scripts/install-deps

$(BUILD)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(CONFIG) -DMSGR_WERROR=ON \
	  -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache $(CMAKE_FLAGS)

configure: $(BUILD)/build.ninja

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

# The test suite in the default build.
unit: build
	cd $(BUILD) && ctest --output-on-failure --no-tests=error --timeout 300 -j $(JOBS)

# Builds everything and runs every test, then every quality gate: what CI runs.
test: unit check

# The quality gates (scripts/check says what each does); each one can be run alone.
check: deps
	$(CHECK) all
format-check: deps
	$(CHECK) format
asan: deps
	$(CHECK) asan
tsan: deps
	$(CHECK) tsan
tidy: deps
	$(CHECK) tidy
fuzz: deps
	$(CHECK) fuzz

# Rewrites every C and C++ file in the style of .clang-format.
format: deps
	git ls-files --cached --others --exclude-standard -- '*.c' '*.cc' '*.cpp' '*.h' '*.hpp' \
	  | xargs clang-format-14 -i

# The main job: the SDL2 + OpenGL 3 demo host with the overlay. With a display it is interactive
# (Shift+Tab opens the overlay); without one (no DISPLAY / WAYLAND_DISPLAY) it renders offscreen
# through EGL and llvmpipe, plays a scripted session and writes screenshots and a transcript to
# $(BUILD)/demo/, then exits 0. The headless C host's session runs as a test.
# DEMO_ARGS adds options, e.g. DEMO_ARGS="--config xmpp.toml --signin alice@example.org".
demo: build
	$(BUILD)/bin/msgr-sdl2-demo --out $(BUILD)/demo $(DEMO_ARGS)

# The Google Benchmarks (tests/bench): each run with repetitions; the median of each is shown,
# every aggregate is kept in $(BUILD)/<bench>.json. BENCH_FLAGS adds options, for example
# BENCH_FLAGS=--benchmark_filter=Tick; BENCHES picks the programs.
BENCHES ?= core_bench addin_bench
BENCH_REPETITIONS ?= 10
bench: build
	@set -e; for b in $(BENCHES); do \
	  [ -x $(BUILD)/bin/$$b ] || { echo "bench: $$b was not built"; exit 1; }; \
	  echo "== $$b (medians of $(BENCH_REPETITIONS) repetitions)"; \
	  $(BUILD)/bin/$$b --benchmark_repetitions=$(BENCH_REPETITIONS) \
	    --benchmark_report_aggregates_only=true --benchmark_out=$(BUILD)/$$b.json \
	    --benchmark_out_format=json $(BENCH_FLAGS) 2>/dev/null | grep -E '^(Benchmark|.*_median)'; \
	done

install: build
	cmake --install $(BUILD) --prefix $(or $(PREFIX),/usr/local)

clean:
	rm -rf $(BUILD) build-asan build-tsan build-tidy build-fuzz
