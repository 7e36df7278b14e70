# vios - Makefile. Every variable has a default; override on the command line.
#
#   make              build ./vios
#   make check        unit tests (cmocka) and end-to-end tests
#   make check SAN=1  the same under AddressSanitizer + UBSan
#   make demo         the end-to-end story on embedded defaults
#   make bench        ratios against plain SQLite, libsodium and the CLI pipeline
#   make fuzz         libFuzzer targets for FUZZ_SECONDS each
#   make install      PREFIX/bin/vios and the man page
CC ?= cc
PREFIX ?= /usr/local
PKGS ?= sqlite3 libgit2 libsodium zlib jansson
CFLAGS ?= -O2 -g
SAN ?= 0
FUZZ_SECONDS ?= 30
BENCH_ROWS ?= 100000
FAULTS ?= 1
DEPS ?= tools/deps.sh

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2
DEFS := -D_GNU_SOURCE -DSQLITE_ENABLE_SESSION -DSQLITE_ENABLE_PREUPDATE_HOOK $(if $(filter 0,$(FAULTS)),-DVIOS_NO_FAULTS)
INCS := -Isrc -Isync -I.
# Recursive (=) so pkg-config runs after the deps check installed it.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))

ifeq ($(SAN),1)
BUILD ?= build/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
VIOS_BIN := $(BUILD)/vios
else
BUILD ?= build/rel
SANFLAGS :=
VIOS_BIN := $(if $(filter build/rel,$(BUILD)),vios,$(BUILD)/vios)
endif

ALL_CFLAGS = -std=gnu11 $(WARN) $(DEFS) $(INCS) $(PKG_CFLAGS) $(CFLAGS) $(SANFLAGS) -MMD -MP

LIB_SRC := $(sort $(wildcard src/util/*.c src/crypto/*.c src/store/*.c src/crdt/*.c src/node/*.c sync/*.c))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
GEN_SRC := $(BUILD)/gen/schema.c
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(GEN_SRC:.c=.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC := $(sort $(wildcard tests/tools/t_*.c))
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)
SCHEMA := $(sort $(wildcard schema/*.sql))

.PHONY: all check demo bench fuzz install clean deps deps-check deps-demo deps-fuzz
all: $(VIOS_BIN) $(if $(filter vios,$(VIOS_BIN)),vios.1)

deps:
	@$(DEPS) build
deps-check:
	@$(DEPS) check
deps-demo:
	@$(DEPS) demo

$(BUILD)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/gen/schema.c: $(SCHEMA) tools/embed-schema.sh
	@mkdir -p $(dir $@)
	sh tools/embed-schema.sh $(SCHEMA) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/schema.o: $(BUILD)/gen/schema.c | deps
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libvios.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(VIOS_BIN): $(CLI_OBJ) $(BUILD)/libvios.a
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libvios.a $(PKG_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libvios.a | deps-check
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libvios.a $(PKG_LIBS) $(shell pkg-config --libs cmocka)

$(BUILD)/tools/%: tests/tools/%.c $(BUILD)/libvios.a | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libvios.a $(PKG_LIBS)

check: deps-check $(VIOS_BIN) $(UNIT_BIN) $(TOOL_BIN)
	@VIOS="$(abspath $(VIOS_BIN))" BUILD="$(abspath $(BUILD))" SAN=$(SAN) sh tests/run.sh

$(BUILD)/tools/bench: tools/bench.c $(BUILD)/libvios.a | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libvios.a $(PKG_LIBS)

bench: deps-demo $(VIOS_BIN) $(BUILD)/tools/bench
	@VIOS="$(abspath $(VIOS_BIN))" $(BUILD)/tools/bench --rows $(BENCH_ROWS)

# ---- fuzz: libFuzzer targets tools/fuzz/fuzz_*.c, built with clang against
# the library recompiled with clang and sanitizers into FUZZ_BUILD (objects
# apart from every other build); each runs FUZZ_SECONDS on a copy of its seed
# corpus tests/resources/fuzz/<target>/ (see tools/fuzz/run.sh).
FUZZ_CC ?= clang
FUZZ_BUILD ?= build/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# Warnings stay on but not fatal: clang warns about a few things gcc does not,
# and the gcc build (`make`) is the one that enforces -Werror.
FUZZ_CFLAGS = -std=gnu11 $(filter-out -Werror,$(WARN)) $(DEFS) $(INCS) $(PKG_CFLAGS) -O1 -g $(FUZZ_SAN) -MMD -MP
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o) $(FUZZ_BUILD)/gen/schema.o
FUZZ_SRC := $(sort $(wildcard tools/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tools/fuzz/%.c=$(FUZZ_BUILD)/%)

$(FUZZ_BUILD)/gen/schema.c: $(SCHEMA) tools/embed-schema.sh
	@mkdir -p $(dir $@)
	sh tools/embed-schema.sh $(SCHEMA) > $@.tmp && mv $@.tmp $@

$(FUZZ_BUILD)/%.o: %.c | deps-fuzz
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/gen/schema.o: $(FUZZ_BUILD)/gen/schema.c | deps-fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/libvios.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tools/fuzz/fuzz_%.c tools/fuzz/fuzz.h $(FUZZ_BUILD)/libvios.a | deps-fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_BUILD)/libvios.a $(PKG_LIBS)

deps-fuzz:
	@$(DEPS) fuzz

fuzz: $(FUZZ_BIN)
	@sh tools/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_BIN)

demo: deps-demo $(VIOS_BIN)
	@VIOS="$(abspath $(VIOS_BIN))" bash tools/demo.sh

vios.1: $(VIOS_BIN)
	./$(VIOS_BIN) help --man > $@.tmp && mv $@.tmp $@

install: $(VIOS_BIN) vios.1
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(VIOS_BIN) $(DESTDIR)$(PREFIX)/bin/vios
	install -m 0644 vios.1 $(DESTDIR)$(PREFIX)/share/man/man1/vios.1

clean:
	rm -rf build vios vios.1

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
-include $(FUZZ_LIB_OBJ:.o=.d)
