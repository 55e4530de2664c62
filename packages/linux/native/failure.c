/* The launcher's one failure record and the reply lines Node reads from CTL_OUT. */
#include "vzlaunch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct {
	int index;
	const char *step;
	int err;
	char detail[512];
} failure = { -1, "launcher", 0, "" };

/* Records a failure (crun's make_error); always returns -1 so callers can `return fail(...)`. */
int fail(int index, const char *step, int err, const char *detail)
{
	failure.index = index;
	failure.step = step;
	failure.err = err;
	snprintf(failure.detail, sizeof failure.detail, "%s", detail ? detail : "");
	/* The reply is one line: a newline in a path must not split it. */
	for (char *c = failure.detail; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	return -1;
}

int fail_errno(int index, const char *step, const char *detail)
{
	return fail(index, step, errno, detail);
}

int failed_errno(void)
{
	return failure.err;
}

int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* `ERR <index> <step> <errno> <detail>`: Node turns it into a VzError naming the op. */
void report_failure(int fd)
{
	char line[700];
	int n = snprintf(line, sizeof line, "ERR %d %s %d %s\n", failure.index, failure.step,
			 failure.err, failure.detail);
	if (n > (int)sizeof line - 1) {
		n = sizeof line - 1;
		line[n - 1] = '\n';
	}
	(void)write_all(fd, line, (size_t)n);
}

/* One reply line to Node; a failed write means Node is gone, which callers treat as abort. */
int reply(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n > (int)sizeof line - 2)
		return -1;
	line[n++] = '\n';
	return write_all(CTL_OUT, line, (size_t)n);
}
