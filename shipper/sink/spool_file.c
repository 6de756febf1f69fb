/*
 * spool_file.c
 *		The spool's files (spool.h): segments, their header, frames and the
 *		messages in them; and the reader that gives them back in order.
 *
 * A message in a frame: u16 topic length, topic; u32 key length (all ones:
 * null), key; u32 value length (all ones: tombstone), value; u64 commit
 * LSN; u64 sequence; u16 extra header name length, name; u32 its value's
 * length, value.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <zstd.h>

#include "sink/spool.h"

#define SEGMENT_MAGIC "CDCSPOOL"
#define SEGMENT_SUFFIX ".spool"
#define NO_BYTES UINT32_MAX

/* a frame's compressed size is checked against this before it is read */
#define FRAME_MAX_BYTES (1024u * 1024 * 1024)

struct SpoolReader
{
	char	   *dir;
	char	   *source;
	uint64_t   *segs;
	int			nsegs;
	int			cur;			/* segment being read; -1 before the first */
	int			fd;
	int64_t		bytes;			/* of all segments, at open */
	int64_t		offset;			/* of the current frame in its segment */
	Buf			comp;
	Buf			raw;
	size_t		pos;			/* next message in raw */
	uint32_t	left;			/* messages left in the frame */
	ZSTD_DCtx  *dctx;
	char		error[ERRLEN];
};

/* ---------- checksums ---------- */

static uint32_t crc_table[256];

/* CRC-32C (Castagnoli, reflected), as iSCSI and Kafka's record batches use */
static uint32_t
crc32c(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (crc_table[1] == 0)
		for (uint32_t i = 0; i < 256; i++)
		{
			uint32_t	c = i;

			for (int k = 0; k < 8; k++)
				c = c & 1 ? (c >> 1) ^ 0x82F63B78 : c >> 1;
			crc_table[i] = c;
		}
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static uint32_t
frame_crc(const SpoolFrame *f, const void *data, size_t len)
{
	return crc32c(crc32c(0, f, offsetof(SpoolFrame, crc)), data, len);
}

static uint32_t
head_crc(const SpoolFrame *f)
{
	return crc32c(0, f, offsetof(SpoolFrame, head_crc));
}

/* Set a frame's checksums, for its compressed bytes data. */
void
spool_seal(SpoolFrame *f, const void *data, size_t len)
{
	f->crc = frame_crc(f, data, len);
	f->head_crc = head_crc(f);
}

/* ---------- files ---------- */

void
spool_segment_path(char *out, size_t len, const char *dir, uint64_t segno)
{
	snprintf(out, len, "%s/%016" PRIx64 SEGMENT_SUFFIX, dir, segno);
}

static int
segno_cmp(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *) a,
				y = *(const uint64_t *) b;

	return x < y ? -1 : x > y;
}

int
spool_list(const char *dir, uint64_t **segs, char *err, size_t errlen)
{
	DIR		   *d = opendir(dir);
	struct dirent *e;
	int			n = 0,
				cap = 16;

	*segs = NULL;
	if (d == NULL)
	{
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot read spool.dir %s: %s", dir, strerror(errno));
		return -1;
	}
	*segs = xmalloc(cap * sizeof(uint64_t));
	while ((e = readdir(d)) != NULL)
	{
		uint64_t	segno;
		int			used = 0;

		if (sscanf(e->d_name, "%16" SCNx64 SEGMENT_SUFFIX "%n", &segno, &used) != 1 ||
			used != 16 + (int) strlen(SEGMENT_SUFFIX) || e->d_name[used] != '\0')
			continue;
		if (n == cap)
			*segs = xrealloc(*segs, (cap *= 2) * sizeof(uint64_t));
		(*segs)[n++] = segno;
	}
	closedir(d);
	qsort(*segs, n, sizeof(uint64_t), segno_cmp);
	return n;
}

/* A new file's name is durable once its directory is synced. */
bool
spool_sync_dir(const char *dir, char *err, size_t errlen)
{
	int			fd = open(dir, O_RDONLY | O_DIRECTORY);
	bool		ok = fd >= 0 && fsync(fd) == 0;

	if (!ok)
		snprintf(err, errlen, "cannot sync spool.dir %s: %s", dir, strerror(errno));
	if (fd >= 0)
		close(fd);
	return ok;
}

static bool
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0)
	{
		ssize_t		n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

/* Read exactly len bytes: 1 done, 0 at a clean end of file, -1 short or failed. */
static int
read_all(int fd, void *data, size_t len)
{
	char	   *p = data;
	size_t		got = 0;

	while (got < len)
	{
		ssize_t		n = read(fd, p + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return got == 0 && n == 0 ? 0 : -1;
		got += n;
	}
	return 1;
}

size_t
spool_header_size(const char *source)
{
	return 8 + 4 + strlen(source);
}

bool
spool_write_header(int fd, const char *path, const char *source, char *err, size_t errlen)
{
	uint32_t	len = strlen(source);

	if (!write_all(fd, SEGMENT_MAGIC, 8) || !write_all(fd, &len, 4) ||
		!write_all(fd, source, len) || fsync(fd) != 0)
	{
		snprintf(err, errlen, "cannot write spool segment %s: %s", path, strerror(errno));
		return false;
	}
	return true;
}

/* A segment must be this stream's: one spool.dir per shipper. */
bool
spool_check_header(int fd, const char *path, const char *source, char *err, size_t errlen)
{
	char		magic[8];
	uint32_t	len;
	char		theirs[512];

	if (read_all(fd, magic, 8) != 1 || memcmp(magic, SEGMENT_MAGIC, 8) != 0 ||
		read_all(fd, &len, 4) != 1 || len >= sizeof(theirs) || read_all(fd, theirs, len) != 1)
	{
		snprintf(err, errlen, "spool segment %s is not a cellcdc spool segment, or its "
				 "header is damaged; move it out of spool.dir", path);
		return false;
	}
	theirs[len] = '\0';
	if (strcmp(theirs, source) != 0)
	{
		snprintf(err, errlen, "spool.dir holds the spool of %s, not of this shipper's %s "
				 "(system/database/slot), in %s: give each shipper its own spool.dir, and "
				 "drain that one with the shipper it belongs to", theirs, source, path);
		return false;
	}
	return true;
}

/* Is the rest of the file zeros (blocks allocated by an append a crash cut short)? */
static bool
zeros_to_end(int fd)
{
	char		block[4096];
	ssize_t		n;

	while ((n = read(fd, block, sizeof(block))) > 0)
		for (ssize_t i = 0; i < n; i++)
			if (block[i] != 0)
				return false;
	return n == 0;
}

/*
 * The next frame.  Appends are fsynced one after the other, so a crash
 * can only tear the end: a header cut short or zeros to the end, a sound
 * header whose bytes run past the end, or a last frame failing its
 * checksum.  Anything else that fails is damage, never cut off.
 */
FrameStatus
spool_frame_read(int fd, SpoolFrame *f, Buf *comp)
{
	off_t		start = lseek(fd, 0, SEEK_CUR);
	struct stat st;
	int			rc;

	if (start < 0 || fstat(fd, &st) != 0)
		return FRAME_BAD;
	if (start == st.st_size)
		return FRAME_EOF;
	if (st.st_size - start < (off_t) sizeof(*f))
		return FRAME_TORN;
	if ((rc = read_all(fd, f, sizeof(*f))) != 1)
		return FRAME_BAD;
	if (f->magic != SPOOL_FRAME_MAGIC || f->head_crc != head_crc(f))
	{
		(void) lseek(fd, start, SEEK_SET);
		return zeros_to_end(fd) ? FRAME_TORN : FRAME_BAD;
	}
	if (f->comp_len > FRAME_MAX_BYTES)
		return FRAME_BAD;
	if (st.st_size - start - (off_t) sizeof(*f) < (off_t) f->comp_len)
		return FRAME_TORN;
	buf_reset(comp);
	buf_reserve(comp, f->comp_len);
	if (read_all(fd, comp->data, f->comp_len) != 1)
		return FRAME_BAD;
	comp->len = f->comp_len;
	if (frame_crc(f, comp->data, comp->len) == f->crc)
		return FRAME_OK;
	return lseek(fd, 0, SEEK_CUR) == st.st_size ? FRAME_TORN : FRAME_BAD;
}

/* The size on disk of these segments. */
int64_t
spool_bytes(const char *dir, const uint64_t *segs, int nsegs)
{
	int64_t		bytes = 0;

	for (int i = 0; i < nsegs; i++)
	{
		char		path[SPOOL_PATH_LEN];
		struct stat st;

		spool_segment_path(path, sizeof(path), dir, segs[i]);
		if (stat(path, &st) == 0)
			bytes += st.st_size;
	}
	return bytes;
}

/* A (last) segment whose header was never completed holds nothing: it is removed. */
bool
spool_segment_usable(const char *dir, uint64_t segno, const char *source)
{
	char		path[SPOOL_PATH_LEN];
	struct stat st;

	spool_segment_path(path, sizeof(path), dir, segno);
	if (stat(path, &st) != 0 || st.st_size >= (off_t) spool_header_size(source))
		return true;
	(void) unlink(path);
	return false;
}

/* Every segment must be this stream's: one spool.dir per shipper. */
bool
spool_check_dir(const char *dir, const uint64_t *segs, int nsegs, const char *source,
				char *err, size_t errlen)
{
	for (int i = 0; i < nsegs; i++)
	{
		char		path[SPOOL_PATH_LEN];
		int			fd;
		bool		ok;
		off_t		size;

		spool_segment_path(path, sizeof(path), dir, segs[i]);
		if ((fd = open(path, O_RDONLY)) < 0)
		{
			snprintf(err, errlen, "cannot open spool segment %s: %s", path, strerror(errno));
			return false;
		}
		size = lseek(fd, 0, SEEK_END);
		lseek(fd, 0, SEEK_SET);
		/* a last segment whose header was never completed holds nothing */
		ok = (i == nsegs - 1 && size < (off_t) spool_header_size(source)) ||
			spool_check_header(fd, path, source, err, errlen);
		close(fd);
		if (!ok)
			return false;
	}
	return true;
}

/* ---------- messages ---------- */

static void
put_bytes(Buf *raw, const void *p, size_t len, int width)
{
	uint32_t	n32 = p ? (uint32_t) len : NO_BYTES;
	uint16_t	n16 = (uint16_t) len;

	buf_put(raw, width == 2 ? (void *) &n16 : (void *) &n32, width);
	if (p)
		buf_put(raw, p, len);
}

void
spool_encode(Buf *raw, const OutMessage *m)
{
	put_bytes(raw, m->topic, strlen(m->topic), 2);
	put_bytes(raw, m->key, m->key_len, 4);
	put_bytes(raw, m->value, m->value_len, 4);
	buf_put(raw, &m->commit_lsn, 8);
	buf_put(raw, &m->seq, 8);
	put_bytes(raw, m->extra_header ? m->extra_header : "",
			  m->extra_header ? strlen(m->extra_header) : 0, 2);
	put_bytes(raw, m->extra_value, m->extra_len, 4);
}

/* The next width-prefixed field of the frame; false when it runs past the end. */
static bool
get_bytes(SpoolReader *r, int width, const char **p, size_t *len)
{
	uint32_t	n;
	uint16_t	n16;

	if (r->raw.len - r->pos < (size_t) width)
		return false;
	if (width == 2)
		memcpy(&n16, r->raw.data + r->pos, 2);
	else
		memcpy(&n, r->raw.data + r->pos, 4);
	if (width == 2)
		n = n16;
	r->pos += width;
	if (width == 4 && n == NO_BYTES)
	{
		*p = NULL;
		*len = 0;
		return true;
	}
	if (r->raw.len - r->pos < n)
		return false;
	*p = r->raw.data + r->pos;
	*len = n;
	r->pos += n;
	return true;
}

/* Take the next message of the frame into m; strings point into the frame. */
static bool
decode(SpoolReader *r, OutMessage *m)
{
	const char *topic,
			   *hdr;
	size_t		topic_len,
				hdr_len;
	static char names[2][256];	/* NUL-terminated copies: topic, header name */

	memset(m, 0, sizeof(*m));
	if (!get_bytes(r, 2, &topic, &topic_len) || topic_len == 0 || topic_len >= sizeof(names[0]) ||
		!get_bytes(r, 4, &m->key, &m->key_len) ||
		!get_bytes(r, 4, &m->value, &m->value_len) ||
		r->raw.len - r->pos < 16)
		return false;
	memcpy(&m->commit_lsn, r->raw.data + r->pos, 8);
	memcpy(&m->seq, r->raw.data + r->pos + 8, 8);
	r->pos += 16;
	if (!get_bytes(r, 2, &hdr, &hdr_len) || hdr_len >= sizeof(names[1]) ||
		!get_bytes(r, 4, &m->extra_value, &m->extra_len))
		return false;
	memcpy(names[0], topic, topic_len);
	names[0][topic_len] = '\0';
	m->topic = names[0];
	if (hdr_len > 0)
	{
		memcpy(names[1], hdr, hdr_len);
		names[1][hdr_len] = '\0';
		m->extra_header = names[1];
	}
	return true;
}

/* ---------- the reader ---------- */

SpoolReader *
spool_reader_open(const char *dir, const char *source, char *err, size_t errlen)
{
	SpoolReader *r = xcalloc(1, sizeof(SpoolReader));

	r->nsegs = spool_list(dir, &r->segs, err, errlen);
	if (r->nsegs < 0)
	{
		free(r);
		return NULL;
	}
	if (!spool_check_dir(dir, r->segs, r->nsegs, source, err, errlen))
	{
		free(r->segs);
		free(r);
		return NULL;
	}
	r->dir = xstrdup(dir);
	r->source = xstrdup(source);
	r->cur = -1;
	r->fd = -1;
	r->dctx = ZSTD_createDCtx();
	if (r->nsegs > 0 && !spool_segment_usable(dir, r->segs[r->nsegs - 1], source))
		r->nsegs--;
	r->bytes = spool_bytes(dir, r->segs, r->nsegs);
	return r;
}

int
spool_reader_segments(const SpoolReader *r)
{
	return r->nsegs;
}

int64_t
spool_reader_bytes(const SpoolReader *r)
{
	return r->bytes;
}

const char *
spool_reader_error(const SpoolReader *r)
{
	return r->error;
}

/* Open the next segment; false at the end or on an error (r->error set). */
static bool
next_segment(SpoolReader *r)
{
	char		path[SPOOL_PATH_LEN];

	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	if (++r->cur >= r->nsegs)
		return false;
	spool_segment_path(path, sizeof(path), r->dir, r->segs[r->cur]);
	if ((r->fd = open(path, O_RDONLY)) < 0)
	{
		snprintf(r->error, sizeof(r->error), "cannot open spool segment %s: %s", path,
				 strerror(errno));
		return false;
	}
	r->offset = 0;
	return spool_check_header(r->fd, path, r->source, r->error, sizeof(r->error));
}

/*
 * Read the next frame.  A torn frame ends the last segment (a crash while
 * writing it: none of it was acknowledged); anywhere else the spool is
 * damaged, and what follows cannot be trusted.
 */
static SpoolRead
next_frame(SpoolReader *r)
{
	SpoolFrame	f;
	char		path[SPOOL_PATH_LEN];
	FrameStatus st;
	size_t		got;

	r->offset = lseek(r->fd, 0, SEEK_CUR);
	st = spool_frame_read(r->fd, &f, &r->comp);
	if (st == FRAME_EOF)
		return SPOOL_SEGMENT_END;
	spool_segment_path(path, sizeof(path), r->dir, r->segs[r->cur]);
	if (st == FRAME_TORN && r->cur == r->nsegs - 1)
	{
		log_warn("spool segment %s ends in a torn frame at byte %" PRId64 " (a crash while "
				 "writing it); the changes in it were never confirmed and come again from the slot",
				 path, r->offset);
		return SPOOL_SEGMENT_END;
	}
	got = 0;
	if (st == FRAME_OK && f.raw_len <= FRAME_MAX_BYTES)
	{
		buf_reset(&r->raw);
		buf_reserve(&r->raw, f.raw_len);
		got = ZSTD_decompressDCtx(r->dctx, r->raw.data, f.raw_len, r->comp.data, r->comp.len);
	}
	if (st != FRAME_OK || ZSTD_isError(got) || got != f.raw_len)
	{
		snprintf(r->error, sizeof(r->error), "spool segment %s is damaged at byte %" PRId64
				 " (%s): the changes from there on, already confirmed to the slot, cannot be "
				 "read", path, r->offset, st != FRAME_OK ? "a frame fails its checksum or is cut short" :
				 ZSTD_isError(got) ? ZSTD_getErrorName(got) : "wrong length");
		return SPOOL_ERROR;
	}
	r->raw.len = got;
	r->pos = 0;
	r->left = f.count;
	return SPOOL_MESSAGE;
}

SpoolRead
spool_read(SpoolReader *r, OutMessage *m)
{
	while (r->left == 0)
	{
		SpoolRead	rc;

		if (r->fd < 0 && !next_segment(r))
			return r->error[0] ? SPOOL_ERROR : SPOOL_END;
		rc = next_frame(r);
		if (rc == SPOOL_SEGMENT_END)
		{
			/* r->cur stays: the caller may remove the segment */
			close(r->fd);
			r->fd = -1;
			return rc;
		}
		if (rc != SPOOL_MESSAGE)
			return rc;
	}
	if (!decode(r, m))
	{
		char		path[SPOOL_PATH_LEN];

		spool_segment_path(path, sizeof(path), r->dir, r->segs[r->cur]);
		snprintf(r->error, sizeof(r->error), "spool segment %s: a message in the frame at byte "
				 "%" PRId64 " is malformed", path, r->offset);
		return SPOOL_ERROR;
	}
	r->left--;
	return SPOOL_MESSAGE;
}

bool
spool_remove_segment(SpoolReader *r, char *err, size_t errlen)
{
	char		path[SPOOL_PATH_LEN];

	spool_segment_path(path, sizeof(path), r->dir, r->segs[r->cur]);
	if (unlink(path) != 0)
	{
		snprintf(err, errlen, "cannot remove drained spool segment %s: %s", path, strerror(errno));
		return false;
	}
	return spool_sync_dir(r->dir, err, errlen);
}

void
spool_reader_close(SpoolReader *r)
{
	if (r == NULL)
		return;
	if (r->fd >= 0)
		close(r->fd);
	ZSTD_freeDCtx(r->dctx);
	buf_free(&r->comp);
	buf_free(&r->raw);
	free(r->segs);
	free(r->dir);
	free(r->source);
	free(r);
}
