/*
 * config_fuzz.c
 *		libFuzzer target: the configuration loader on any properties file.
 *
 * The input is written to a file and loaded as "cellcdc-shipper -c FILE"
 * would load it.  Whatever it holds, config_load() must answer 0 or 2 (with
 * its problems printed), never crash.  Run with -close_fd_mask=3: problems
 * are printed for every input.  Seeded with the tests' and README's
 * properties files by regress/t/023_fuzz.pl.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config/config.h"

/* main.c's, which this target replaces */
volatile sig_atomic_t stop_requested = 0;
volatile sig_atomic_t hup_received = 0;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	char	   *argv[] = {"cellcdc-shipper", "-c", path, NULL};
	Config		cfg;
	FILE	   *f;
	int			rc;

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/config_fuzz.%d.properties", (int) getpid());
	if ((f = fopen(path, "wb")) == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	rc = config_load(&cfg, 3, argv);
	if (rc != 0 && rc != 2)
		__builtin_trap();
	config_free(&cfg);
	return 0;
}
