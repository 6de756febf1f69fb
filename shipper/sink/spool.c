/*
 * spool.c
 *		The spool as a sink (spool.h): while Kafka is away, messages are
 *		appended to spool.dir and acknowledged once fsynced there, so the
 *		slot moves on and the cell keeps no WAL for the shipper.
 *
 * Messages gather into a frame, written and fsynced when it holds
 * SPOOL_FRAME_BYTES or has waited SPOOL_FRAME_MS.  A message at or before
 * the last stream position the spool holds is there already (the slot
 * replays from its confirmed LSN after a restart) and is acknowledged
 * without being written again.  spool.max.bytes bounds the spool: when a
 * frame does not fit, nothing more is acknowledged (the slot keeps the
 * WAL) and an ERROR says so once a minute, until the caller's wait hook
 * gives up (a stop, or Kafka back).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <zstd.h>

#include "sink/spool.h"

/* a frame is written at this size, or once its first message waited this long */
#define SPOOL_FRAME_BYTES (1024 * 1024)
#define SPOOL_FRAME_MS 200

/* how often a full spool says so */
#define SPOOL_FULL_REPEAT_MS 60000

typedef struct Spool
{
	char	   *dir;
	const char *source;
	int64_t		max_bytes;		/* spool.max.bytes */
	size_t		max_message;	/* kafka.message.max.bytes */
	int64_t		bytes;			/* on disk */
	uint64_t	segno;			/* the segment appended to */
	int			fd;
	int64_t		seg_bytes;
	uint64_t	last_lsn;		/* the last stream position in the spool */
	uint64_t	last_seq;
	long		already;		/* messages acknowledged as already spooled */
	Buf			raw;			/* the frame being gathered */
	void	  **opaques;		/* its messages' acknowledgements */
	long		nmsgs;
	long		cap;
	int64_t		first_at;		/* mono ms its first message came */
	Buf			comp;
	ZSTD_CCtx  *cctx;
	int64_t		full_said;		/* mono ms the full spool was last logged */
	bool		waiting;		/* for room: the frame is not tried again meanwhile */
} Spool;

static bool
after_last(const Spool *sp, const OutMessage *m)
{
	return m->commit_lsn > sp->last_lsn ||
		(m->commit_lsn == sp->last_lsn && m->seq > sp->last_seq);
}

/* Start a new segment (its name made durable) to append to. */
static bool
new_segment(Sink *s, Spool *sp)
{
	char		path[SPOOL_PATH_LEN];
	char		err[ERRLEN];

	if (sp->fd >= 0)
		close(sp->fd);
	sp->segno++;
	spool_segment_path(path, sizeof(path), sp->dir, sp->segno);
	sp->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND, 0600);
	if (sp->fd < 0)
	{
		sink_fail(s, FAIL_TRANSIENT, NULL, 0, "cannot create spool segment %s: %s", path,
				  strerror(errno));
		return false;
	}
	if (!spool_write_header(sp->fd, path, sp->source, err, sizeof(err)) ||
		!spool_sync_dir(sp->dir, err, sizeof(err)))
	{
		sink_fail(s, FAIL_TRANSIENT, NULL, 0, "%s", err);
		return false;
	}
	sp->seg_bytes = spool_header_size(sp->source);
	sp->bytes += sp->seg_bytes;
	return true;
}

/* Say, once a minute, that the spool is full and what that means. */
static void
say_full(Spool *sp, size_t frame)
{
	int64_t		now = mono_ms();

	if (sp->full_said && now - sp->full_said < SPOOL_FULL_REPEAT_MS)
		return;
	sp->full_said = now;
	log_error("the spool is full: %s holds %" PRId64 " bytes and the next %zu would pass "
			  "spool.max.bytes (%" PRId64 "); the shipper reads no more changes, so the slot "
			  "now retains WAL, until Kafka is back and the spool drains (raise "
			  "spool.max.bytes, or free Kafka sooner)", sp->dir, sp->bytes, frame, sp->max_bytes);
}

/*
 * Compress, append and fsync the gathered frame, then acknowledge its
 * messages.  When it does not fit: wait (block) until the wait hook gives
 * up, or leave it gathered (false, no failure).
 */
static bool
write_frame(Sink *s, Spool *sp, bool block)
{
	SpoolFrame	f = {.magic = SPOOL_FRAME_MAGIC};
	size_t		n;

	/* after a failure nothing more is written: the session ends */
	if (sink_failed(s))
		return false;
	if (sp->nmsgs == 0)
		return true;
	buf_reset(&sp->comp);
	buf_reserve(&sp->comp, ZSTD_compressBound(sp->raw.len));
	n = ZSTD_compressCCtx(sp->cctx, sp->comp.data, ZSTD_compressBound(sp->raw.len),
						  sp->raw.data, sp->raw.len, 1);
	if (ZSTD_isError(n))
	{
		sink_fail(s, FAIL_TRANSIENT, NULL, 0, "cannot compress a spool frame: %s",
				  ZSTD_getErrorName(n));
		return false;
	}
	sp->comp.len = n;
	while (sp->bytes + (int64_t) (sizeof(f) + n) > sp->max_bytes)
	{
		if (!block)
			return false;
		say_full(sp, sizeof(f) + n);
		sp->waiting = true;
		if (!s->wait(s->wait_arg))
		{
			sp->waiting = false;
			sink_fail(s, FAIL_TRANSIENT, NULL, 0, "stopped while the spool was full");
			return false;
		}
		sp->waiting = false;
		poll(NULL, 0, 100);
	}
	if (sp->full_said)
		log_info("the spool has room again");
	sp->full_said = 0;
	if (sp->seg_bytes >= SPOOL_SEGMENT_BYTES && !new_segment(s, sp))
		return false;
	f.comp_len = n;
	f.raw_len = sp->raw.len;
	f.count = sp->nmsgs;
	f.last_lsn = sp->last_lsn;
	f.last_seq = sp->last_seq;
	spool_seal(&f, sp->comp.data, n);
	errno = 0;
	if (write(sp->fd, &f, sizeof(f)) != sizeof(f) ||
		write(sp->fd, sp->comp.data, n) != (ssize_t) n || fsync(sp->fd) != 0)
	{
		char		path[SPOOL_PATH_LEN];

		spool_segment_path(path, sizeof(path), sp->dir, sp->segno);
		sink_fail(s, FAIL_TRANSIENT, NULL, 0, "cannot write spool segment %s: %s", path,
				  errno ? strerror(errno) : "short write");
		/* what did get written is taken back; none of it was acknowledged */
		if (ftruncate(sp->fd, sp->seg_bytes) != 0 || fsync(sp->fd) != 0)
			log_warn("cannot take back a failed write to spool segment %s: %s; the next start "
					 "checks it", path, strerror(errno));
		return false;
	}
	sp->seg_bytes += sizeof(f) + n;
	sp->bytes += sizeof(f) + n;
	for (long i = 0; i < sp->nmsgs; i++)
		s->ack(sp->opaques[i], NULL);
	buf_reset(&sp->raw);
	sp->nmsgs = 0;
	return true;
}

static bool
spool_send(Sink *s, const OutMessage *m, void *opaque)
{
	Spool	   *sp = s->impl;
	size_t		size = kafka_message_size(m, s->source);

	/* what Kafka would refuse is refused here too, the same way (sink/kafka.c) */
	if (size > sp->max_message)
	{
		sink_fail(s, FAIL_MESSAGE, m, size, "message for %s is %zu bytes, over the producer's "
				  "limit of %zu (kafka.message.max.bytes); raise it, and the topic's "
				  "max.message.bytes", m->topic, size, sp->max_message);
		return false;
	}
	if (m->seq != 0 && !after_last(sp, m))
	{
		sp->already++;
		s->ack(opaque, NULL);
		return true;
	}
	if (sp->nmsgs == sp->cap)
		sp->opaques = xrealloc(sp->opaques, (sp->cap = sp->cap ? sp->cap * 2 : 1024) * sizeof(void *));
	if (sp->nmsgs == 0)
		sp->first_at = mono_ms();
	spool_encode(&sp->raw, m);
	sp->opaques[sp->nmsgs++] = opaque;
	if (m->seq != 0)
	{
		sp->last_lsn = m->commit_lsn;
		sp->last_seq = m->seq;
	}
	return sp->raw.len < SPOOL_FRAME_BYTES || write_frame(s, sp, true);
}

static void
spool_poll(Sink *s, int timeout_ms)
{
	Spool	   *sp = s->impl;

	if (sp->nmsgs > 0 && mono_ms() - sp->first_at >= SPOOL_FRAME_MS && !sp->waiting &&
		!sink_failed(s))
		(void) write_frame(s, sp, false);
}

/* Write what is gathered; when the spool is full, wait timeout_ms (the caller loops). */
static bool
spool_flush(Sink *s, int timeout_ms)
{
	Spool	   *sp = s->impl;

	if (write_frame(s, sp, false) && sp->nmsgs == 0)
		return true;
	if (!sink_failed(s))
		poll(NULL, 0, timeout_ms);
	return false;
}

static long
spool_pending(Sink *s)
{
	return ((Spool *) s->impl)->nmsgs;
}

/* What was gathered and not written is dropped: never acknowledged, the slot sends it again. */
static void
spool_close(Sink *s, bool purge)
{
	Spool	   *sp = s->impl;

	if (sp->already > 0)
		log_info("%ld messages the slot sent again were in the spool already", sp->already);
	if (sp->fd >= 0)
		close(sp->fd);
	ZSTD_freeCCtx(sp->cctx);
	buf_free(&sp->raw);
	buf_free(&sp->comp);
	free(sp->opaques);
	free(sp->dir);
	free(sp);
}

static const SinkOps spool_ops = {
	spool_send, spool_poll, spool_flush, spool_pending, spool_close
};

/*
 * Check the last segment frame by frame: a torn end is cut off (and what
 * stays made durable, whoever wrote it), and the spool's last stream
 * position is read from its last frame.  A segment with no frame sends
 * the search to the one before.
 */
static bool
open_last(Spool *sp, uint64_t *segs, int nsegs, ExitStatus *status, char *err, size_t errlen)
{
	Buf			comp = {0};
	bool		ok = true;

	sp->segno = nsegs > 0 ? segs[nsegs - 1] : 0;	/* new segments come after all */
	for (int i = nsegs - 1; i >= 0 && ok; i--)
	{
		char		path[SPOOL_PATH_LEN];
		SpoolFrame	f;
		int			frames = 0;
		off_t		good;
		FrameStatus st;
		int			fd;

		spool_segment_path(path, sizeof(path), sp->dir, segs[i]);
		if ((fd = open(path, O_RDWR)) < 0 ||
			lseek(fd, spool_header_size(sp->source), SEEK_SET) < 0)
		{
			snprintf(err, errlen, "cannot open spool segment %s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			ok = false;
			break;
		}
		good = lseek(fd, 0, SEEK_CUR);
		while ((st = spool_frame_read(fd, &f, &comp)) == FRAME_OK)
		{
			frames++;
			good = lseek(fd, 0, SEEK_CUR);
			sp->last_lsn = f.last_lsn;
			sp->last_seq = f.last_seq;
		}
		if (st == FRAME_TORN && i == nsegs - 1)
		{
			sp->bytes -= lseek(fd, 0, SEEK_END) - good;
			log_warn("spool segment %s ends in a torn frame at byte %lld (a crash while writing "
					 "it): cut off; its changes were never confirmed and come again from the slot",
					 path, (long long) good);
		}
		else if (st != FRAME_EOF)
		{
			snprintf(err, errlen, "spool segment %s is damaged at byte %lld (a frame fails its "
					 "checksum, or cannot be read): "
					 "the changes from there on, already confirmed to the slot, cannot be read",
					 path, (long long) good);
			*status = EXIT_GAP;
			ok = false;
		}
		if (ok && i == nsegs - 1)
		{
			if (ftruncate(fd, good) != 0 || fsync(fd) != 0 ||
				(sp->fd = open(path, O_WRONLY | O_APPEND)) < 0)
			{
				snprintf(err, errlen, "cannot make spool segment %s ready for appending: %s", path,
						 strerror(errno));
				ok = false;
			}
			sp->seg_bytes = good;
		}
		close(fd);
		if (frames > 0)
			break;
	}
	buf_free(&comp);
	return ok;
}

bool
sink_spool_open(Sink *s, const Config *cfg, const char *source, ExitStatus *status,
				char *err, size_t errlen)
{
	Spool	   *sp = xcalloc(1, sizeof(Spool));
	uint64_t   *segs = NULL;
	int			nsegs;
	bool		ok;

	*status = EXIT_STOPPED;
	sp->dir = xstrdup(cfg->spool_dir);
	sp->source = source;
	sp->max_bytes = cfg->spool_max_bytes;
	sp->max_message = kafka_max_message(cfg);
	sp->fd = -1;
	s->impl = sp;
	s->ops = &spool_ops;
	if (mkdir(sp->dir, 0700) != 0 && errno != EEXIST)
	{
		snprintf(err, errlen, "cannot create spool.dir %s: %s", sp->dir, strerror(errno));
		*status = EXIT_CONFIG;
		ok = false;
	}
	else if ((nsegs = spool_list(sp->dir, &segs, err, errlen)) < 0 ||
			 !spool_check_dir(sp->dir, segs, nsegs, source, err, errlen))
	{
		*status = EXIT_CONFIG;
		ok = false;
	}
	else
	{
		/* a last segment whose header was never completed holds nothing */
		if (nsegs > 0 && !spool_segment_usable(sp->dir, segs[nsegs - 1], source))
			nsegs--;
		sp->bytes = spool_bytes(sp->dir, segs, nsegs);
		ok = open_last(sp, segs, nsegs, status, err, errlen);
		if (ok && sp->fd < 0 && !new_segment(s, sp))
		{
			snprintf(err, errlen, "%s", sink_failed(s)->error);
			ok = false;
		}
	}
	free(segs);
	if (ok)
	{
		sp->cctx = ZSTD_createCCtx();
		return true;
	}
	if (sp->fd >= 0)
		close(sp->fd);
	free(sp->dir);
	free(sp);
	s->impl = NULL;
	return false;
}

bool
sink_is_spool(const Sink *s)
{
	return s && s->ops == &spool_ops;
}

int64_t
sink_spool_bytes(const Sink *s)
{
	return s->ops == &spool_ops ? ((const Spool *) s->impl)->bytes : 0;
}
