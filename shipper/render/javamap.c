/*
 * javamap.c
 *		The order in which a Java HashMap<String, ...> iterates its keys.
 *
 * Debezium writes two things straight from such a map: the hstore value
 * (pgjdbc reads hstore into a HashMap) and the per-table counts of a
 * transaction END event.  Iteration goes bucket by bucket, buckets chosen
 * by the spread String.hashCode() over a power-of-two table, and within a
 * bucket in insertion order; reproducing that needs the hash, the table
 * size the map grew to, and a stable sort.
 */
#include "render/render_int.h"

#include "render/json.h"

/*
 * Java's String.hashCode over the UTF-16 code units of UTF-8 text; a byte
 * that is not UTF-8 is the lone surrogate U+DC00 + byte, as json.c writes
 * it.
 */
uint32_t
java_string_hash(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s;
	const unsigned char *end = p + len;
	uint32_t	h = 0;

	while (p < end)
	{
		int			n = utf8_seq_len(p, end);
		uint32_t	cp;

		if (n == 0)
			cp = 0xDC00 + *p++;
		else
		{
			cp = n == 1 ? *p : n == 2 ? *p & 0x1F : n == 3 ? *p & 0x0F : *p & 0x07;
			for (int i = 1; i < n; i++)
				cp = (cp << 6) | (p[i] & 0x3F);
			p += n;
		}
		if (cp >= 0x10000)
		{
			cp -= 0x10000;
			h = 31 * h + (0xD800 + (cp >> 10));
			h = 31 * h + (0xDC00 + (cp & 0x3FF));
		}
		else
			h = 31 * h + cp;
	}
	return h;
}

/* The table size of a HashMap that has held n entries (16, doubling at 3/4). */
int
java_hashmap_capacity(int n)
{
	int			cap = 16;

	while (n > cap / 4 * 3)
		cap *= 2;
	return cap;
}

/*
 * The order a HashMap of this capacity iterates keys inserted in index
 * order with these hashes: by bucket, then by insertion within a bucket.
 */
void
java_hashmap_order(const uint32_t *hashes, int n, int capacity, int *order)
{
	int			i,
				j;

	for (i = 0; i < n; i++)
		order[i] = i;
	/* insertion sort: stable, and n is small */
	for (i = 1; i < n; i++)
	{
		int			k = order[i];
		uint32_t	h = hashes[k];
		uint32_t	bk = (h ^ (h >> 16)) & (uint32_t) (capacity - 1);

		for (j = i - 1; j >= 0; j--)
		{
			uint32_t	h2 = hashes[order[j]];

			if (((h2 ^ (h2 >> 16)) & (uint32_t) (capacity - 1)) <= bk)
				break;
			order[j + 1] = order[j];
		}
		order[j + 1] = k;
	}
}
