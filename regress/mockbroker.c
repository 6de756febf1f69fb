/*
 * mockbroker.c
 *		A Kafka cluster for tests: librdkafka's mock cluster as a standalone
 *		process on 127.0.0.1, taking fault commands.
 *
 * No real broker can be installed on the test machines.  The mock speaks the
 * real protocol (producers, kcat, consumer groups), keeps what is produced,
 * and can be told to fail.  It does not implement transactions' visibility
 * (read_committed consumers also see aborted messages), log compaction, or
 * configurable retention, so tests must not rely on any of them.
 *
 *   mockbroker [-b BROKERS] [-f BOOTSTRAP_FILE] [-c CONTROL_FIFO] [-t TOPIC:PARTITIONS]...
 *
 * The bootstrap servers ("127.0.0.1:port,...") are written to BOOTSTRAP_FILE
 * (atomically, so a waiting test sees all or nothing) or else to stdout.
 * Commands are read one per line from CONTROL_FIFO, or else stdin; each is
 * answered on stdout with "ok" or "error: <why>":
 *
 *   create TOPIC PARTITIONS [RF]   create a topic
 *   down BROKER | up BROKER        take a broker down or bring it back
 *   rtt BROKER MS                  delay every response of a broker
 *   err APIKEY ERR [ERR...]        fail the next requests of that API (0 = Produce)
 *   berr BROKER APIKEY ERR RTT     fail one request on one broker after RTT ms
 *   leader TOPIC PARTITION BROKER  move a partition's leadership
 *   clear APIKEY                   forget pending injected errors
 *   quit                           stop (as do SIGTERM and SIGINT)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MAX_ERRORS 64

static volatile sig_atomic_t stop_requested = 0;

/* SIGTERM / SIGINT: leave the command loop. */
static void
on_signal(int sig)
{
	(void) sig;
	stop_requested = 1;
}

/* Parse a whole decimal integer; false if s is not one. */
static bool
parse_int(const char *s, long *v)
{
	char	   *end;

	if (s == NULL || *s == '\0')
		return false;
	errno = 0;
	*v = strtol(s, &end, 10);
	return errno == 0 && *end == '\0';
}

/* Write the bootstrap servers to path via a temporary file and rename. */
static int
write_bootstrap(const char *path, const char *servers)
{
	char		tmp[4096];
	FILE	   *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	fprintf(f, "%s\n", servers);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return -1;
	return 0;
}

/* Create a topic from "NAME:PARTITIONS" or "NAME PARTITIONS [RF]" words. */
static const char *
create_topic(rd_kafka_mock_cluster_t *mc, const char *name, const char *parts, const char *rf)
{
	long		nparts;
	long		nrf = 1;
	rd_kafka_resp_err_t err;

	if (name == NULL || !parse_int(parts, &nparts) || nparts < 1 ||
		(rf != NULL && (!parse_int(rf, &nrf) || nrf < 1)))
		return "usage: create TOPIC PARTITIONS [RF]";
	err = rd_kafka_mock_topic_create(mc, name, (int) nparts, (int) nrf);
	return err ? rd_kafka_err2str(err) : NULL;
}

/* Run one command line; returns an error text, or NULL when it succeeded. */
static const char *
run_command(rd_kafka_mock_cluster_t *mc, char *line)
{
	char	   *w[MAX_ERRORS + 3];
	int			n = 0;
	char	   *save = NULL;
	char	   *tok;
	long		a,
				b,
				c,
				rtt;
	rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;

	for (tok = strtok_r(line, " \t\r\n", &save); tok && n < MAX_ERRORS + 3;
		 tok = strtok_r(NULL, " \t\r\n", &save))
		w[n++] = tok;
	if (n == 0)
		return "empty command";

	if (strcmp(w[0], "create") == 0 && (n == 3 || n == 4))
		return create_topic(mc, w[1], w[2], n == 4 ? w[3] : NULL);
	if ((strcmp(w[0], "down") == 0 || strcmp(w[0], "up") == 0) && n == 2 && parse_int(w[1], &a))
		err = w[0][0] == 'd' ? rd_kafka_mock_broker_set_down(mc, (int32_t) a)
			: rd_kafka_mock_broker_set_up(mc, (int32_t) a);
	else if (strcmp(w[0], "rtt") == 0 && n == 3 && parse_int(w[1], &a) && parse_int(w[2], &b))
		err = rd_kafka_mock_broker_set_rtt(mc, (int32_t) a, (int) b);
	else if (strcmp(w[0], "err") == 0 && n >= 3 && parse_int(w[1], &a))
	{
		rd_kafka_resp_err_t errs[MAX_ERRORS];
		int			i;

		for (i = 2; i < n; i++)
		{
			if (!parse_int(w[i], &b))
				return "usage: err APIKEY ERR [ERR...]";
			errs[i - 2] = (rd_kafka_resp_err_t) b;
		}
		rd_kafka_mock_push_request_errors_array(mc, (int16_t) a, (size_t) (n - 2), errs);
	}
	else if (strcmp(w[0], "berr") == 0 && n == 5 && parse_int(w[1], &a) &&
			 parse_int(w[2], &b) && parse_int(w[3], &c) && parse_int(w[4], &rtt))
		err = rd_kafka_mock_broker_push_request_error_rtts(mc, (int32_t) a, (int16_t) b, 1,
														   (rd_kafka_resp_err_t) c, (int) rtt);
	else if (strcmp(w[0], "leader") == 0 && n == 4 && parse_int(w[2], &a) && parse_int(w[3], &b))
		err = rd_kafka_mock_partition_set_leader(mc, w[1], (int32_t) a, (int32_t) b);
	else if (strcmp(w[0], "clear") == 0 && n == 2 && parse_int(w[1], &a))
		rd_kafka_mock_clear_request_errors(mc, (int16_t) a);
	else if (strcmp(w[0], "quit") == 0 && n == 1)
		stop_requested = 1;
	else
		return "unknown command or wrong arguments (see the comment at the top of mockbroker.c)";
	return err ? rd_kafka_err2str(err) : NULL;
}

int
main(int argc, char **argv)
{
	int			brokers = 3;
	const char *bootstrap_file = NULL;
	const char *control = NULL;
	const char *topics[64];
	int			ntopics = 0;
	int			opt;
	char		errstr[512];
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	rd_kafka_mock_cluster_t *mc;
	FILE	   *in = stdin;
	char		line[4096];
	struct sigaction sa;
	int			i;

	while ((opt = getopt(argc, argv, "b:f:c:t:")) != -1)
	{
		switch (opt)
		{
			case 'b':
				brokers = atoi(optarg);
				break;
			case 'f':
				bootstrap_file = optarg;
				break;
			case 'c':
				control = optarg;
				break;
			case 't':
				if (ntopics < 64)
					topics[ntopics++] = optarg;
				break;
			default:
				fprintf(stderr, "usage: %s [-b BROKERS] [-f BOOTSTRAP_FILE] [-c CONTROL_FIFO] [-t TOPIC:PARTITIONS]...\n",
						argv[0]);
				return 2;
		}
	}
	if (brokers < 1 || brokers > 16)
	{
		fprintf(stderr, "mockbroker: -b must be between 1 and 16\n");
		return 2;
	}

	/* a handle only to own the cluster: it connects nowhere */
	conf = rd_kafka_conf_new();
	rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
	if ((rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr))) == NULL)
	{
		fprintf(stderr, "mockbroker: %s\n", errstr);
		return 1;
	}
	if ((mc = rd_kafka_mock_cluster_new(rk, brokers)) == NULL)
	{
		fprintf(stderr, "mockbroker: could not create the mock cluster\n");
		rd_kafka_destroy(rk);
		return 1;
	}
	for (i = 0; i < ntopics; i++)
	{
		char		name[512];
		char	   *colon;
		const char *problem;

		snprintf(name, sizeof(name), "%s", topics[i]);
		colon = strrchr(name, ':');
		if (colon)
			*colon = '\0';
		problem = create_topic(mc, name, colon ? colon + 1 : "1", NULL);
		if (problem)
		{
			fprintf(stderr, "mockbroker: topic %s: %s\n", topics[i], problem);
			return 2;
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: a read must return */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if (control)
	{
		int			fd;

		if (mkfifo(control, 0600) != 0 && errno != EEXIST)
		{
			fprintf(stderr, "mockbroker: cannot create %s: %s\n", control, strerror(errno));
			return 1;
		}
		/* read-write, so the fifo never reports end of file between writers */
		if ((fd = open(control, O_RDWR)) < 0 || (in = fdopen(fd, "r")) == NULL)
		{
			fprintf(stderr, "mockbroker: cannot open %s: %s\n", control, strerror(errno));
			return 1;
		}
	}
	if (bootstrap_file)
	{
		if (write_bootstrap(bootstrap_file, rd_kafka_mock_cluster_bootstraps(mc)) != 0)
		{
			fprintf(stderr, "mockbroker: cannot write %s: %s\n", bootstrap_file, strerror(errno));
			return 1;
		}
	}
	else
		printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);

	while (!stop_requested && fgets(line, sizeof(line), in) != NULL)
	{
		const char *problem = run_command(mc, line);

		if (problem)
			printf("error: %s\n", problem);
		else
			printf("ok\n");
		fflush(stdout);
	}

	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	if (bootstrap_file)
		unlink(bootstrap_file);
	return 0;
}
