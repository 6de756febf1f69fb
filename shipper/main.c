/*
 * main.c
 *		cellcdc-shipper: stream a cellcdc slot to Kafka, losing nothing.
 *
 * Arguments, signals and the session loop.  One thread runs sessions
 * (session.c, stream.c); delivery/ tracks every message until it is
 * acknowledged and says how far PostgreSQL may be told to let go.
 *
 * A session is one connection's life.  When it fails, main decides:
 * restart after a backoff (PostgreSQL or Kafka away, a failed delivery),
 * or exit with a status that says whether a restart can help (shipper.h,
 * README "Exit statuses").  The slot is created only by the first session
 * and only when the shipper has never streamed it (README, "The slot
 * rule"); a slot that disappears or is invalidated later is a gap in the
 * data, which the shipper reports and never papers over.
 */
#include <inttypes.h>
#include <signal.h>
#include <unistd.h>

#include "session.h"

volatile sig_atomic_t stop_requested = 0;
volatile sig_atomic_t hup_received = 0;

static void
on_signal(int sig)
{
	if (stop_requested)
	{
		log_from_signal("second signal: exiting at once without confirming");
		_exit(EXIT_FAILED);
	}
	stop_requested = 1;
}

static void
on_hup(int sig)
{
	hup_received = 1;
}

/* Sleep up to ms, waking early for a stop request. */
static void
backoff_sleep(int ms)
{
	for (int slept = 0; slept < ms && !stop_requested; slept += 50)
		usleep(50 * 1000);
}

int
main(int argc, char **argv)
{
	Config		cfg;
	Shipper		sh = {0};
	struct sigaction sa = {0};
	int			rc = config_load(&cfg, argc, argv);
	bool		settled;
	bool		ok = false;

	if (rc != 0)
		return rc == 1 ? EXIT_STOPPED : EXIT_CONFIG;
	log_setup(cfg.slot_name, cfg.log_json);
	if (cfg.request_action)
		return request_send(&cfg);

	sa.sa_flags = SA_RESTART;	/* a signal must not fail a write to stdout */
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	sh.cfg = &cfg;
	sh.first = true;
	sh.snapshot_state = "";
	sh.store = cfg.sink == SINK_KAFKA;
	sh.claims = topic_claims_new();
	sh.inc = incremental_new();
	retry_init(&sh.retry, &cfg);
	for (;;)
	{
		int			wait;

		sh.exit_status = EXIT_STOPPED;
		sh.fail_position = 0;
		sh.err[0] = '\0';
		ok = session_start(&sh) &&
			(cfg.snapshot_mode == SNAPSHOT_INITIAL_ONLY || stream_changes(&sh));
		if (ok || stop_requested || sh.output_closed)
		{
			settled = session_end(&sh, true);
			break;
		}
		if (sh.exit_status != EXIT_STOPPED)
		{
			log_error("%s", sh.err);
			session_end(&sh, false);
			return sh.exit_status;
		}
		if (sh.switching)
		{
			/* to or from the spool: at once, the next session picks up */
			log_at(sh.spooling ? LVL_WARN : LVL_INFO, "%s", sh.switch_reason);
			session_end(&sh, false);
			sh.switching = false;
			continue;
		}
		wait = retry_note(&sh.retry, &cfg, sh.fail_position, sh.fl.confirmed);
		if (retry_exhausted(&sh.retry, &cfg))
		{
			log_error("%s; failed %d times in a row at this position, stopping "
					  "(errors.max.retries=%d; errors.tolerance=all with "
					  "errors.deadletterqueue.topic.name sets such a change aside instead)",
					  sh.err, sh.retry.count, cfg.errors_max_retries);
			session_end(&sh, false);
			return EXIT_RETRIES;
		}
		log_warn("%s", sh.err);
		settled = session_end(&sh, false);
		if (sh.fail_position && sh.retry.count > 1)
			log_info("restarting from " LSN_FMT " in %d ms (the same failure, %d times in a row)",
					 LSN_ARGS(sh.fl.confirmed), wait, sh.retry.count);
		else
			log_info("restarting from " LSN_FMT " in %d ms", LSN_ARGS(sh.fl.confirmed), wait);
		backoff_sleep(wait);
		if (stop_requested)
			break;
	}
	if (cfg.snapshot_mode == SNAPSHOT_INITIAL_ONLY && ok)
		log_info("snapshot.mode=initial_only: the snapshot is in Kafka; exiting without streaming");
	else if (sh.fl.confirmed)
		log_info("stopped: %" PRIu64 " messages from %" PRIu64 " transactions; confirmed " LSN_FMT,
				 sh.changes, sh.txns, LSN_ARGS(sh.fl.confirmed));
	else
		log_info("stopped before streaming anything");
	buf_free(&sh.dlq_value);
	return settled ? EXIT_STOPPED : EXIT_FAILED;
}
