# The two commands of the quick start, and the steps they are made of. A thin layer over CMake:
# every target installs what it needs first (scripts/install-deps), so a fresh clone on a fresh
# Debian machine needs nothing else.
BUILD   ?= build
CONFIG  ?= RelWithDebInfo
JOBS    ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build test demo install clean bench

all: build

deps:
	@scripts/install-deps

$(BUILD)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(CONFIG) -DMSGR_WERROR=ON \
	  -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache $(CMAKE_FLAGS)

configure: $(BUILD)/build.ninja

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

# Builds everything and runs every test.
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The main job: the SDL2 + OpenGL 3 demo host with the overlay. With a display it is interactive
# (Shift+Tab opens the overlay); without one (no DISPLAY / WAYLAND_DISPLAY) it renders offscreen
# through EGL and llvmpipe, plays a scripted session and writes screenshots and a transcript to
# $(BUILD)/demo/, then exits 0. The headless C host's session runs as a test.
demo: build
	$(BUILD)/bin/msgr-sdl2-demo --out $(BUILD)/demo

# The Google Benchmark suite (tests/bench): repetitions, and the median of each benchmark.
# BENCH_FLAGS adds options, e.g. BENCH_FLAGS=--benchmark_filter=Tick.
BENCH_REPETITIONS ?= 10
bench: build
	$(BUILD)/bin/core_bench --benchmark_repetitions=$(BENCH_REPETITIONS) \
	  --benchmark_report_aggregates_only=true --benchmark_out=$(BUILD)/core_bench.json \
	  --benchmark_out_format=json $(BENCH_FLAGS) | grep -E '^(Benchmark|-+$$|.*_median)'
	@echo "medians above; all aggregates in $(BUILD)/core_bench.json"

install: build
	cmake --install $(BUILD) --prefix $(or $(PREFIX),/usr/local)

clean:
	rm -rf $(BUILD)
