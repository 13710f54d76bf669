# Host entry of softap-ota. The ESP-IDF entry is CMakeLists.txt (idf.py build).
#   make        build build/sota (the host command and simulator) and build/sota-idf-X.Y.Z
#               (the simulator as each older modelled ESP-IDF release: sota sim --idf X.Y.Z)
#   make run    build and start the simulator on http://127.0.0.1:8080
#   make test   build everything with warnings as errors, under ASan+UBSan, and run every test
#   make bench  the performance table (build/bench.json)
#   make fuzz   libFuzzer runs of every parser, FUZZ_SECONDS each (clang; tests/fuzz)
#   make mutate one-token mutants of core/ and the boot/otadata/flash models: which the
#               unit tests miss (tools/mutate.py; minutes, not part of make test)
BUILD   ?= build
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_Q  = cmake -S host -Wno-dev -DCMAKE_BUILD_TYPE=RelWithDebInfo
PORT    ?= 8080

.PHONY: all deps test-deps run test bench fuzz mutate clean
all: $(BUILD)/sota

deps:
	@tools/deps.sh build

test-deps:
	@tools/deps.sh test

$(BUILD)/host/CMakeCache.txt: | deps
	$(CMAKE_Q) -B $(BUILD)/host -DSOTA_TESTS=OFF

$(BUILD)/sota: deps $(BUILD)/host/CMakeCache.txt FORCE
	cmake --build $(BUILD)/host -j $(JOBS) --target sota_sims -- --no-print-directory
	cp $(BUILD)/host/sota $(BUILD)/host/sota-idf-* $(BUILD)/

run: $(BUILD)/sota
	@echo "softap-ota simulator: open http://127.0.0.1:$(PORT)/ in a browser (Ctrl-C stops it)"
	$(BUILD)/sota sim --flash $(BUILD)/flash.bin --port $(PORT)

test: test-deps
	$(CMAKE_Q) -B $(BUILD)/asan -DSOTA_SANITIZE=ON -DSOTA_TESTS=ON
	cmake --build $(BUILD)/asan -j $(JOBS) -- --no-print-directory
	cd $(BUILD)/asan && ctest --output-on-failure -j $(JOBS)

bench:
	@tools/deps.sh bench
	SOTA_BENCH_BUILD=$(BUILD)/bench SOTA_BENCH_JSON=$(BUILD)/bench.json JOBS=$(JOBS) bench/run.sh

FUZZ_SECONDS ?= 300
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(JOBS) FUZZ_BUILD=$(BUILD)/fuzz bash tests/integration/test_fuzz.sh

MUTANTS_PER_FILE ?= 6
mutate: test-deps
	python3 tools/mutate.py --per-file $(MUTANTS_PER_FILE) --jobs $(JOBS)

clean:
	rm -rf $(BUILD)/host $(BUILD)/asan $(BUILD)/sota $(BUILD)/sota-idf-*

FORCE:
