# vios - Makefile. Every variable has a default; override on the command line.
#
#   make              build ./vios
#   make check        unit tests (cmocka) and end-to-end tests but the long
#                     ones, within ten minutes on 2 cores (tests/run.sh)
#   make check-all    every test, the long end-to-end scripts too (CI)
#   make check SAN=1  the same under AddressSanitizer + UBSan
#   make demo         the end-to-end story on embedded defaults
#   make report-sweep the report's attacker over REPORT_SEEDS (500) random
#                     grids (tests/tools/report_attack.py)
#   make bench        ratios against plain SQLite, libsodium and the CLI pipeline
#   make bench-scale  a municipality's school year: BENCH_SCALE_SCHOOLS (50) x
#                     BENCH_SCALE_WEEKS (40), merge and audit timed (not in check)
#   make fuzz         libFuzzer targets for FUZZ_SECONDS each (or FUZZ_RUNS
#                     executions; FUZZ_TARGETS="age covenant" for some only)
#   make install      PREFIX/bin/vios, its man page and bash completion, the
#                     systemd units, sysusers.d and tmpfiles.d entries and the
#                     sudoers snippet (DESTDIR respected; packaging/)
#   make deb          build/vios_VERSION_ARCH.deb from a staged make install
#                     PREFIX=/usr, with dpkg-deb (packaging/mkdeb.sh)
#   make sqlite-tests SQLite's own tests (3.40.1, Debian source) over the
#                     default VFS and over the vios VFS, compared
#                     (tools/sqlite-tests/, docs/sqlite-tests.md); installs
#                     what it needs like make check (tools/deps.sh sqlite-tests)
#   make deps         install the Debian packages all of these need (as root;
#                     make deps-fuzz adds clang); building never installs
CC ?= cc
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
DOCDIR ?= $(DATADIR)/doc/vios
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
SYSCONFDIR ?= /etc
DESTDIR ?=
DEB_BUILD ?= build/deb
DEB_MAINTAINER ?= vios maintainers <maintainers@vios.invalid>
PKGS ?= sqlite3 libgit2 libsodium zlib jansson cairo libmicrohttpd
CFLAGS ?= -O2 -g
LDFLAGS ?=
LDLIBS ?=
SAN ?= 0
FUZZ_SECONDS ?= 30
FUZZ_RUNS ?= 0
FUZZ_TARGETS ?=
BENCH_ROWS ?= 100000
BENCH_SCALE_SCHOOLS ?= 50
BENCH_SCALE_WEEKS ?= 40
FAULTS ?= 1
DEPS ?= tools/deps.sh
FUZZ_CC ?= clang
FUZZ_BUILD ?= build/fuzz
SQLITE_SRC ?= build/sqlite-src
SQLITE_TESTS_OUT ?= build/sqlite-tests
SQLITE_TEST_TIMEOUT ?= 300
SQLITE_TEST_JOBS ?= 2

# Building never installs anything. `make deps` installs what building, the
# tests, the demo and the bench need (tools/deps.sh, as root); `make check`,
# `make check-all` and `make demo` install what they miss themselves, before compiling.
# Every other target only checks and says what to run.
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2
DEFS := -D_GNU_SOURCE -DVIOS_LOCALEDIR='"$(DATADIR)/locale"' -DSQLITE_ENABLE_SESSION -DSQLITE_ENABLE_PREUPDATE_HOOK $(if $(filter 0,$(FAULTS)),-DVIOS_NO_FAULTS)
INCS := -Isrc -I.
# Recursive (=) so pkg-config runs in the recipes, after `make check` or
# `make demo` installed what was missing.
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
# the web interface (src/web) is the CLI's vios serve: linked into vios only
CLI_SRC := $(sort $(wildcard src/cli/*.c src/web/*.c))
# the message catalog (po/, src/util/i18n.h): one .mo per language, built
# next to the binaries (build/locale, where a source tree's vios finds it)
PO := $(sort $(wildcard po/*.po))
MO := $(PO:po/%.po=build/locale/%/LC_MESSAGES/vios.mo)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/schema.o
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# Test tools (t_*.c) live in tools/ or tests/tools/; bench.c in tools/.
TOOL_DIRS := tools tests/tools
TOOL_SRC := $(sort $(foreach d,$(TOOL_DIRS),$(wildcard $(d)/t_*.c)))
TOOL_BIN := $(addprefix $(BUILD)/tools/,$(basename $(notdir $(TOOL_SRC))))
BENCH_BIN := $(BUILD)/tools/bench
BENCH_SCALE_BIN := $(BUILD)/tools/bench_scale
SCHEMA := $(sort $(wildcard schema/*.sql))
vpath t_%.c $(TOOL_DIRS)
vpath bench.c tools
vpath bench_scale.c tools

# What must hold before anything is compiled: make check and make demo
# (and make check-all) install their packages; the rest only check (see pkgs-present).
ifneq ($(filter check check-all,$(MAKECMDGOALS)),)
GATE := deps-check
else ifneq ($(filter demo,$(MAKECMDGOALS)),)
GATE := deps-demo
else ifneq ($(filter bench bench-scale,$(MAKECMDGOALS)),)
GATE := bench-present
else
GATE := pkgs-present
endif

.PHONY: FORCE po report-sweep all check check-all demo bench bench-scale fuzz install deb clean deps deps-check deps-demo deps-fuzz pkgs-present bench-present fuzz-present sqlite-tests deps-sqlite-tests
all: $(VIOS_BIN) $(MO) $(if $(filter vios,$(VIOS_BIN)),vios.1)

deps:
	@$(DEPS) check
deps-check:
	@$(DEPS) check
deps-demo:
	@$(DEPS) demo
deps-fuzz:
	@$(DEPS) fuzz
deps-sqlite-tests:
	@$(DEPS) sqlite-tests
# Checks only, one line when something is missing; never installs.
pkgs-present:
	@missing=; for p in $(PKGS); do pkg-config --exists $$p 2>/dev/null || missing="$$missing $$p"; done; \
	command -v msgfmt >/dev/null 2>&1 || missing="$$missing msgfmt(gettext)"; \
	[ -z "$$missing" ] || { echo "vios: cannot build, pkg-config finds no$$missing: run 'make deps' (as root) to install them" >&2; exit 1; }
bench-present:
	@$(DEPS) --no-install bench
fuzz-present:
	@$(DEPS) --no-install fuzz

# object_tree DIR,COMPILE,GATE: the library's objects, the embedded schema
# and libvios.a under DIR, compiled with COMPILE once GATE holds. $(BUILD)
# is one tree (make, make check), $(FUZZ_BUILD) the other (make fuzz).
define object_tree
$(1)/%.o: %.c | $(3)
	@mkdir -p $$(@D)
	$(2) -c $$< -o $$@
$(1)/gen/schema.o: $(1)/gen/schema.c | $(3)
	$(2) -c $$< -o $$@
$(1)/libvios.a: $(LIB_SRC:%.c=$(1)/%.o) $(1)/gen/schema.o
	@rm -f $$@
	ar rcs $$@ $$^
endef
$(eval $(call object_tree,$(BUILD),$$(CC) $$(ALL_CFLAGS),$(GATE)))

# the list of migrations itself: a removed or renamed file makes the
# embedded schema again too (a timestamp alone would not)
%/gen/schema.list: FORCE
	@mkdir -p $(@D); echo '$(SCHEMA)' | cmp -s - $@ || echo '$(SCHEMA)' >$@
FORCE:
.PRECIOUS: %/gen/schema.list
%/gen/schema.c: $(SCHEMA) %/gen/schema.list tools/embed-schema.sh
	@mkdir -p $(@D)
	sh tools/embed-schema.sh $(SCHEMA) > $@.tmp && mv $@.tmp $@

build/locale/%/LC_MESSAGES/vios.mo: po/%.po | $(GATE)
	@mkdir -p $(@D)
	msgfmt --check -o $@.tmp $< && mv $@.tmp $@

# po/vios.pot from the sources: _() and N_() in the web interface, and every
# library message (vios_error_set, vios_error_os); po/*.po merged with it.
po:
	xgettext --from-code=UTF-8 --language=C --keyword=_ --keyword=N_ --keyword=vios_error_set:2 \
		--keyword=vios_error_os:1 --flag=vios_error_set:2:c-format --flag=vios_error_os:1:c-format \
		--package-name=vios --msgid-bugs-address=maintainers@vios.invalid --add-comments=TRANSLATORS \
		-o po/vios.pot $(sort $(LIB_SRC) $(CLI_SRC))
	for f in $(PO); do msgmerge --quiet --update --backup=none $$f po/vios.pot || exit 1; done

$(VIOS_BIN): $(CLI_OBJ) $(BUILD)/libvios.a $(MO)
	$(CC) $(CFLAGS) $(SANFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libvios.a $(PKG_LIBS) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libvios.a | $(GATE)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libvios.a $(PKG_LIBS) $(shell pkg-config --libs cmocka) $(LDLIBS)

# the web interface's unit test links its objects too (they are not in libvios)
WEB_OBJ := $(filter $(BUILD)/src/web/%,$(CLI_OBJ))
$(BUILD)/tests/test_web: tests/unit/test_web.c $(WEB_OBJ) $(BUILD)/libvios.a $(MO) | $(GATE)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(WEB_OBJ) $(BUILD)/libvios.a $(PKG_LIBS) $(shell pkg-config --libs cmocka) $(LDLIBS)

# test tools and the bench (found through vpath above)
$(BUILD)/tools/%: %.c $(BUILD)/libvios.a | $(GATE)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libvios.a $(PKG_LIBS) $(LDLIBS)

# make check: every unit test, SQLite's quick subset and the end-to-end
# scripts but the long ones (tests/run.sh, E2E_LONG), within ten minutes on a
# 2-core machine; make check-all: every end-to-end script too (what CI runs)
check: deps-check $(VIOS_BIN) $(MO) $(UNIT_BIN) $(TOOL_BIN)
	@VIOS="$(abspath $(VIOS_BIN))" BUILD="$(abspath $(BUILD))" SAN=$(SAN) sh tests/run.sh

check-all: deps-check $(VIOS_BIN) $(MO) $(UNIT_BIN) $(TOOL_BIN)
	@VIOS="$(abspath $(VIOS_BIN))" BUILD="$(abspath $(BUILD))" SAN=$(SAN) VIOS_CHECK_ALL=1 sh tests/run.sh

# The report's attacker over REPORT_SEEDS random grids (make check-all runs 40,
# in tests/e2e/report_attack.sh; docs/disclosure.md).
REPORT_SEEDS ?= 500
report-sweep: $(BUILD)/tools/t_report
	@python3 tests/tools/report_attack.py sweep --tool $(BUILD)/tools/t_report --seeds $(REPORT_SEEDS)

bench: bench-present $(VIOS_BIN) $(BENCH_BIN)
	@VIOS="$(abspath $(VIOS_BIN))" $(BENCH_BIN) --rows $(BENCH_ROWS) $(if $(BENCH_JSON),--json $(BENCH_JSON))

# A municipality's school year (tools/bench_scale.c): BENCH_SCALE_SCHOOLS
# schools x BENCH_SCALE_WEEKS weeks, then hub merge, audit verify, flows and
# replay timed, with each one's peak RSS. Not part of check: the full run
# takes many minutes (5 x 4 is a quick one).
bench-scale: bench-present $(VIOS_BIN) $(BENCH_SCALE_BIN)
	@VIOS="$(abspath $(VIOS_BIN))" nice $(BENCH_SCALE_BIN) --schools $(BENCH_SCALE_SCHOOLS) --weeks $(BENCH_SCALE_WEEKS)

# ---- fuzz: libFuzzer targets tools/fuzz/fuzz_*.c, built with clang against
# the library recompiled with clang and sanitizers into FUZZ_BUILD (objects
# apart from every other build); each runs FUZZ_SECONDS, or FUZZ_RUNS
# executions when that is not 0 (FUZZ_SECONDS=0 then sets no time limit), on a
# copy of its seeds tests/resources/fuzz/<target>/ and kept corpus
# tests/resources/fuzz/corpus/<target>/ (see tools/fuzz/run.sh).
# FUZZ_TARGETS names the targets to run (default: all). `make deps-fuzz`
# installs clang.
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# Warnings stay on but not fatal: clang warns about a few things gcc does not,
# and the gcc build (`make`) is the one that enforces -Werror.
FUZZ_CFLAGS = -std=gnu11 $(filter-out -Werror,$(WARN)) $(DEFS) $(INCS) $(PKG_CFLAGS) -O1 -g $(FUZZ_SAN) -MMD -MP
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o) $(FUZZ_BUILD)/gen/schema.o
FUZZ_SRC := $(sort $(wildcard tools/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tools/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_RUN_BIN := $(if $(strip $(FUZZ_TARGETS)),$(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%),$(FUZZ_BIN))

$(eval $(call object_tree,$(FUZZ_BUILD),$$(FUZZ_CC) $$(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,fuzz-present))

$(FUZZ_BUILD)/fuzz_%: tools/fuzz/fuzz_%.c tools/fuzz/fuzz.h $(FUZZ_BUILD)/libvios.a | fuzz-present
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(FUZZ_BUILD)/libvios.a $(PKG_LIBS) $(LDLIBS)

fuzz: $(FUZZ_RUN_BIN)
	@sh tools/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_RUNS) $(FUZZ_RUN_BIN)

# ---- sqlite-tests: SQLite's testfixture, from the Debian source of the
# libsqlite3 this machine links, fetched into SQLITE_SRC (not committed) and
# built with the vios VFS in it (tools/sqlite-tests/build.sh); the files of
# tools/sqlite-tests/full.list run over both VFSs (run.sh). `make check`
# runs quick.list the same way (tests/run.sh).
sqlite-tests: deps-sqlite-tests
	@sh tools/sqlite-tests/build.sh $(SQLITE_SRC) bld
	@SQLITE_TEST_TIMEOUT=$(SQLITE_TEST_TIMEOUT) SQLITE_TEST_JOBS=$(SQLITE_TEST_JOBS) \
		nice bash tools/sqlite-tests/run.sh $(SQLITE_SRC)/bld/testfixture $(SQLITE_SRC)/src \
		$(SQLITE_TESTS_OUT)/full tools/sqlite-tests/full.list tools/sqlite-tests/explained.txt

demo: deps-demo $(VIOS_BIN)
	@VIOS="$(abspath $(VIOS_BIN))" bash tools/demo.sh

vios.1: $(VIOS_BIN)
	./$(VIOS_BIN) help --man > $@.tmp && mv $@.tmp $@ || { rm -f $@.tmp; exit 1; }

# ---- install and deb: everything the Debian package holds, from packaging/
# (README.md there). The units and the sudoers snippet name BINDIR/vios;
# the node home (/var/lib/vios/home) and /etc/vios are fixed.
UNITS := $(sort $(wildcard packaging/systemd/*.service.in packaging/systemd/*.timer))
SUBST = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DATADIR@|$(DATADIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g'

install: $(VIOS_BIN) $(MO) vios.1
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) \
		$(DESTDIR)$(DATADIR)/vios $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSCONFDIR)/sudoers.d
	install -m 0755 $(VIOS_BIN) $(DESTDIR)$(BINDIR)/vios
	install -m 0644 vios.1 $(DESTDIR)$(MANDIR)/man1/vios.1
	install -m 0644 packaging/vios.bash-completion $(DESTDIR)$(BASHCOMPDIR)/vios
	for u in $(UNITS); do n=$${u##*/}; $(SUBST) $$u >$(DESTDIR)$(UNITDIR)/$${n%.in} && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$${n%.in} || exit 1; done
	install -m 0644 packaging/vios.sysusers $(DESTDIR)$(SYSUSERSDIR)/vios.conf
	install -m 0644 packaging/vios.tmpfiles $(DESTDIR)$(TMPFILESDIR)/vios.conf
	install -m 0644 packaging/sudo.env $(DESTDIR)$(DATADIR)/vios/sudo.env
	install -m 0755 tools/pre-receive $(DESTDIR)$(DATADIR)/vios/pre-receive
	$(SUBST) packaging/sudoers.in >$(DESTDIR)$(SYSCONFDIR)/sudoers.d/vios.tmp && \
		chmod 0440 $(DESTDIR)$(SYSCONFDIR)/sudoers.d/vios.tmp && \
		mv $(DESTDIR)$(SYSCONFDIR)/sudoers.d/vios.tmp $(DESTDIR)$(SYSCONFDIR)/sudoers.d/vios
	install -m 0644 README.md INSTALL.md $(DESTDIR)$(DOCDIR)/
	for m in $(MO); do l=$${m#build/locale/}; l=$${l%%/*}; \
		install -d $(DESTDIR)$(DATADIR)/locale/$$l/LC_MESSAGES && \
		install -m 0644 $$m $(DESTDIR)$(DATADIR)/locale/$$l/LC_MESSAGES/vios.mo || exit 1; done

deb: $(VIOS_BIN) vios.1
	@VIOS="$(VIOS_BIN)" MAKE="$(MAKE)" DEB_BUILD="$(DEB_BUILD)" DEB_MAINTAINER="$(DEB_MAINTAINER)" \
		sh packaging/mkdeb.sh

clean:
	rm -rf build vios vios.1

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(UNIT_BIN:=.d) $(TOOL_BIN:=.d) $(BENCH_BIN).d
-include $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_BIN:=.d)
