/*
 * The spec: NUL-terminated tokens on CTL_IN. The first token is SPEC_MAGIC; then records,
 * each a keyword and exactly `arity` argument tokens; `end` closes the spec. Lists (argv,
 * env, maps, ops) are repeated records, so every record has a fixed shape.
 */
#include "vzlaunch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_TOKEN (1u << 20)
#define MAX_RECORDS 100000

static const struct keyword KEYWORDS[] = {
	{ "ns", K_NS, 1 },
	{ "console", K_CONSOLE, 1 },
	{ "uidmap", K_UIDMAP, 3 },
	{ "gidmap", K_GIDMAP, 3 },
	{ "bind", K_BIND, 3 },
	{ "pid", K_PID, 1 },
	{ "cgroup", K_CGROUP, 1 },
	{ "tty", K_TTY, 1 },
	{ "arg", K_ARG, 1 },
	{ "env", K_ENV, 1 },
	{ "cwd", K_CWD, 1 },
	{ "end", K_END, 0 },
	{ "mount", K_MOUNT, 5 },
	{ "umount", K_UMOUNT, 2 },
	{ "mkdir", K_MKDIR, 2 },
	{ "mknod", K_MKNOD, 5 },
	{ "symlink", K_SYMLINK, 2 },
	{ "write", K_WRITE, 2 },
	{ "pivotRoot", K_PIVOT_ROOT, 1 },
	{ "chdir", K_CHDIR, 1 },
	{ "sethostname", K_SETHOSTNAME, 1 },
	{ "setdomainname", K_SETDOMAINNAME, 1 },
	{ "rlimit", K_RLIMIT, 3 },
	{ "capDrop", K_CAP_DROP, 1 },
	{ "seccomp", K_SECCOMP, 1 },
	{ "devnode", K_DEVNODE, 6 },
	{ "landlock", K_LANDLOCK, 0 },
	{ "read", K_READ, 1 },
	{ "linkUp", K_LINK_UP, 1 },
};

static const struct keyword *find_keyword(const char *name)
{
	for (size_t i = 0; i < sizeof KEYWORDS / sizeof KEYWORDS[0]; i++)
		if (strcmp(KEYWORDS[i].name, name) == 0)
			return &KEYWORDS[i];
	return NULL;
}

/* Makes room for one more read, dropping consumed bytes first. */
static int reader_grow(struct reader *r)
{
	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	if (r->len < r->cap)
		return 0;
	if (r->cap >= MAX_TOKEN)
		return fail(-1, "spec", E2BIG, "token too long");
	size_t cap = r->cap ? r->cap * 2 : 4096;
	char *buf = realloc(r->buf, cap);
	if (!buf)
		return fail(-1, "spec", ENOMEM, "read buffer");
	r->buf = buf;
	r->cap = cap;
	return 0;
}

/* Returns 1 with a malloc'd token, 0 at a clean EOF, -1 on error (failure recorded). */
int read_token(struct reader *r, char **out)
{
	for (;;) {
		char *start = r->buf + r->pos;
		char *nul = r->len > r->pos ? memchr(start, '\0', r->len - r->pos) : NULL;
		if (nul) {
			*out = strdup(start);
			r->pos += (size_t)(nul - start) + 1;
			return *out ? 1 : fail(-1, "spec", ENOMEM, "token");
		}
		if (reader_grow(r) < 0)
			return -1;
		ssize_t n = read(r->fd, r->buf + r->len, r->cap - r->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail_errno(-1, "spec", "read control fd");
		if (n == 0)
			return r->len > r->pos ? fail(-1, "spec", EPIPE, "truncated token") : 0;
		r->len += (size_t)n;
	}
}

static int read_record(struct reader *r, const char *word, struct record *rec)
{
	rec->kw = find_keyword(word);
	if (!rec->kw)
		return fail(-1, "spec", EINVAL, word);
	for (int i = 0; i < rec->kw->arity; i++) {
		int got = read_token(r, &rec->arg[i]);
		if (got <= 0)
			return got < 0 ? -1 : fail(-1, "spec", EPIPE, word);
	}
	return 0;
}

/* Reads records up to `end`; the bytes after it stay in the reader. */
int read_spec(struct reader *r, struct spec *spec)
{
	char *word;
	int got = read_token(r, &word);
	if (got <= 0)
		return got < 0 ? -1 : fail(-1, "spec", EPIPE, "no spec");
	if (strcmp(word, SPEC_MAGIC) != 0)
		return fail(-1, "spec", EPROTO, word);
	free(word);

	int ops = 0;
	for (;;) {
		got = read_token(r, &word);
		if (got <= 0)
			return got < 0 ? -1 : fail(-1, "spec", EPIPE, "missing end");
		if (strcmp(word, "end") == 0) {
			free(word);
			return 0;
		}
		if (spec->n >= MAX_RECORDS)
			return fail(-1, "spec", E2BIG, "too many records");
		struct record *recs = realloc(spec->recs, (spec->n + 1) * sizeof *recs);
		if (!recs)
			return fail(-1, "spec", ENOMEM, "records");
		spec->recs = recs;
		struct record *rec = &recs[spec->n];
		memset(rec, 0, sizeof *rec);
		if (read_record(r, word, rec) < 0)
			return -1;
		rec->index = rec->kw->kind >= K_FIRST_OP ? ops++ : -1;
		spec->n++;
		free(word);
	}
}
