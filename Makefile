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
PKGS     := libmicrohttpd jansson libpq libcurl gnutls
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

$(BUILDDIR)/obj/%.o: server/%.c $(wildcard include/*.h) | $(BUILDDIR)/obj
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
