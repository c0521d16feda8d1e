# labwarden - the two commands a new user types, and the rest.
#
#   make demo   install what is missing, build, replay the bundled demo
#   make test   install what is missing, build normal + sanitizer builds,
#               run every test
#
# Other targets: build, build-asan, bench, fuzz, install, clean, deps,
# cross-arm64 (Raspberry Pi build, unit tests under qemu-user).

BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
PREFIX     ?= /usr/local
LW_TESTS   ?= AUTO

# Debian 12 packages: to build, to test, and to run the demo.
DEPS_BUILD = build-essential cmake pkg-config libpcap-dev libjansson-dev \
             libyaml-dev libpsl-dev publicsuffix ieee-data libnftables-dev \
             libcurl4-openssl-dev libssl-dev libmosquitto-dev \
             libnetfilter-log-dev libcap-dev python3
DEPS_TEST  = libcmocka-dev clang tshark arpwatch nftables iproute2 \
             iputils-ping tcpreplay mosquitto openssl man-db

# Cross build for a Raspberry Pi (arm64): Debian's cross compiler and the
# :arm64 libraries, every library any module links.
BUILD_ARM64 ?= build-arm64
DEPS_CROSS = crossbuild-essential-arm64 qemu-user cmake pkg-config \
             publicsuffix ieee-data python3
DEPS_ARM64 = libpcap-dev:arm64 libjansson-dev:arm64 libyaml-dev:arm64 \
             libpsl-dev:arm64 libnftables-dev:arm64 \
             libcurl4-openssl-dev:arm64 libssl-dev:arm64 \
             libmosquitto-dev:arm64 libnetfilter-log-dev:arm64 \
             libcap-dev:arm64 libcmocka-dev:arm64

.PHONY: all demo test deps deps-test build build-asan bench fuzz install clean \
        cross-arm64 deps-arm64

all: build

# Install missing Debian packages as root; otherwise say exactly what to run.
define install_missing
	@missing=$$(for p in $(1); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
	    grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing: $$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -q --no-install-recommends $$missing || exit 1; \
	  else \
	    echo "labwarden needs these Debian packages; run as root:"; \
	    echo "  apt-get update && apt-get install -y $$(echo $$missing)"; \
	    exit 1; \
	  fi; \
	fi
endef

deps:
	$(call install_missing,$(DEPS_BUILD))

deps-test: deps
	$(call install_missing,$(DEPS_TEST))

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DCMAKE_INSTALL_PREFIX=$(PREFIX) -DLW_TESTS=$(LW_TESTS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

# Sanitizer build with clang, which also builds the libFuzzer targets.
build-asan: deps-test
	CC=clang cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug \
	    -DLW_SANITIZE=ON -DLW_FUZZ=ON -DLW_TESTS=ON -DLW_FUZZ_SECONDS=$(FUZZ_SECONDS) >/dev/null
	cmake --build $(BUILD_ASAN) -j $(JOBS)

# The demo prints what it found, one line per event, for a person.
DEMO_EMIT = scene,new_mac,mac_ip_change,table_pressure
demo: build
	@echo "== labwarden replay of pcaps/demo.pcap (the story: pcaps/demo.md)"
	@$(BUILD)/labwarden replay -c pcaps/demo.yaml -r rules --format text \
	    --emit $(DEMO_EMIT) --stats pcaps/demo.pcap

# The test suite must be built: a missing cmocka is an error, not a skip.
test: LW_TESTS = ON
test: deps-test build build-asan
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	cd $(BUILD_ASAN) && ctest --output-on-failure -j $(JOBS)

bench: build
	bench/bench.sh $(BUILD)

# Longer fuzz runs than the ones in `make test`: make fuzz FUZZ_SECONDS=3600
FUZZ_TARGETS = decode:seeds dns:seeds_dns dhcp:seeds_dhcp yaml:seeds_yaml \
               mqtt:seeds_mqtt
fuzz: build-asan
	@for t in $(FUZZ_TARGETS); do \
	  name=$${t%%:*}; seeds=$${t#*:}; \
	  mkdir -p $(BUILD_ASAN)/fuzz-corpus-$$name; \
	  echo "== fuzz_$$name for $(FUZZ_SECONDS) s"; \
	  $(BUILD_ASAN)/fuzz_$$name -max_total_time=$(FUZZ_SECONDS) \
	    -rss_limit_mb=2048 $(BUILD_ASAN)/fuzz-corpus-$$name \
	    tests/fuzz/$$seeds || exit 1; \
	done

# make install [PREFIX=/usr/local] [DESTDIR=]: binary, rules, man page,
# example configuration, systemd unit, sysusers.d.  An existing build
# tree is installed as it is (the prefix is decided at install time).
install:
	@test -f $(BUILD)/CMakeCache.txt || $(MAKE) build
	cmake --build $(BUILD) -j $(JOBS) --target labwarden
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

# Debian's arm64 packages beside the amd64 ones (multiarch).
deps-arm64:
	@if ! dpkg --print-foreign-architectures | grep -qx arm64; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "adding the arm64 architecture"; \
	    dpkg --add-architecture arm64 && apt-get update -q || exit 1; \
	  else \
	    echo "run as root: dpkg --add-architecture arm64 && apt-get update"; \
	    exit 1; \
	  fi; \
	fi
	$(call install_missing,$(DEPS_CROSS) $(DEPS_ARM64))

# make cross-arm64: build for arm64 into build-arm64/ and run the unit
# tests there under qemu-user.  Not part of `make test` (slow).
cross-arm64: deps-arm64
	cmake -S . -B $(BUILD_ARM64) -DCMAKE_TOOLCHAIN_FILE=cmake/arm64.cmake \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLW_TESTS=ON >/dev/null
	cmake --build $(BUILD_ARM64) -j $(JOBS)
	@file $(BUILD_ARM64)/labwarden
	cd $(BUILD_ARM64) && ctest -L unit --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_ARM64)
