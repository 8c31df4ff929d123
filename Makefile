# aqrank — build, run and test.
#
#   make            build build/aqrankd
#   make run        install missing packages, build, start the local PostgreSQL, migrate,
#                   seed demo stations and run the daemon in the foreground
#   make test       the same set-up, then every test (unit + integration, plain and ASan/UBSan)
#   make asan       build the ASan/UBSan variant under build-asan/
#   make bench      benchmarks (bench/run.sh)
#
# Every server/*.c except main.c goes into one static library that the daemon and the Check
# suites link, so a new module needs no Makefile edit.

BUILDDIR ?= build
SANITIZE ?= 0
CC       ?= gcc
PKGS     := libmicrohttpd jansson libpq libcurl gnutls zlib libsodium cairo pangocairo
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror
CPPFLAGS += -Iinclude -D_GNU_SOURCE
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 $(WARN) $(shell pkg-config --cflags $(PKGS)) -pthread
LDLIBS   += $(shell pkg-config --libs $(PKGS)) -lm -pthread
CHECK_CFLAGS := $(shell pkg-config --cflags check)
CHECK_LIBS   := $(shell pkg-config --libs check)

ifeq ($(SANITIZE),1)
CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

# `make` (or `make all`, `make tests`, `make asan`) where the libraries are missing: one line
# naming them and what to run, not a wall of compiler errors. `make run`, `make test` and
# `make bench` install them first (deploy/install-deps.sh), so they are not checked here.
DEB_pkg_libmicrohttpd := libmicrohttpd-dev
DEB_pkg_jansson       := libjansson-dev
DEB_pkg_libpq         := libpq-dev
DEB_pkg_libcurl       := libcurl4-gnutls-dev
DEB_pkg_gnutls        := libgnutls28-dev
DEB_pkg_zlib          := zlib1g-dev
DEB_pkg_libsodium     := libsodium-dev
DEB_pkg_check         := check
DEB_pkg_cairo         := libcairo2-dev
DEB_pkg_pangocairo    := libpango1.0-dev
BUILD_GOALS := $(filter-out deps run test stop bench clean format format-check,$(or $(MAKECMDGOALS),all))
ifneq ($(BUILD_GOALS),)
ifeq ($(shell command -v pkg-config),)
$(error pkg-config is not installed: run `make deps` (installs every package aqrank needs) or `make run`)
endif
MISSING_PKGS := $(shell for p in $(PKGS) check; do pkg-config --exists $$p || echo $$p; done)
ifneq ($(MISSING_PKGS),)
$(error missing libraries: $(MISSING_PKGS) (Debian: $(foreach p,$(MISSING_PKGS),$(DEB_pkg_$(p)))): run `make deps` (installs every package aqrank needs) or `make run`)
endif
endif

VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
CPPFLAGS += -DAQ_VERSION='"$(VERSION)"'

LIB_SRCS   := $(filter-out server/main.c,$(wildcard server/*.c))
LIB_OBJS   := $(patsubst server/%.c,$(BUILDDIR)/obj/%.o,$(LIB_SRCS))
WEB_ASSETS := $(sort $(wildcard web/*))
MIGRATIONS := $(sort $(wildcard migrations/*.sql))
TEST_SRCS  := $(wildcard tests/check_*.c)
TEST_BINS  := $(patsubst tests/%.c,$(BUILDDIR)/tests/%,$(TEST_SRCS))

.PHONY: all asan tests deps run test unit unit-asan integration stop bench format format-check \
        compile_commands clean fuzz
all: $(BUILDDIR)/aqrankd

$(BUILDDIR)/obj/%.o: server/%.c $(wildcard include/*.h server/*.h) | $(BUILDDIR)/obj
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# The dashboard and the migrations are embedded in the binary: no CDN, no files to install.
$(BUILDDIR)/obj/%_embed.o: $(BUILDDIR)/%_embed.c | $(BUILDDIR)/obj
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@
$(BUILDDIR)/web_embed.c: $(WEB_ASSETS) tools/embed.sh | $(BUILDDIR)/obj
	sh tools/embed.sh aq_web_assets $(WEB_ASSETS) > $@
$(BUILDDIR)/migrations_embed.c: $(MIGRATIONS) tools/embed.sh | $(BUILDDIR)/obj
	sh tools/embed.sh aq_migrations $(MIGRATIONS) > $@

EMBED_OBJS := $(BUILDDIR)/obj/web_embed.o $(BUILDDIR)/obj/migrations_embed.o
$(BUILDDIR)/libaq.a: $(LIB_OBJS) $(EMBED_OBJS)
	$(AR) rcs $@ $^

$(BUILDDIR)/aqrankd: server/main.c $(BUILDDIR)/libaq.a
	$(CC) $(CPPFLAGS) $(CFLAGS) $< -o $@ $(LDFLAGS) $(BUILDDIR)/libaq.a $(LDLIBS)

$(BUILDDIR)/tests/%: tests/%.c $(BUILDDIR)/libaq.a | $(BUILDDIR)/tests
	$(CC) $(CPPFLAGS) $(CFLAGS) $(CHECK_CFLAGS) $< -o $@ $(LDFLAGS) $(BUILDDIR)/libaq.a $(CHECK_LIBS) $(LDLIBS)

$(BUILDDIR)/obj $(BUILDDIR)/tests:
	mkdir -p $@

tests: $(TEST_BINS)

asan:
	$(MAKE) BUILDDIR=build-asan SANITIZE=1 all tests

deps:
	@sh deploy/install-deps.sh

# Unit tests: every Check suite, each its own binary.
unit: tests
	@sh tests/run-unit.sh $(BUILDDIR)/tests

unit-asan: asan
	@sh tests/run-unit.sh build-asan/tests

run: deps all
	@sh deploy/run-demo.sh

# make test: plain build and ASan/UBSan build, unit suites under both, integration suites
# against a throw-away PostgreSQL cluster (started and removed by tests/run-all.sh).
test: deps
	@$(MAKE) -s format-check || { echo "make test: the C sources are not formatted (.clang-format): run make format" >&2; exit 1; }
	$(MAKE) all tests
	$(MAKE) asan
	@sh tests/run-all.sh

stop:
	@sh deploy/pg-local.sh stop

bench: deps all
	@sh bench/run.sh

format:
	clang-format -i server/*.c include/*.h tests/*.c

format-check:
	clang-format --dry-run --Werror server/*.c include/*.h tests/*.c

compile_commands:
	$(MAKE) clean && bear -- $(MAKE) all tests

clean:
	rm -rf build build-asan build-fuzz

# Fuzzing (libFuzzer, clang from Debian). One harness per parser in fuzz/, each linked with
# the few server sources it exercises (not libaq.a: gcc builds that, and the fuzzer needs
# clang's coverage instrumentation in the code under test).
#   make fuzz           build into build-fuzz/ and fuzz every target FUZZ_SECONDS (default 20)
#   make fuzz-regress   run every harness once over fuzz/corpus/ and fuzz/regressions/
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 20
FUZZ_BUILD   := build-fuzz
FUZZ_TARGETS := readings station time query config csv hj212 bulletin
FUZZ_CFLAGS  := -std=c11 $(WARN) -g -O1 -fno-omit-frame-pointer \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_JSON    := server/json.c server/reading.c server/station.c server/timeutil.c server/clock.c \
                server/hj212.c server/hj212_guard.c server/csv.c server/buf.c
fuzz_readings_SRCS := $(FUZZ_JSON)
fuzz_station_SRCS  := $(FUZZ_JSON)
fuzz_time_SRCS     := server/timeutil.c
fuzz_query_SRCS    := server/timeutil.c server/clock.c server/ranking.c server/alert.c \
                      server/alerts.c server/interview.c server/station.c server/aqi.c \
                      server/reading.c
fuzz_config_SRCS   := server/config.c server/clock.c server/timeutil.c server/period.c server/aqi.c \
                      server/addr.c server/reading.c
fuzz_csv_SRCS      := server/csv.c
fuzz_hj212_SRCS    := server/hj212.c server/reading.c server/timeutil.c server/aqi.c
fuzz_bulletin_SRCS := server/qc.c server/calib.c server/bulletin.c server/bulletin_html.c server/buf.c server/dayview.c server/aggregate.c \
                      server/ranking.c server/station.c server/aqi.c server/timeutil.c server/clock.c \
                      server/reading.c server/interview.c
FUZZ_BINS := $(patsubst %,$(FUZZ_BUILD)/fuzz_%,$(FUZZ_TARGETS))

define FUZZ_BIN_RULE
$(FUZZ_BUILD)/fuzz_$(1): fuzz/fuzz_$(1).c fuzz/fuzz.h $$(fuzz_$(1)_SRCS) $(wildcard include/*.h)
	@mkdir -p $(FUZZ_BUILD)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) $(shell pkg-config --cflags jansson) \
		fuzz/fuzz_$(1).c $$(fuzz_$(1)_SRCS) -o $$@ $(shell pkg-config --libs jansson) -lm
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_BIN_RULE,$(t))))

.PHONY: fuzz fuzz-regress fuzz-build
fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@sh tests/run-fuzz.sh fuzz $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-regress: fuzz-build
	@sh tests/run-fuzz.sh regress $(FUZZ_BUILD) $(FUZZ_TARGETS)
