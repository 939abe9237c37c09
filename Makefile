# Entry points for people and CI. Every target installs what it needs first.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= 2
FUZZ_SECONDS ?= 60
CMAKE_FLAGS ?=
SANDBOX    ?= .sandbox

.PHONY: all deps build test asan fuzz bench demo sandbox sandbox-stop docs clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS)

# The README's test command: every test, through ctest.
test: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer, but for the e2e matrices
# (a migration per injected failure or kill, only in the plain build) and the sandbox's own tests
# (Python against kubectl, no C++ of ours in them).
asan: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DFERRY_SANITIZE=ON -DFERRY_BENCHMARKS=OFF
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS) -LE 'e2e-matrix|sandbox'

# Every libFuzzer target (tests/fuzz/), FUZZ_SECONDS each, seeded from the tree.
fuzz: deps
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: build
	scripts/bench.sh $(BUILD)
	scripts/bench-executor.sh $(BUILD)
	scripts/bench-migrate.sh $(BUILD)

# What a new user runs first: the stock plan, checked and shown.
demo: build
	scripts/demo.sh $(BUILD)

# The sandbox of docs/tutorial-migrate.md, left running: `. $(SANDBOX)/ferry.env`, then migrate
# by hand; `make sandbox-stop` ends it.
sandbox: build
	BUILD=$(BUILD) scripts/sandbox.sh up $(SANDBOX)

sandbox-stop:
	scripts/sandbox.sh down $(SANDBOX)

# Regenerates docs/steps.md from the schema registry, and the man pages (docs/man/) from the
# command table.
docs: build
	$(BUILD)/tests/gen_steps_doc > docs/steps.md
	rm -f docs/man/*.1
	$(BUILD)/tests/gen_man docs/man

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
