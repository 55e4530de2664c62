/*
 * Mode `exec`: join a running VE and run a command in it. All namespace fds are opened
 * first (later /proc lookups would resolve inside the VE), the VE's cgroups are joined
 * while host paths still resolve, then setns in a fixed order; the `mount` and `write`
 * records of the spec (vzkit's own changes to the VE's mounts and sysctls) are made
 * there by the launcher itself. A pid namespace only
 * applies to children, so the launcher forks; but before it does, it takes on the VE's
 * restrictions itself (capabilities, seccomp, Landlock), so that the child is born into
 * the VE's pid namespace with no more privilege than the VE's root has, and runs no
 * privileged code there. The launcher stays outside that pid namespace as the command's
 * parent: it relays the terminal, forwards signals and exits with the command's status
 * (128+N when killed by signal N); none of that needs a privilege.
 */
#include "vzlaunch.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* user first (it owns the others), cgroup after the cgroup joins, mnt last. */
static const char *const JOIN_ORDER[] = { "user", "cgroup", "ipc", "uts", "net", "pid", "time", "mnt" };
#define NS_COUNT (sizeof JOIN_ORDER / sizeof JOIN_ORDER[0])

static const int FORWARDED[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

struct join_plan {
	pid_t target;
	int want[NS_COUNT];
	int ns_fd[NS_COUNT];
	const char **cgroups;
	size_t ncgroups;
	int tty;
	/* vzkit's own changes inside the VE (a remount of its /dev/shm), made before the restrictions. */
	struct op *setup;
	size_t nsetup;
	/* The VE's restrictions, in spec order: capDrop, then its join ops (landlock, seccomp). */
	struct op *confine;
	size_t nconfine;
	struct program prog;
	/* The VE's init's resource limits: a command run in the VE gets the same (beancounters). */
	struct rlimit limits[RLIM_NLIMITS];
};

static int ns_index(const char *name)
{
	for (size_t i = 0; i < NS_COUNT; i++)
		if (strcmp(JOIN_ORDER[i], name) == 0)
			return (int)i;
	return -1;
}

static int plan_record(struct join_plan *plan, const struct record *rec)
{
	char *end;
	int i;
	switch (rec->kw->kind) {
	case K_PID:
		plan->target = (pid_t)strtol(rec->arg[0], &end, 10);
		return plan->target > 0 && !*end ? 0 : fail(-1, "pid", EINVAL, rec->arg[0]);
	case K_NS:
		if ((i = ns_index(rec->arg[0])) < 0)
			return fail(-1, "ns", EINVAL, rec->arg[0]);
		plan->want[i] = 1;
		return 0;
	case K_CGROUP:
		plan->cgroups[plan->ncgroups++] = rec->arg[0];
		return 0;
	case K_TTY:
		plan->tty = strcmp(rec->arg[0], "1") == 0;
		return 0;
	case K_MOUNT:
	case K_WRITE:
		return compile_op(rec, &plan->setup[plan->nsetup++]);
	case K_CAP_DROP:
	case K_SECCOMP:
	case K_LANDLOCK:
		/* In spec order: capDrop records come before the VE's seccomp filters and Landlock. */
		return compile_op(rec, &plan->confine[plan->nconfine++]);
	case K_ARG: case K_ENV: case K_CWD:
		return 0;
	default:
		return fail(-1, "spec", EINVAL, rec->kw->name);
	}
}

static int plan_join(const struct spec *spec, struct join_plan *plan)
{
	memset(plan, 0, sizeof *plan);
	plan->cgroups = calloc(spec->n + 1, sizeof *plan->cgroups);
	plan->setup = calloc(spec->n + 1, sizeof *plan->setup);
	plan->confine = calloc(spec->n + 1, sizeof *plan->confine);
	if (!plan->cgroups || !plan->setup || !plan->confine)
		return fail(-1, "spec", ENOMEM, "plan");
	for (size_t i = 0; i < spec->n; i++)
		if (plan_record(plan, &spec->recs[i]) < 0)
			return -1;
	if (!plan->target)
		return fail(-1, "spec", EINVAL, "no pid");
	return collect_program(spec, &plan->prog);
}

/* A namespace we are already in is skipped: setns into one's own user ns is EINVAL. */
static int open_namespaces(struct join_plan *plan)
{
	for (size_t i = 0; i < NS_COUNT; i++) {
		plan->ns_fd[i] = -1;
		if (!plan->want[i])
			continue;
		char path[64], self[64];
		struct stat theirs, ours;
		snprintf(path, sizeof path, "/proc/%d/ns/%s", plan->target, JOIN_ORDER[i]);
		snprintf(self, sizeof self, "/proc/self/ns/%s", JOIN_ORDER[i]);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &theirs) < 0)
			return fail_errno(-1, "open-ns", path);
		if (stat(self, &ours) == 0 && ours.st_ino == theirs.st_ino && ours.st_dev == theirs.st_dev)
			close(fd);
		else
			plan->ns_fd[i] = fd;
	}
	return 0;
}

/*
 * Writes "0" (the writer itself) to each file: a v1 hierarchy's `tasks` or a v2 group's
 * cgroup.procs. A thread that moves itself through `tasks` spares the kernel the global
 * threadgroup lock, whose write side waits for an RCU grace period (some 10 ms);
 * this launcher has one thread, so moving it moves the process.
 */
static int join_cgroups(const struct join_plan *plan)
{
	for (size_t i = 0; i < plan->ncgroups; i++) {
		int fd = open(plan->cgroups[i], O_WRONLY | O_CLOEXEC);
		int ok = fd >= 0 && write(fd, "0", 1) == 1;
		int err = errno;
		if (fd >= 0)
			close(fd);
		if (!ok)
			return fail(-1, "cgroup", err, plan->cgroups[i]);
	}
	return 0;
}

static int enter_namespaces(const struct join_plan *plan)
{
	for (size_t i = 0; i < NS_COUNT; i++) {
		if (plan->ns_fd[i] < 0)
			continue;
		if (setns(plan->ns_fd[i], 0) < 0)
			return fail_errno(-1, "setns", JOIN_ORDER[i]);
		close(plan->ns_fd[i]);
		if (i == 0 && become_ns_root() < 0)
			return -1;
	}
	return 0;
}

/* ---- the command ---- */

static void join_child(const struct join_plan *plan, int err_fd, int slave)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* A command outliving its launcher (killed on timeout) must not keep running. */
	int rc = prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ? fail_errno(-1, "pdeathsig", "") : 0;
	if (rc == 0 && slave >= 0)
		rc = tty_become_controlling(slave);
	if (rc == 0 && chdir(plan->prog.cwd) < 0)
		rc = fail_errno(-1, "cwd", plan->prog.cwd);
	if (rc == 0)
		exec_program(&plan->prog);
	report_failure(err_fd);
	_exit(failed_errno() == ENOENT ? 127 : 126);
}

static pid_t forward_pid;

static void forward_signal(int sig)
{
	kill(forward_pid, sig);
}

static void install_forwarders(pid_t child)
{
	struct sigaction sa = { .sa_handler = forward_signal, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	forward_pid = child;
	for (size_t i = 0; i < sizeof FORWARDED / sizeof FORWARDED[0]; i++)
		sigaction(FORWARDED[i], &sa, NULL);
}

static int exit_code(int status)
{
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

static int wait_child(pid_t child, int *status)
{
	while (waitpid(child, status, 0) < 0)
		if (errno != EINTR)
			return fail_errno(-1, "wait", "");
	return 0;
}

static int run_command(const struct join_plan *plan, int master, int slave)
{
	int err[2];
	if (pipe2(err, O_CLOEXEC) < 0)
		return fail_errno(-1, "pipe", "err");
	pid_t child = fork();
	if (child < 0)
		return fail_errno(-1, "fork", "");
	if (child == 0) {
		close(err[0]);
		if (master >= 0)
			close(master);
		join_child(plan, err[1], slave);
	}
	close(err[1]);
	if (slave >= 0)
		close(slave);
	install_forwarders(child);

	int status;
	if (!await_exec(err[0])) {
		wait_child(child, &status);
		return exit_code(status);
	}
	if (reply("STARTED %d", child) < 0)
		kill(child, SIGKILL);
	if ((master >= 0 ? tty_relay(master, child, &status) : wait_child(child, &status)) < 0)
		return -1;
	reply("EXIT %d %d", exit_code(status), WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return exit_code(status);
}

/* Read while the target's pid still means the same process to us (before any setns);
 * after its namespaces are open, so a VE that is gone fails there first. */
static int read_limits(struct join_plan *plan)
{
	for (int r = 0; r < RLIM_NLIMITS; r++)
		if (prlimit(plan->target, r, NULL, &plan->limits[r]) < 0)
			return fail_errno(-1, "rlimit", "of the VE's init");
	return 0;
}

/*
 * The launcher takes init's limits itself, so the command inherits them: before setns,
 * because raising a hard limit needs CAP_SYS_RESOURCE in the host's user namespace,
 * which a launcher inside a VE's user namespace no longer has.
 */
static int take_limits(const struct join_plan *plan)
{
	for (int r = 0; r < RLIM_NLIMITS; r++)
		if (setrlimit(r, &plan->limits[r]) < 0)
			return fail_errno(-1, "rlimit", "of the VE's init");
	return 0;
}

/*
 * Inside the VE's namespaces, with the VE's root for root (paths cannot leave it): the
 * launcher's own code, never a program of the VE, makes the changes vzkit asked for.
 */
static int run_setup(const struct join_plan *plan)
{
	for (size_t i = 0; i < plan->nsetup; i++)
		if (run_op(&plan->setup[i]) < 0)
			return -1;
	return 0;
}

/*
 * Inside the VE's namespaces, before the fork: the launcher becomes as restricted as the
 * VE's root. The filters that need CAP_SYS_ADMIN (without no_new_privs) come first, the
 * capabilities beyond the bounding set go last.
 */
static int take_restrictions(const struct join_plan *plan)
{
	for (size_t i = 0; i < plan->nconfine; i++)
		if (run_op(&plan->confine[i]) < 0)
			return -1;
	return limit_caps_to_bounding();
}

int run_join(const struct spec *spec)
{
	struct join_plan plan;
	if (plan_join(spec, &plan) < 0 || open_namespaces(&plan) < 0 || read_limits(&plan) < 0 ||
	    join_cgroups(&plan) < 0 || take_limits(&plan) < 0 || enter_namespaces(&plan) < 0 || run_setup(&plan) < 0)
		return -1;
	int master = -1, slave = -1;
	if (plan.tty && tty_open_master(&master, &slave) < 0)
		return -1;
	if (take_restrictions(&plan) < 0)
		return -1;
	return run_command(&plan, master, slave);
}
