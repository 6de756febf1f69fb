/*
 * spool.h
 *		The spool: messages kept on local disk while Kafka is away, and read
 *		back in the same order when it returns.
 *
 * spool.dir holds numbered segment files (0000000000000001.spool, ...).
 * A segment starts with a header naming the stream it belongs to (the
 * HDR_SOURCE value: system/database/slot), then frames.  A frame is a batch
 * of messages compressed with zstd, behind a fixed header whose CRC-32C
 * covers the header and the compressed bytes.  Frames are appended and
 * fsynced before any of their messages is acknowledged, so the slot is
 * confirmed only over what a crash cannot take.  A crash while writing
 * leaves at most a torn last frame; it is cut off at the next open (its
 * messages were never acknowledged, so the slot sends them again).  The
 * byte order is the machine's: a spool is read where it was written.
 */
#ifndef SHIPPER_SINK_SPOOL_H
#define SHIPPER_SINK_SPOOL_H

#include <stdbool.h>
#include <stdint.h>

#include "sink/sink.h"

/* a segment's path (spool.dir is at most SPOOL_DIR_MAX long) */
#define SPOOL_PATH_LEN (SPOOL_DIR_MAX + 32)

/* a segment is closed for appending past this size */
#define SPOOL_SEGMENT_BYTES (64 * 1024 * 1024)

/*
 * sink=kafka while Kafka is away: the messages go to spool.dir instead.
 * On failure *status says why: EXIT_CONFIG (spool.dir is another stream's
 * or holds foreign files), EXIT_GAP (damaged), EXIT_STOPPED (I/O: retry).
 */
extern bool sink_spool_open(Sink *s, const Config *cfg, const char *source,
							ExitStatus *status, char *err, size_t errlen);
extern bool sink_is_spool(const Sink *s);
extern int64_t sink_spool_bytes(const Sink *s);

/* ---------- reading it back, in order ---------- */

typedef enum SpoolRead
{
	SPOOL_MESSAGE,				/* *m is the next message (valid until the next read) */
	SPOOL_SEGMENT_END,			/* the current segment is read: remove it, or go on */
	SPOOL_END,					/* nothing more */
	SPOOL_ERROR					/* damaged: spool_reader_error() says where */
} SpoolRead;

typedef struct SpoolReader SpoolReader;

/* NULL with err set when spool.dir cannot be read or is another stream's (spool_check_dir) */
extern SpoolReader *spool_reader_open(const char *dir, const char *source,
									  char *err, size_t errlen);
extern SpoolRead spool_read(SpoolReader *r, OutMessage *m);
extern int	spool_reader_segments(const SpoolReader *r);
extern int64_t spool_reader_bytes(const SpoolReader *r);
extern const char *spool_reader_error(const SpoolReader *r);
/* delete the segment just read (after Kafka acknowledged all of it) */
extern bool spool_remove_segment(SpoolReader *r, char *err, size_t errlen);
extern void spool_reader_close(SpoolReader *r);

/* ---------- shared by the writer and the reader (spool_file.c) ---------- */

typedef struct SpoolFrame
{
	uint32_t	magic;
	uint32_t	comp_len;		/* compressed bytes that follow */
	uint32_t	raw_len;		/* their size once decompressed */
	uint32_t	count;			/* messages in the frame */
	uint64_t	last_lsn;		/* the spool's last stream position after this frame */
	uint64_t	last_seq;
	uint32_t	crc;			/* CRC-32C of the fields above and the compressed bytes */
	uint32_t	head_crc;		/* CRC-32C of the fields above: a torn end is told from damage */
} SpoolFrame;

typedef enum FrameStatus
{
	FRAME_OK,
	FRAME_EOF,					/* the segment ends cleanly here */
	FRAME_TORN,					/* the segment's last frame is cut short, or ends it
								 * and fails its checksum (a crash while appending) */
	FRAME_BAD					/* a frame with more after it fails a checksum, or the
								 * segment cannot be read: damage, not a crash */
} FrameStatus;

/* the segments in spool.dir, in order (malloc'd); -1 with err on failure */
extern int	spool_list(const char *dir, uint64_t **segs, char *err, size_t errlen);
extern int64_t spool_bytes(const char *dir, const uint64_t *segs, int nsegs);
extern void spool_segment_path(char *out, size_t len, const char *dir, uint64_t segno);
extern size_t spool_header_size(const char *source);
extern bool spool_write_header(int fd, const char *path, const char *source,
							   char *err, size_t errlen);
extern bool spool_check_header(int fd, const char *path, const char *source,
							   char *err, size_t errlen);
extern FrameStatus spool_frame_read(int fd, SpoolFrame *f, Buf *comp);
extern void spool_encode(Buf *raw, const OutMessage *m);
extern void spool_seal(SpoolFrame *f, const void *data, size_t len);
extern bool spool_segment_usable(const char *dir, uint64_t segno, const char *source);
extern bool spool_check_dir(const char *dir, const uint64_t *segs, int nsegs,
							const char *source, char *err, size_t errlen);
extern bool spool_sync_dir(const char *dir, char *err, size_t errlen);

#define SPOOL_FRAME_MAGIC 0x52464443	/* "CDFR" */

#endif							/* SHIPPER_SINK_SPOOL_H */
