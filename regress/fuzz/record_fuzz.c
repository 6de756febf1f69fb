/*
 * record_fuzz.c
 *		libFuzzer target: the shipper's record reader and renderer, fed as
 *		the stream loop feeds them.
 *
 * An input is a configuration byte followed by records, each a 4-byte
 * big-endian length and that many bytes (a short tail is one more
 * record).  The byte picks the Debezium layout and the value modes, so one
 * corpus covers them all.  Every record goes to renderer_feed() with a
 * catalog that knows nothing, as a fresh session would; a record that
 * cannot be read must fail with an error, never crash.  Seeded from real
 * records by regress/t/023_fuzz.pl.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "ops/log.h"
#include "render/render.h"

/* the renderer's log lines go nowhere */
void
log_at(LogLevel level, const char *fmt,...)
{
}

static bool
no_catalog(void *arg, uint32_t relid, int ncols, const char *const *names, ColumnMeta *out,
		   char *err, size_t errlen)
{
	memset(out, 0, sizeof(ColumnMeta) * (size_t) ncols);
	return true;
}

/* Every message must be whole: a topic, and lengths that match. */
static bool
take(void *arg, const OutMessage *m)
{
	if (m->topic == NULL || (m->key == NULL && m->key_len != 0) ||
		(m->value == NULL && m->value_len != 0))
		__builtin_trap();
	return true;
}

static Config
fuzz_config(uint8_t pick)
{
	static const DbzLayout layouts[] = {DBZ_2_0, DBZ_2_6, DBZ_2_7, DBZ_3_1, DBZ_3_5};
	static const char *const versions[] = {"2.0.0.Final", "2.6.0.Final", "2.7.0.Final",
	"3.1.3.Final", "3.5.0.Final"};
	Config		cfg = {0};

	cfg.topic_prefix = "f";
	cfg.topic_delimiter = ".";
	cfg.topic_transaction = "transaction";
	cfg.layout = layouts[pick % 5];
	cfg.debezium_version = (char *) versions[pick % 5];
	cfg.key_schemas = cfg.value_schemas = (pick & 0x08) != 0;
	cfg.tombstones = (pick & 0x10) != 0;
	cfg.tx_metadata = (pick & 0x20) != 0;
	cfg.decimal_mode = (DecimalMode) ((pick >> 6) % 3);
	cfg.time_mode = (TimeMode) ((pick >> 3) % 3);
	cfg.binary_mode = (BinaryMode) ((pick >> 1) % 4);
	cfg.placeholder = "__debezium_unavailable_value";
	return cfg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the shipper's claims outlive sessions: here, inputs */
	static TopicClaims *claims;
	Config		cfg;
	Renderer   *r;
	uint64_t	lsn = 0x1000000;

	if (size < 1)
		return 0;
	if (claims == NULL)
		claims = topic_claims_new();
	cfg = fuzz_config(data[0]);
	r = renderer_new(&cfg, "fuzz", no_catalog, NULL, claims);
	data++;
	size--;
	while (size > 0)
	{
		size_t		len = size;

		if (size >= 4)
		{
			uint32_t	n = ((uint32_t) data[0] << 24) | ((uint32_t) data[1] << 16) |
				((uint32_t) data[2] << 8) | data[3];

			data += 4;
			size -= 4;
			len = n < size ? n : size;
		}
		/* a failure is an answer; the error must name something */
		if (!renderer_feed(r, data, len, lsn, take, NULL) && renderer_error(r)[0] == '\0')
			__builtin_trap();
		data += len;
		size -= len;
		lsn += 0x100;
	}
	renderer_free(r);
	return 0;
}
