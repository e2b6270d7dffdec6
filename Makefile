# Thin wrapper over CMake so that the usual commands work from a fresh clone.
#   make            build build/prtip (RelWithDebInfo)
#   make deps       install Debian build and test dependencies (root)
#   make test       unit + integration tests, then the same under ASan+UBSan,
#                   fuzz harness smoke runs and the clang-format check
#   make bench      the connect benchmark (root); bench/README.md lists the others
#   make install    build/prtip to $(DESTDIR)$(PREFIX)/bin and docs/prtip.1 to
#                   $(DESTDIR)$(PREFIX)/share/man/man1 (PREFIX=/usr/local)
JOBS ?= $(shell nproc)
PREFIX ?= /usr/local
# ctest's parallel jobs: integration tests mostly wait on timers and the
# network, not the CPU; the timing-sensitive ones run alone (CMakeLists.txt:
# PRTIP_SERIAL_TESTS). FUZZ_JOBS: harnesses run side by side (fuzz/run.sh).
TEST_JOBS ?= 4
FUZZ_JOBS ?= 2

.PHONY: all build deps test test-fast asan fuzz format format-check bench clean install

all: build

build:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build -j $(JOBS)

# DESTDIR is read from the environment by cmake --install.
install: build
	DESTDIR="$(DESTDIR)" cmake --install build --prefix "$(PREFIX)"

deps:
	bash scripts/install-deps.sh

test-fast: build
	cd build && ctest --output-on-failure -j $(TEST_JOBS)

asan:
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPRTIP_SANITIZE=ON >/dev/null
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(TEST_JOBS)

fuzz:
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DPRTIP_FUZZ=ON -DPRTIP_SANITIZE=ON >/dev/null
	cmake --build build-fuzz -j $(JOBS) --target fuzzers
	FUZZ_JOBS=$(FUZZ_JOBS) bash fuzz/run.sh build-fuzz 10

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

test: test-fast asan fuzz format-check
	@echo "all test stages passed"

bench: build
	bash bench/connect.sh

clean:
	rm -rf build build-asan build-fuzz
