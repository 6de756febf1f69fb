/*
 * topic.c
 *		Kafka topic names, as Debezium derives them.
 *
 * A table's topic is <topic.prefix><topic.delimiter><schema><topic.delimiter>
 * <table>, sanitized the way Debezium's TopicNamingStrategy does it.
 */
#include "render/render_int.h"

/*
 * Kafka topic name as Debezium sanitizes it: characters outside
 * [A-Za-z0-9._-] become '_' (one per UTF-16 unit), at most 249.
 */
char *
topic_sanitize(const char *name)
{
	Buf			b = {0};
	const unsigned char *p = (const unsigned char *) name;

	buf_puts(&b, "");
	while (*p)
	{
		unsigned char ch = *p;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			ch == '.' || ch == '_' || ch == '-')
		{
			buf_putc(&b, (char) ch);
			p++;
		}
		else if (ch < 0x80)
		{
			buf_putc(&b, '_');
			p++;
		}
		else
		{
			int			n = ch >= 0xF0 ? 4 : ch >= 0xE0 ? 3 : ch >= 0xC0 ? 2 : 1;

			buf_puts(&b, n == 4 ? "__" : "_");	/* a surrogate pair is two chars */
			while (n-- > 0 && *p)
				p++;
		}
	}
	if (b.len > 249)
	{
		b.len = 249;
		b.data[249] = '\0';
	}
	return buf_take(&b, NULL);
}
