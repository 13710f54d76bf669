# Host entry of softap-ota. The ESP-IDF entry is CMakeLists.txt (idf.py build).
#   make        build build/sota (the host command and simulator) and build/sota-idf-X.Y.Z
#               (the simulator as each older modelled ESP-IDF release: sota sim --idf X.Y.Z)
#   make run    build and start the simulator on http://127.0.0.1:8080
#   make test   build everything with warnings as errors, under ASan+UBSan, and run every test
#   make bench  the performance table (build/bench.json)
#   make fuzz   libFuzzer runs of every parser, FUZZ_SECONDS each (clang; tests/fuzz)
#   make mutate one-token mutants of core/ and the boot/otadata/flash models: which the
#               unit tests miss (tools/mutate.py; minutes, not part of make test)
#   make device       the ESP-IDF build (TARGET=esp32c3 by default) with the ESP-IDF of the
#                     environment (export.sh); prints the app size against its slot
#   make device-test  updates on an emulated ESP32-C3 in QEMU, compared with `sota sim`
#                     (tests/device; skipped, exit 0, where ESP-IDF or QEMU is missing)
BUILD   ?= build
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
# cmake by its full path: ESP-IDF's export.sh puts $IDF_PATH/tools on PATH, which holds a
# folder named cmake, and GNU make 4.3 would try to run that folder
CMAKE   := $(shell command -v cmake 2>/dev/null || echo cmake)
CMAKE_Q  = $(CMAKE) -S host -Wno-dev -DCMAKE_BUILD_TYPE=RelWithDebInfo
PORT    ?= 8080

TARGET  ?= esp32c3

.PHONY: all deps test-deps run test bench fuzz mutate device device-test clean
all: $(BUILD)/sota

deps:
	@tools/deps.sh build

test-deps:
	@tools/deps.sh test

$(BUILD)/host/CMakeCache.txt: | deps
	$(CMAKE_Q) -B $(BUILD)/host -DSOTA_TESTS=OFF

$(BUILD)/sota: deps $(BUILD)/host/CMakeCache.txt FORCE
	$(CMAKE) --build $(BUILD)/host -j $(JOBS) --target sota_sims -- --no-print-directory
	cp $(BUILD)/host/sota $(BUILD)/host/sota-idf-* $(BUILD)/

run: $(BUILD)/sota
	@echo "softap-ota simulator: open http://127.0.0.1:$(PORT)/ in a browser (Ctrl-C stops it)"
	$(BUILD)/sota sim --flash $(BUILD)/flash.bin --port $(PORT)

test: test-deps
	$(CMAKE_Q) -B $(BUILD)/asan -DSOTA_SANITIZE=ON -DSOTA_TESTS=ON
	$(CMAKE) --build $(BUILD)/asan -j $(JOBS) -- --no-print-directory
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

device: $(BUILD)/sota
	@SOTA=$(BUILD)/sota tools/device.sh --target $(TARGET) --build $(BUILD)/device-$(TARGET)

device-test: $(BUILD)/sota
	@SOTA=$(BUILD)/sota bash tests/device/run.sh

clean:
	rm -rf $(BUILD)/host $(BUILD)/asan $(BUILD)/sota $(BUILD)/sota-idf-*

FORCE:
