/* The program the launcher finally runs: init (start) or a command (exec). */
#include "vzlaunch.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static int push(char ***list, size_t *n, char *item)
{
	char **grown = realloc(*list, (*n + 2) * sizeof **list);
	if (!grown)
		return fail(-1, "spec", ENOMEM, "argv");
	grown[(*n)++] = item;
	grown[*n] = NULL;
	*list = grown;
	return 0;
}

int collect_program(const struct spec *spec, struct program *prog)
{
	size_t argc = 0, envc = 0;
	memset(prog, 0, sizeof *prog);
	prog->cwd = "/";
	prog->envp = calloc(1, sizeof *prog->envp); /* an empty environment is valid */
	if (!prog->envp)
		return fail(-1, "spec", ENOMEM, "env");
	for (size_t i = 0; i < spec->n; i++) {
		const struct record *rec = &spec->recs[i];
		if (rec->kw->kind == K_ARG && push(&prog->argv, &argc, rec->arg[0]) < 0)
			return -1;
		if (rec->kw->kind == K_ENV && push(&prog->envp, &envc, rec->arg[0]) < 0)
			return -1;
		if (rec->kw->kind == K_CWD)
			prog->cwd = rec->arg[0];
	}
	if (argc == 0)
		return fail(-1, "spec", EINVAL, "no argv");
	return 0;
}

static const char *env_value(char *const envp[], const char *name)
{
	size_t len = strlen(name);
	for (; *envp; envp++)
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
			return *envp + len + 1;
	return NULL;
}

/*
 * Ignored signals survive execve: without this a VE started from `nohup vzctl start` or a
 * background job would run its init with SIGHUP/SIGINT ignored. Start from the defaults.
 * The raw syscall, because glibc's signal() refuses its reserved signals 32 and 33, and a
 * caller that ignores those (seen under CI runners) would pass them on.
 */
static void reset_signals(void)
{
	struct kernel_sigaction {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		unsigned long mask;
	} dfl = { .handler = SIG_DFL };
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * execvpe() searches the launcher's own PATH; this searches the PATH the program is given,
 * resolved in the VE's root. Returns only on failure, with the failure recorded.
 */
int exec_program(const struct program *prog)
{
	reset_signals();
	const char *file = prog->argv[0];
	if (strchr(file, '/')) {
		execve(file, prog->argv, prog->envp);
		return fail_errno(-1, "exec", file);
	}
	const char *path = env_value(prog->envp, "PATH");
	int err = ENOENT;
	for (const char *dir = path ? path : DEFAULT_PATH; ; ) {
		size_t len = strcspn(dir, ":");
		char candidate[4096];
		snprintf(candidate, sizeof candidate, "%.*s/%s", (int)len, len ? dir : ".", file);
		execve(candidate, prog->argv, prog->envp);
		/* Like execvp: remember a real refusal (EACCES), keep looking past missing ones. */
		if (errno != ENOENT && errno != ENOTDIR)
			err = errno;
		if (!dir[len])
			break;
		dir += len + 1;
	}
	return fail(-1, "exec", err, file);
}

/* Puts `keep` at fd `target` (close-on-exec) and closes every fd above `target`. */
int move_fd_and_close_rest(int keep, int target)
{
	if (keep != target && dup3(keep, target, O_CLOEXEC) < 0)
		return fail_errno(-1, "fds", "dup3");
	if (close_range((unsigned)target + 1, ~0U, 0) < 0)
		return fail_errno(-1, "fds", "close_range");
	return 0;
}

/* Inside a user namespace whose maps are written: become its root, as runc does. */
int become_ns_root(void)
{
	if (setgroups(0, NULL) < 0)
		return fail_errno(-1, "identity", "setgroups");
	if (setresgid(0, 0, 0) < 0)
		return fail_errno(-1, "identity", "setresgid");
	if (setresuid(0, 0, 0) < 0)
		return fail_errno(-1, "identity", "setresuid");
	return 0;
}

/* Forwards the child's ERR line if there is one; returns 1 when exec succeeded. */
int await_exec(int err_fd)
{
	char buf[1024];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof buf && ((n = read(err_fd, buf + len, sizeof buf - len)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			len += (size_t)n;
	if (len == 0)
		return 1;
	write_all(CTL_OUT, buf, len);
	return 0;
}

