/*
 * properties.c
 *		The syntax of the configuration: the properties file, -X key=value,
 *		and ${VAR} / ${file:/path} in values.
 *
 * The file is the subset of Java's .properties syntax that Debezium and
 * Kafka users write (README: "The properties file"): key=value, key: value
 * or key value, # and ! comments, continuation lines and backslash escapes.
 * What comes out is a list of Settings in the order given, each remembering
 * where it came from, so that a later check can name file:line.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"

#define MAX_CONFIG_FILE		(16 * 1024 * 1024)
#define MAX_INCLUDED_FILE	(1024 * 1024)

/* The setting for key, or NULL. */
Setting *
settings_find(Settings *set, const char *key)
{
	int			i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i].key, key) == 0)
			return &set->v[i];
	return NULL;
}

/* Append a setting (the strings are taken over); returns it. */
Setting *
settings_add(Settings *set, char *key, char *value, char *origin, int order)
{
	Setting    *s;

	if (set->n == set->cap)
	{
		set->cap = set->cap ? set->cap * 2 : 32;
		set->v = xrealloc(set->v, set->cap * sizeof(Setting));
	}
	s = &set->v[set->n++];
	s->key = key;
	s->value = value;
	s->origin = origin;
	s->order = order;
	s->from_file = false;
	s->bad = false;
	return s;
}

/* Properties whitespace: space, tab, form feed. */
bool
properties_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\f';
}

/* Append a code point as UTF-8. */
static void
put_utf8(Buf *b, unsigned cp)
{
	if (cp < 0x80)
		buf_putc(b, (char) cp);
	else if (cp < 0x800)
	{
		buf_putc(b, (char) (0xc0 | (cp >> 6)));
		buf_putc(b, (char) (0x80 | (cp & 0x3f)));
	}
	else
	{
		buf_putc(b, (char) (0xe0 | (cp >> 12)));
		buf_putc(b, (char) (0x80 | ((cp >> 6) & 0x3f)));
		buf_putc(b, (char) (0x80 | (cp & 0x3f)));
	}
}

/*
 * Unescape one backslash sequence at *pp (just after the backslash) into b.
 * Returns false for a malformed \uXXXX.
 */
static bool
unescape_one(const char **pp, Buf *b)
{
	const char *p = *pp;
	char		c = *p++;

	switch (c)
	{
		case 't':
			buf_putc(b, '\t');
			break;
		case 'n':
			buf_putc(b, '\n');
			break;
		case 'r':
			buf_putc(b, '\r');
			break;
		case 'f':
			buf_putc(b, '\f');
			break;
		case 'u':
			{
				unsigned	cp = 0;
				int			i;

				for (i = 0; i < 4; i++)
				{
					if (!isxdigit((unsigned char) p[i]))
						return false;
					cp = cp * 16 + (isdigit((unsigned char) p[i]) ? p[i] - '0' :
									tolower((unsigned char) p[i]) - 'a' + 10);
				}
				if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
					return false;
				put_utf8(b, cp);
				p += 4;
				break;
			}
		default:
			buf_putc(b, c);		/* \\, \=, \:, \#, \!, \ , ... */
			break;
	}
	*pp = p;
	return true;
}

/* Does the physical line [s, e) end with an odd number of backslashes? */
static bool
continues(const char *s, const char *e)
{
	int			n = 0;

	while (e > s && e[-1] == '\\')
	{
		n++;
		e--;
	}
	return n % 2 == 1;
}

/*
 * Parse one logical line (comments and blank lines already skipped) into a
 * key and a value; false after recording a problem.
 */
static bool
parse_line(Load *ld, const char *line, const char *origin, int order,
		   char **key, char **value)
{
	Buf			k = {0};
	Buf			v = {0};
	const char *p = line;
	size_t		keep;

	while (properties_blank(*p))
		p++;
	while (*p && *p != '=' && *p != ':' && !properties_blank(*p))
	{
		if (*p == '\\')
		{
			p++;
			if (*p == '\0')
				break;
			if (!unescape_one(&p, &k))
			{
				buf_free(&k);
				return problem_at(ld, order, origin, NULL, "bad \\u escape in a key; write \\u and four hex digits");
			}
		}
		else
			buf_putc(&k, *p++);
	}
	while (properties_blank(*p))
		p++;
	if (*p == '=' || *p == ':')
		p++;
	while (properties_blank(*p))
		p++;
	if (k.len == 0)
		return problem_at(ld, order, origin, NULL, "a line with no key; write key=value");

	/* value: trailing blanks are dropped unless escaped ("\ ") */
	keep = 0;
	while (*p)
	{
		if (*p == '\\')
		{
			p++;
			if (*p == '\0')
				break;
			if (!unescape_one(&p, &v))
			{
				problem_at(ld, order, origin, k.data, "bad \\u escape; write \\u and four hex digits");
				buf_free(&k);
				buf_free(&v);
				return false;
			}
			keep = v.len;
		}
		else
		{
			buf_putc(&v, *p);
			if (!properties_blank(*p))
				keep = v.len;
			p++;
		}
	}
	if (v.data)
		v.data[v.len = keep] = '\0';
	*key = buf_take(&k, NULL);
	*value = buf_take(&v, NULL);
	return true;
}

/* Read a whole file into memory; NULL with errno set on failure. */
static char *
slurp(const char *path, size_t max, size_t *lenp)
{
	FILE	   *f = fopen(path, "rb");
	Buf			b = {0};
	char		chunk[8192];
	size_t		n;
	int			err;

	if (f == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
	{
		buf_put(&b, chunk, n);
		if (b.len > max)
		{
			fclose(f);
			buf_free(&b);
			errno = EFBIG;
			return NULL;
		}
	}
	err = ferror(f) ? (errno ? errno : EIO) : 0;
	fclose(f);
	if (err)
	{
		buf_free(&b);
		errno = err;
		return NULL;
	}
	return buf_take(&b, lenp);
}

/*
 * Read the properties file into ld->set; a key given twice is a problem.
 * false when the file cannot be read at all (nothing else to check then).
 */
bool
properties_read(Load *ld, const char *path)
{
	size_t		size;
	char	   *text = slurp(path, MAX_CONFIG_FILE, &size);
	const char *p;
	int			lineno = 0;

	if (text == NULL)
		return problem_at(ld, 0, NULL, NULL, "cannot read the configuration file \"%s\": %s; check the path given to -c",
						  path, strerror(errno));
	if (strlen(text) != size)
	{
		free(text);
		return problem_at(ld, 0, NULL, NULL, "the configuration file \"%s\" contains a NUL byte; is it a text file?", path);
	}

	p = text;
	while (*p)
	{
		Buf			logical = {0};
		const char *s = p;
		const char *e = strchr(p, '\n');
		int			first = ++lineno;
		char		origin[PATH_MAX + 32];
		char	   *key = NULL;
		char	   *value = NULL;
		Setting    *prev;

		if (e == NULL)
			e = p + strlen(p);
		p = *e ? e + 1 : e;
		if (e > s && e[-1] == '\r')
			e--;
		while (s < e && properties_blank(*s))
			s++;
		if (s == e || *s == '#' || *s == '!')
			continue;

		/* join continuation lines, dropping the next line's leading blanks */
		while (continues(s, e))
		{
			buf_put(&logical, s, e - s - 1);
			if (*p == '\0')
			{
				e = s;
				break;
			}
			s = p;
			e = strchr(p, '\n');
			if (e == NULL)
				e = p + strlen(p);
			p = *e ? e + 1 : e;
			lineno++;
			if (e > s && e[-1] == '\r')
				e--;
			while (s < e && properties_blank(*s))
				s++;
		}
		buf_put(&logical, s, e - s);

		snprintf(origin, sizeof(origin), "%s:%d", path, first);
		if (parse_line(ld, logical.data, origin, first, &key, &value))
		{
			if ((prev = settings_find(&ld->set, key)) != NULL)
			{
				problem_at(ld, first, origin, key, "set again (first at %s); keep only one", prev->origin);
				free(key);
				free(value);
			}
			else
				settings_add(&ld->set, key, value, xstrdup(origin), first);
		}
		buf_free(&logical);
	}
	free(text);
	return true;
}

/* The -X argument "key=value" as a setting in xs; false if malformed. */
bool
properties_override(Load *ld, Settings *xs, const char *arg, int order)
{
	const char *eq = strchr(arg, '=');
	const char *ks = arg;
	const char *ke;
	const char *vs;

	if (eq == NULL)
		return problem_at(ld, order, NULL, NULL, "-X needs key=value (the argument has no \"=\"); write -X key=value");
	while (isspace((unsigned char) *ks))
		ks++;
	ke = eq;
	while (ke > ks && isspace((unsigned char) ke[-1]))
		ke--;
	if (ke == ks)
		return problem_at(ld, order, NULL, NULL, "-X needs key=value (the key is empty); write -X key=value");
	vs = eq + 1;
	while (properties_blank(*vs))
		vs++;
	settings_add(xs, xstrndup(ks, ke - ks), xstrdup(vs), NULL, order);
	return true;
}

/* Append the contents of ${file:path} to out. */
static bool
expand_file(Load *ld, Setting *s, const char *path, Buf *out)
{
	size_t		len;
	char	   *data;

	if (*path == '\0')
		return problem(ld, s, "${file:} names no file; write ${file:/path/to/file}");
	data = slurp(path, MAX_INCLUDED_FILE, &len);
	if (data == NULL)
		return problem(ld, s, "cannot read ${file:%s}: %s; make the file readable by the shipper",
					   path, errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
	if (strlen(data) != len)
	{
		free(data);
		return problem(ld, s, "${file:%s} contains a NUL byte; it must be text", path);
	}
	if (len > 0 && data[len - 1] == '\n')
	{
		data[--len] = '\0';
		if (len > 0 && data[len - 1] == '\r')
			data[--len] = '\0';
	}
	buf_puts(out, data);
	free(data);
	s->from_file = true;
	return true;
}

/* Append the environment variable name's value to out. */
static bool
expand_env(Load *ld, Setting *s, const char *name, Buf *out)
{
	const char *q;
	const char *env;

	for (q = name; *q; q++)
		if (!(isalnum((unsigned char) *q) || *q == '_'))
			break;
	if (*name == '\0' || *q != '\0' || isdigit((unsigned char) *name))
		return problem(ld, s, "\"${%s}\" is not an environment variable name or file:/path; write ${NAME} or ${file:/path}, or $${ for a literal ${",
					   name);
	env = getenv(name);
	if (env == NULL)
		return problem(ld, s, "environment variable %s is not set; export it, or write $${ for a literal ${",
					   name);
	buf_puts(out, env);
	return true;
}

/*
 * Expand ${VAR} from the environment and ${file:/path} into the file's
 * contents (one trailing newline dropped).  $${ is a literal ${.
 */
bool
properties_expand(Load *ld, Setting *s)
{
	Buf			out = {0};
	const char *p = s->value;

	if (strchr(p, '$') == NULL)
		return true;
	while (*p)
	{
		if (p[0] == '$' && p[1] == '$' && p[2] == '{')
		{
			buf_puts(&out, "${");
			p += 3;
		}
		else if (p[0] == '$' && p[1] == '{')
		{
			const char *close = strchr(p + 2, '}');
			char	   *inner;
			bool		ok;

			if (close == NULL)
			{
				buf_free(&out);
				return problem(ld, s, "\"${\" without a closing \"}\"; write ${NAME} or ${file:/path}, or $${ for a literal ${");
			}
			inner = xstrndup(p + 2, close - p - 2);
			if (strncmp(inner, "file:", 5) == 0)
				ok = expand_file(ld, s, inner + 5, &out);
			else
				ok = expand_env(ld, s, inner, &out);
			free(inner);
			if (!ok)
			{
				buf_free(&out);
				return false;
			}
			p = close + 1;
		}
		else
			buf_putc(&out, *p++);
	}
	free(s->value);
	s->value = buf_take(&out, NULL);
	return true;
}
