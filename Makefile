# cellcdc: PGXS build of the output plugin and extension.
#   make && make install            (PG_CONFIG=/path/to/pg_config to pick a server)
#   make installcheck               pg_regress on a private temporary instance
#   make dist                       cellcdc-$(EXTVERSION).zip for PGXN

EXTENSION = cellcdc
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big = cellcdc
# shared with the shipper: the record reader and the filters' name patterns
SHARED_OBJS = decoder/record.o decoder/stored.o decoder/pattern.o
OBJS = decoder/cellcdc.o decoder/encode.o decoder/options.o decoder/relcache.o \
	decoder/render_sql.o decoder/snapshot.o $(SHARED_OBJS)
PGFILEDESC = "cellcdc - compact binary logical decoding output plugin"
# the older install scripts stay, so that updating from them is tested
DATA = $(wildcard sql/$(EXTENSION)--*.sql)

REGRESS = extension render types encoding toast replica_identity partitioned ddl \
	savepoints truncate messages filters options big_transaction status jsonb_depth \
	decoding_error snapshot upgrade
REGRESS_OPTS = --inputdir=regress --outputdir=regress --encoding=UTF8 --no-locale \
	--temp-instance=regress/tmp_check --temp-config=regress/logical.conf \
	--temp-config=regress/tmp_plugins.conf
TAP_TESTS = 1
PROVE_TESTS = regress/t/*.pl
EXTRA_CLEAN = regress/results regress/regression.diffs regress/regression.out \
	regress/tmp_check regress/tmp_plugins.conf regress/mockbroker tmp_check \
	$(SHIPPER) $(SHIPPER_OBJS) $(EXTENSION)-*.zip $(FUZZ_TARGETS)

# callback signatures are fixed by PostgreSQL, so some parameters go unused
PG_CPPFLAGS = -Wall -Wextra -Wno-unused-parameter

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Servers from 15.19 refuse plugins not listed in output_plugin_libraries;
# older ones refuse to start when the setting is present.
POSTGRES_BIN = $(shell $(PG_CONFIG) --bindir)/postgres
regress/tmp_plugins.conf:
	@if $(POSTGRES_BIN) --describe-config 2>/dev/null | grep -q '^output_plugin_libraries'; then \
		echo "output_plugin_libraries = 'pgoutput, test_decoding, cellcdc'"; fi > $@

installcheck: regress/tmp_plugins.conf regress/mockbroker

# test-only: the Kafka cluster of the end-to-end tests (librdkafka's mock)
regress/mockbroker: regress/mockbroker.c
	$(CC) -O2 -Wall -Wextra -o $@ $< -lrdkafka

# the shipper: a frontend program, built with its own flags
SHIPPER = shipper/cellcdc-shipper
SHIPPER_SRCS = $(wildcard shipper/*.c shipper/*/*.c)
SHIPPER_OBJS = $(SHIPPER_SRCS:.c=.o)
SHIPPER_HDRS = $(wildcard shipper/*.h shipper/*/*.h) decoder/record.h
SHIPPER_CFLAGS = -O2 -g -Wall -Wextra -Wno-unused-parameter -std=gnu11 -D_GNU_SOURCE -Ishipper -Idecoder \
	-I$(shell $(PG_CONFIG) --includedir) -DSHIPPER_VERSION=\"$(EXTVERSION)\"
SHIPPER_LIBS = -L$(shell $(PG_CONFIG) --libdir) -lpq -lrdkafka -ljansson -lzstd -lm -lpthread

shipper/%.o: shipper/%.c $(SHIPPER_HDRS)
	$(CC) $(SHIPPER_CFLAGS) -c -o $@ $<

$(SHIPPER): $(SHIPPER_OBJS) $(SHARED_OBJS)
	$(CC) -o $@ $^ $(SHIPPER_LIBS)

all: $(SHIPPER)

install: install-shipper
install-shipper: $(SHIPPER)
	$(MKDIR_P) '$(DESTDIR)$(bindir)'
	$(INSTALL_PROGRAM) $(SHIPPER) '$(DESTDIR)$(bindir)/cellcdc-shipper'

uninstall: uninstall-shipper
uninstall-shipper:
	rm -f '$(DESTDIR)$(bindir)/cellcdc-shipper'

# libFuzzer targets, with sanitizers (regress/t/023_fuzz.pl builds and runs them)
FUZZ_CC = clang
FUZZ_CFLAGS = -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Wall -Wextra -Wno-unused-parameter -Werror -Ishipper -Idecoder \
	-I$(shell $(PG_CONFIG) --includedir) -DSHIPPER_VERSION=\"$(EXTVERSION)\"
FUZZ_RENDER = $(wildcard shipper/render/*.c) decoder/record.c decoder/stored.c
FUZZ_TARGETS = regress/fuzz/record_fuzz regress/fuzz/config_fuzz

regress/fuzz/record_fuzz: regress/fuzz/record_fuzz.c $(FUZZ_RENDER) $(SHIPPER_HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) -lm -lpthread

regress/fuzz/config_fuzz: regress/fuzz/config_fuzz.c $(wildcard shipper/config/*.c) shipper/ops/log.c \
		$(FUZZ_RENDER) decoder/pattern.c $(SHIPPER_HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(SHIPPER_LIBS)

fuzz: $(FUZZ_TARGETS)

dist:
	git archive --format zip --prefix=$(EXTENSION)-$(EXTVERSION)/ \
		-o $(EXTENSION)-$(EXTVERSION).zip HEAD

.PHONY: dist fuzz install-shipper uninstall-shipper
