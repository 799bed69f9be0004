# fieldsync — plain GNU make. `make help` lists the targets.
#
# Layout of what gets built (all under $(BUILD), default build/):
#   libproto.a      protocol/*.c            (no I/O; shared by both sides)
#   libi18n.a       i18n/*.c                (languages and catalogs, both sides)
#   libfieldsync.a  client/lib/*.c          (the offline store + sync engine)
#   fieldsync       client/cli/*.c          (the CLI, public header only)
#   libsrv.a        server/*.c but main.c   (so tests link the server's code)
#   fieldsyncd      server/main.c + libsrv.a
#   tests/unit/test_*  one cmocka binary per tests/unit/test_*.c

BUILD   ?= build
CC      ?= cc
PKGS     = sqlite3 libcurl libcjson libsodium libmicrohttpd zlib libzstd xlsxwriter \
           libzip
TESTPKGS = cmocka

WARN     = -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wwrite-strings
OPT     ?= -O2 -g
CFLAGS  ?=
CFLAGS  += -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L $(WARN) $(OPT) \
           -I. -Iclient/include -MMD -MP $(EXTRA_CFLAGS)
LDFLAGS += $(EXTRA_LDFLAGS)

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TEST_LIBS  := $(shell pkg-config --libs $(TESTPKGS) 2>/dev/null)
CFLAGS  += $(PKG_CFLAGS)
LIBS     = $(PKG_LIBS) -lpthread -lm

PROTO_SRC  := $(wildcard protocol/*.c)
LANG_SRC   := $(wildcard i18n/*.c)
CLIB_SRC   := $(wildcard client/lib/*.c)
CLI_SRC    := $(wildcard client/cli/*.c) $(wildcard client/ui/*.c)
SRV_SRC    := $(filter-out server/main.c,$(wildcard server/*.c))
UNIT_SRC   := $(wildcard tests/unit/test_*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

LIBPROTO = $(BUILD)/libproto.a
LIBI18N  = $(BUILD)/libi18n.a
LIBFS    = $(BUILD)/libfieldsync.a
LIBSRV   = $(BUILD)/libsrv.a
FIELDSYNC  = $(BUILD)/fieldsync
FIELDSYNCD = $(BUILD)/fieldsyncd
UNIT_BINS  = $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRC))
TOOLS      = $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(wildcard tests/tools/*.c))

.PHONY: all help deps test check fuzz fuzz-build bench demo clean format \
        check-symbols protocol client server units dict

# Parts not written yet are skipped, so the tree builds at every step.
ALL_TARGETS = $(LIBPROTO) $(if $(CLI_SRC),$(FIELDSYNC)) \
              $(if $(wildcard server/main.c),$(FIELDSYNCD)) $(TOOLS)
all: $(ALL_TARGETS)

help:
	@echo "make            build fieldsync and fieldsyncd into $(BUILD)/"
	@echo "make deps       install missing Debian packages (apt-get)"
	@echo "make test       build and run unit + end-to-end tests"
	@echo "make check      the same tests under ASan + UBSan"
	@echo "make fuzz       build libFuzzer targets (clang) and run each briefly"
	@echo "make bench      benchmarks, results in bench/RESULTS.md"
	@echo "make demo       a local server and devices recording and syncing"
	@echo "make dict       retrain the wire's zstd dictionary from"
	@echo "                protocol/zstd/corpus/ (protocol/zstd/README.md)"
	@echo "make clean      remove build/"
	@echo "make install    binaries, man pages, menu entry, catalogs into"
	@echo "                \$$(DESTDIR)\$$(PREFIX) (PREFIX=/usr/local); make uninstall"

protocol: $(LIBPROTO)
client: $(FIELDSYNC)
server: $(FIELDSYNCD)
units: $(UNIT_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIBPROTO): $(call obj,$(PROTO_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBI18N): $(call obj,$(LANG_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBFS): $(call obj,$(CLIB_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBSRV): $(call obj,$(SRV_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(FIELDSYNC): $(call obj,$(CLI_SRC)) $(LIBFS) $(LIBI18N) $(LIBPROTO)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(call obj,$(CLI_SRC)) $(BUILD)/gen/ui_assets.o $(LIBFS) $(LIBI18N) $(LIBPROTO) $(LIBS)

$(FIELDSYNCD): $(call obj,server/main.c) $(LIBSRV) $(LIBI18N) $(LIBPROTO)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(call obj,server/main.c) $(LIBSRV) $(LIBI18N) $(LIBPROTO) $(LIBS)

# Unit tests: test_proto_* link the protocol module only, test_client_* the
# client library, test_server_* the server's code, so one part's tests build
# while another part is being changed.
$(BUILD)/tests/unit/test_proto_%: $(BUILD)/tests/unit/test_proto_%.o $(LIBPROTO)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(TEST_LIBS) $(LIBS)

$(BUILD)/tests/unit/test_client_%: $(BUILD)/tests/unit/test_client_%.o $(LIBFS) $(LIBI18N) $(LIBPROTO)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(TEST_LIBS) $(LIBS)

$(BUILD)/tests/unit/test_server_%: $(BUILD)/tests/unit/test_server_%.o $(LIBSRV) $(LIBI18N) $(LIBPROTO)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(TEST_LIBS) $(LIBS)

# Helper programs for the end-to-end tests (fault proxy, raw push client...).
$(BUILD)/tests/tools/%: $(BUILD)/tests/tools/%.o $(LIBPROTO)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBPROTO) $(LIBS)

deps:
	@sh tests/deps.sh

test: deps
	@$(MAKE) --no-print-directory -j2 all units
	@BUILD=$(BUILD) sh tests/run.sh

check: deps
	@$(MAKE) --no-print-directory -j2 BUILD=build/check OPT="-O1 -g -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" all units
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  BUILD=build/check FIELDSYNC_SANITIZED=1 sh tests/run.sh

FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS = $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))
FUZZ_SECONDS ?= 60

fuzz-build: deps
	@$(MAKE) --no-print-directory -j2 BUILD=build/fuzzlib CC=clang \
	  OPT="-O1 -g" EXTRA_CFLAGS="-fsanitize=fuzzer-no-link,address,undefined" \
	  build/fuzzlib/libproto.a build/fuzzlib/libi18n.a build/fuzzlib/libsrv.a
	@mkdir -p build/fuzz
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  clang $(CFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined $$f \
	    build/fuzzlib/libsrv.a build/fuzzlib/libi18n.a build/fuzzlib/libproto.a $(LIBS) -o build/fuzz/$$n || exit 1; \
	  echo "built build/fuzz/$$n"; done

fuzz: fuzz-build
	@for b in $(FUZZ_BINS); do n=$$(basename $$b); mkdir -p tests/fuzz/corpus/$$n; \
	  echo "== $$n for $(FUZZ_SECONDS)s"; \
	  $$b -max_total_time=$(FUZZ_SECONDS) -max_len=65536 tests/fuzz/corpus/$$n || exit 1; done

# The strict JSON decoder on large objects (issue 9 item 8): measures only.
$(BUILD)/bench/json: $(BUILD)/bench/json.o $(LIBPROTO)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

bench: all $(BUILD)/bench/json
	@$(BUILD)/bench/json
	@sh bench/run.sh

demo: deps
	@$(MAKE) --no-print-directory -j2 all
	@if [ -f client/cli/main.c ]; then BUILD=$(BUILD) sh tests/demo.sh; else \
	  d=$$(mktemp -d) && $(BUILD)/tests/tools/mkvectors $$d >/dev/null && \
	  echo "protocol round trip: a signed change set and its hash:" && \
	  cat $$d/sets/*.bytes 2>/dev/null | head -c 600; echo; \
	  ls $$d/sets | head; rm -rf $$d; fi

# The zstd dictionary of the wire (issue 15, protocol/zstd/README.md):
# mkdict trains it on protocol/zstd/corpus/ and writes the dictionary and
# its C embedding (protocol/zdict.c, .h; part of libproto), all committed.
# Deterministic: the same corpus and libzstd give the same bytes, which
# tests/e2e/zdict.t checks.
dict: $(BUILD)/tests/tools/mkdict
	$(BUILD)/tests/tools/mkdict train protocol/zstd/corpus \
	  protocol/zstd/fieldsync-1.dict protocol/zdict.c protocol/zdict.h

# Every exported symbol of the libraries carries its part's prefix.
check-symbols: $(LIBPROTO) $(LIBI18N) $(LIBFS) $(LIBSRV)
	@bad=$$(nm -g --defined-only $(LIBPROTO) | awk 'NF==3{print $$3}' | grep -v '^proto_' ; \
	        nm -g --defined-only $(LIBI18N) | awk 'NF==3{print $$3}' | grep -v '^i18n_' ; \
	        nm -g --defined-only $(LIBFS) | awk 'NF==3{print $$3}' | grep -v '^fieldsync_\|^fs_' ; \
	        nm -g --defined-only $(LIBSRV) | awk 'NF==3{print $$3}' | grep -v '^srv_'); \
	  if [ -n "$$bad" ]; then echo "symbols without prefix:"; echo "$$bad"; exit 1; fi; echo "symbols ok"

format:
	clang-format -i protocol/*.[ch] i18n/*.[ch] client/*/*.[ch] server/*.[ch] tests/*/*.c

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- issue 5: dashboard assets and the default targets file ---------------
# server/web/*.{html,css,js} and server/targets.default are built into
# fieldsyncd as string literals by server/web/embed.sh (sh + od + awk only),
# so the dashboard works offline with nothing installed beside the binary.
# The generated object joins libsrv.a (extra prerequisites add to its $^).
WEB_ASSETS = server/web/index.html server/web/login.html server/web/app.css \
             $(BUILD)/gen/web/app.js
$(BUILD)/gen/web_assets.c: server/web/embed.sh $(WEB_ASSETS) server/targets.default
	@mkdir -p $(dir $@)
	sh server/web/embed.sh $@.tmp server/targets.default $(WEB_ASSETS) && mv $@.tmp $@
$(BUILD)/gen/web_assets.o: $(BUILD)/gen/web_assets.c
	$(CC) $(CFLAGS) -c $< -o $@
$(LIBSRV): $(BUILD)/gen/web_assets.o

# ---- issue 10: enrollment links as QR codes ---------------------------------
# `fieldsyncd token create --qr` draws the link with libqrencode (the PNG
# around it is written by server/enroll_link.c with zlib); only the server's
# links need it.
QR_PKG   = libqrencode
CFLAGS  += $(shell pkg-config --cflags $(QR_PKG) 2>/dev/null)
QR_LIBS := $(shell pkg-config --libs $(QR_PKG) 2>/dev/null)
$(FIELDSYNCD): LIBS += $(QR_LIBS)
$(BUILD)/tests/unit/test_server_%: LIBS += $(QR_LIBS)
fuzz-build: LIBS += $(QR_LIBS)

# ---- issue 14: the PostgreSQL store (server/store_pg.c) -------------------
# libpq, only the server's code links it: a --db value that is a PostgreSQL
# URI or connection string is served from PostgreSQL (server/store.c picks).
PG_PKG   = libpq
CFLAGS  += $(shell pkg-config --cflags $(PG_PKG) 2>/dev/null)
PG_LIBS := $(shell pkg-config --libs $(PG_PKG) 2>/dev/null)
$(FIELDSYNCD): LIBS += $(PG_LIBS)
$(BUILD)/tests/unit/test_server_%: LIBS += $(PG_LIBS)
fuzz-build: LIBS += $(PG_LIBS)

# ---- issue 10: make install / make uninstall --------------------------------
# Both binaries, the man pages fieldsync(1) and fieldsyncd(8), the menu entry
# for `fieldsync ui`, and every message catalog the build made
# ($(LOCALE_BUILD)/<ll>/LC_MESSAGES/fieldsync.mo, none is fine). What was
# installed is recorded in $(PREFIX)/share/fieldsync/installed, so uninstall
# removes exactly that (dist/install.sh). DESTDIR stages for a package.
PREFIX       ?= /usr/local
DESTDIR      ?=
LOCALE_BUILD ?= $(BUILD)/locale
.PHONY: install uninstall
install: all
	@sh dist/install.sh install "$(DESTDIR)" "$(PREFIX)" "$(FIELDSYNC)" \
	  "$(FIELDSYNCD)" "$(LOCALE_BUILD)"
uninstall:
	@sh dist/install.sh uninstall "$(DESTDIR)" "$(PREFIX)"

# ---- issue 10: languages (po/) and input as people type it ----------------
# libfieldsync normalises input with libunistring (NFC, case folding) and
# translates with GNU gettext (domain "fieldsync", catalogs po/*.po, English
# the source). `make` compiles each catalog to
# $(BUILD)/locale/<ll>/LC_MESSAGES/fieldsync.mo (the build tree's catalogs,
# which a program run from $(BUILD) uses; `make install` copies them to
# $(LOCALEDIR)) and fails when po/fieldsync.pot is not what xgettext finds
# in the sources or a catalog misses a translation (see po/README.md).
PREFIX    ?= /usr/local
LOCALEDIR ?= $(PREFIX)/share/locale
LIBS      += -lunistring
$(BUILD)/i18n/lang.o: CFLAGS += -DFIELDSYNC_LOCALEDIR='"$(LOCALEDIR)"'

LANGS     = vi lo
# Every file with user-facing strings (po/mkpot.sh says what it extracts).
# protocol/changeset.c and hlc.c are left out: their messages are the wire's
# diagnostics, sent by the server in English.
I18N_SRC  = protocol/proto.c protocol/records.c protocol/merge.c \
            $(CLIB_SRC) $(CLI_SRC) $(wildcard client/ui/*.c) \
            server/report.c $(wildcard server/report_*.c) \
            $(wildcard server/web/*.js server/web/*.html) \
            $(wildcard client/ui/assets/*.js client/ui/assets/*.html)
MO_FILES  = $(patsubst %,$(BUILD)/locale/%/LC_MESSAGES/fieldsync.mo,$(LANGS))

.PHONY: po-check po-update
all: $(MO_FILES)
po-check: $(BUILD)/po/pot.ok $(MO_FILES)

# The template must be what the sources say: a new or changed string fails
# the build until `make po-update` and its translations.
$(BUILD)/po/fieldsync.pot: po/mkpot.sh $(I18N_SRC)
	@mkdir -p $(dir $@)
	@sh po/mkpot.sh $@ $(BUILD)/po/work $(I18N_SRC)
$(BUILD)/po/pot.ok: $(BUILD)/po/fieldsync.pot po/fieldsync.pot
	@if ! cmp -s $< po/fieldsync.pot; then \
	  echo "po/fieldsync.pot is out of date with the sources:"; \
	  diff -u po/fieldsync.pot $< | grep '^[-+]msgid' | head -20; \
	  echo "run: make po-update, then translate in po/*.po"; exit 1; fi
	@touch $@

# One catalog per language: every msgid translated, none fuzzy, formats
# matching (msgfmt --check), else no .mo and the build fails.
$(BUILD)/locale/%/LC_MESSAGES/fieldsync.mo: po/%.po $(BUILD)/po/pot.ok
	@mkdir -p $(dir $@)
	@msgcmp po/$*.po po/fieldsync.pot || { \
	  echo "po/$*.po: messages above are missing or fuzzy; make po-update and translate them"; exit 1; }
	@msgfmt --check --statistics -o $@.tmp po/$*.po 2>$@.stat || { cat $@.stat; rm -f $@.tmp; exit 1; }
	@if grep -q 'fuzzy\|untranslated' $@.stat; then \
	  echo "po/$*.po: $$(cat $@.stat)"; rm -f $@.tmp; exit 1; fi
	@mv $@.tmp $@ && echo "po/$*.po: $$(cat $@.stat)"

po-update: $(BUILD)/po/fieldsync.pot
	cp $< po/fieldsync.pot
	@for l in $(LANGS); do msgmerge --quiet --update --backup=none \
	  --add-location=file --no-wrap --previous po/$$l.po po/fieldsync.pot; done
	@for l in $(LANGS); do printf 'po/%s.po: ' $$l; \
	  msgfmt --statistics -o /dev/null po/$$l.po; done

# Web pages read the same catalogs: po/po2json.sh turns them into
# dictionaries at build time, and po/refdump prints the protocol's
# reference names with their English labels. The dashboard's served app.js
# is server/web/app.js followed by both (a generic step: the field app can
# do the same with its own sources).
$(BUILD)/po/refdump: po/refdump.c $(LIBPROTO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBPROTO) $(LIBS)
$(BUILD)/gen/web/i18n.js: po/po2json.sh $(BUILD)/po/refdump $(MO_FILES)
	@mkdir -p $(dir $@)
	{ sh po/po2json.sh -r server/web/ -r protocol/records.c -v FIELDSYNC_I18N \
	    $(foreach l,$(LANGS),$(l)=po/$(l).po) && \
	  printf 'var FIELDSYNC_REFS = ' && $(BUILD)/po/refdump && printf ';\n'; } > $@.tmp
	mv $@.tmp $@
$(BUILD)/gen/web/app.js: server/web/app.js $(BUILD)/gen/web/i18n.js
	cat $^ > $@

# ---- the field app (fieldsync ui): pages embedded like the dashboard's ----
UI_ASSETS = $(wildcard client/ui/assets/*.html client/ui/assets/*.css \
              client/ui/assets/*.js client/ui/assets/*.svg)
# Its words: the same catalogs, as one JSON dictionary per language (the
# page's own strings, client/ui/), English being the source.
UI_I18N = $(patsubst %,$(BUILD)/gen/ui/i18n/%.json,$(LANGS) en)
$(BUILD)/gen/ui/i18n/en.json:
	@mkdir -p $(dir $@)
	echo '{}' > $@
$(BUILD)/gen/ui/i18n/%.json: po/%.po po/po2json.sh $(MO_FILES)
	@mkdir -p $(dir $@)
	sh po/po2json.sh -r client/ui/ po/$*.po > $@.tmp && mv $@.tmp $@
$(BUILD)/gen/ui_assets.c: client/ui/embed.sh $(UI_ASSETS) $(UI_I18N)
	@mkdir -p $(dir $@)
	sh client/ui/embed.sh $@.tmp $(UI_ASSETS) $(UI_I18N) && mv $@.tmp $@
$(BUILD)/gen/ui_assets.o: $(BUILD)/gen/ui_assets.c
	$(CC) $(CFLAGS) -c $< -o $@
$(FIELDSYNC): $(BUILD)/gen/ui_assets.o
