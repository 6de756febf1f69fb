/*
 * kafka.c
 *		The kafka.* keys: librdkafka properties, checked by librdkafka itself
 *		when the configuration is loaded.
 *
 * Each kafka.<property> is set on a throw-away rd_kafka_conf_t, so a wrong
 * name or value is refused with librdkafka's own message before anything
 * connects.  Settings that would lose or duplicate changes are refused
 * first, whatever librdkafka would think of them.  The properties that
 * librdkafka treats as secrets are secrets here too: never printed.
 */
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "config/config_int.h"

/*
 * librdkafka's secrets: the properties librdkafka itself flags as sensitive
 * and redacts when it logs its configuration (the flag is internal, so the
 * list is kept here; it holds every one flagged from librdkafka 2.0 on).
 */
static const char *const secrets[] = {
	"sasl.username",
	"sasl.password",
	"sasl.oauthbearer.config",
	"sasl.oauthbearer.client.secret",
	"sasl.oauthbearer.assertion.private.key.file",
	"sasl.oauthbearer.assertion.private.key.passphrase",
	"sasl.oauthbearer.assertion.private.key.pem",
	"ssl.key.location",
	"ssl.key.password",
	"ssl.key.pem",
	"ssl_key",
	"ssl.keystore.password",
	"ssl.ca.pem",
};

/* Is this librdkafka property (without kafka.) a secret? */
bool
kafka_secret(const char *property)
{
	size_t		i;

	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (strcmp(property, secrets[i]) == 0)
			return true;
	return false;
}

/* Settings that would let a change be lost; NULL when the setting is fine. */
static const char *
unsafe(const char *key, const char *value)
{
	if (strcmp(key, "acks") == 0 || strcmp(key, "request.required.acks") == 0)
	{
		if (!str_eqi(value, "all") && strcmp(value, "-1") != 0)
			return "anything but all lets a broker failure lose changes the slot has already passed; use all (the default) or remove the line";
	}
	else if (strcmp(key, "enable.idempotence") == 0)
	{
		if (!str_eqi(value, "true"))
			return "without idempotence a retried send can duplicate or reorder changes; remove the line (the shipper turns it on)";
	}
	else if (strcmp(key, "partitioner") == 0)
	{
		if (strcmp(value, "random") == 0)
			return "a random partition for a keyed change breaks its order, and a restart could not tell whether Kafka has it; use murmur2_random (the default), murmur2, consistent_random, consistent, fnv1a_random or fnv1a";
	}
	else if (strcmp(key, "message.timeout.ms") == 0 || strcmp(key, "delivery.timeout.ms") == 0)
	{
		if (strcmp(value, "0") != 0)
			return "a finite timeout drops changes Kafka has not taken in time; use 0 (the default: the shipper spools while Kafka is down) or remove the line";
	}
	return NULL;
}

/* Check kafka.* against librdkafka and collect them in cfg->kafka. */
void
kafka_build(Load *ld, Config *cfg)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	bool		servers = false;
	int			i;

	cfg->kafka = xmalloc((ld->set.n + 1) * sizeof(KeyValue));
	cfg->nkafka = 0;
	for (i = 0; i < ld->set.n; i++)
	{
		Setting    *s = &ld->set.v[i];
		const char *key = s->key + 6;
		const char *why;
		char		errstr[512];

		if (strncmp(s->key, "kafka.", 6) != 0)
			continue;
		if (strcmp(key, "bootstrap.servers") == 0 || strcmp(key, "metadata.broker.list") == 0)
			servers = servers || s->bad || s->value[0] != '\0';
		if (s->bad)
			continue;
		if ((why = unsafe(key, s->value)) != NULL)
		{
			problem(ld, s, "%s refused: %s", setting_shown(s), why);
			continue;
		}
		errstr[0] = '\0';
		if (rd_kafka_conf_set(conf, key, s->value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
		{
			if (setting_hidden(s) && (s->value[0] == '\0' || strstr(errstr, s->value) != NULL))
				problem(ld, s, "librdkafka refuses the value (not shown); see librdkafka's CONFIGURATION.md");
			else
				problem(ld, s, "librdkafka: %s; see librdkafka's CONFIGURATION.md (kafka.<property>)",
						errstr[0] ? errstr : "refused");
			continue;
		}
		cfg->kafka[cfg->nkafka].key = xstrdup(key);
		cfg->kafka[cfg->nkafka++].value = xstrdup(s->value);
	}
	rd_kafka_conf_destroy(conf);

	/* a bad bootstrap.servers was reported already: not "required" as well */
	if (cfg->sink == SINK_KAFKA && !servers && !key_get(ld, "sink")->bad)
		problem_at(ld, ORDER_LAST, NULL, "kafka.bootstrap.servers",
				   "is required when sink=kafka; set it to the brokers, e.g. kafka.bootstrap.servers=broker1:9092 (or sink=stdout to try without Kafka)");
}
