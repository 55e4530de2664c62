/*
 * Mode `start`: clone the VE's init into new namespaces; it moves itself into its cgroups
 * and waits on a sync pipe; report its pid; wait for Node's "go" (Node does the attach
 * work meanwhile); release it. The child runs the ops, sets up stdio and execs init; its
 * errors come back on a close-on-exec pipe, whose EOF means the exec succeeded. Then the
 * launcher exits: nothing stays per VE.
 */
#include "vzlaunch.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_STACK (1 << 20)

struct start_plan {
	unsigned long clone_flags;
	int new_cgroupns, new_timens;
	const char *console;
	/* v1 `tasks` files init writes "0" to (join.c says why not cgroup.procs). */
	const char **cgroups;
	size_t ncgroups;
	char uid_map[MAP_MAX], gid_map[MAP_MAX];
	struct op *ops;
	size_t nops;
	struct program prog;
};

struct child_ctx {
	const struct start_plan *plan;
	int sync[2];   /* parent writes one byte: go */
	int err[2];    /* child writes an ERR line; EOF = exec succeeded */
	int joined[2]; /* child writes an ERR line; EOF = it is in its cgroups */
	int *cgroup_fds;
	int null_fd, out_fd;
};

static int add_namespace(struct start_plan *plan, const struct record *rec)
{
	unsigned long flag;
	if (ns_flag(rec->arg[0], &flag) < 0)
		return fail(-1, "ns", EINVAL, rec->arg[0]);
	/* cgroup: unshared after attach, so the VE's root is its own group, as runc does.
	 * time: clone() cannot take it; unshare() in the parent moves its children. */
	if (flag == CLONE_NEWCGROUP)
		plan->new_cgroupns = 1;
	else if (flag == CLONE_NEWTIME)
		plan->new_timens = 1;
	else
		plan->clone_flags |= flag;
	return 0;
}

static int plan_start(const struct spec *spec, struct start_plan *plan)
{
	memset(plan, 0, sizeof *plan);
	plan->ops = calloc(spec->n + 1, sizeof *plan->ops);
	plan->cgroups = calloc(spec->n + 1, sizeof *plan->cgroups);
	if (!plan->ops || !plan->cgroups)
		return fail(-1, "spec", ENOMEM, "ops");
	for (size_t i = 0; i < spec->n; i++) {
		const struct record *rec = &spec->recs[i];
		int rc = 0;
		switch (rec->kw->kind) {
		case K_NS:
			rc = add_namespace(plan, rec);
			break;
		case K_CONSOLE:
			plan->console = rec->arg[0];
			break;
		case K_UIDMAP:
			rc = append_map_line(plan->uid_map, sizeof plan->uid_map, rec);
			break;
		case K_GIDMAP:
			rc = append_map_line(plan->gid_map, sizeof plan->gid_map, rec);
			break;
		case K_CGROUP:
			plan->cgroups[plan->ncgroups++] = rec->arg[0];
			break;
		case K_ARG: case K_ENV: case K_CWD:
			break;
		case K_PID: case K_TTY: case K_END:
			rc = fail(-1, "spec", EINVAL, rec->kw->name);
			break;
		default:
			rc = compile_op(rec, &plan->ops[plan->nops++]);
		}
		if (rc < 0)
			return -1;
	}
	return collect_program(spec, &plan->prog);
}

/* Opened before clone, with host paths, so the child needs nothing from the host later. */
static int open_stdio(const struct start_plan *plan, struct child_ctx *ctx)
{
	ctx->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (ctx->null_fd < 0)
		return fail_errno(-1, "console", "/dev/null");
	ctx->out_fd = ctx->null_fd;
	if (plan->console) {
		ctx->out_fd = open(plan->console, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (ctx->out_fd < 0)
			return fail_errno(-1, "console", plan->console);
	}
	if (pipe2(ctx->sync, O_CLOEXEC) < 0 || pipe2(ctx->err, O_CLOEXEC) < 0 || pipe2(ctx->joined, O_CLOEXEC) < 0)
		return fail_errno(-1, "pipe", "sync");
	/* The child writes through these: opened by the launcher, so the kernel checks the
	 * launcher's right to move a task, not that of a child in its own user namespace. */
	ctx->cgroup_fds = calloc(plan->ncgroups + 1, sizeof *ctx->cgroup_fds);
	if (!ctx->cgroup_fds)
		return fail(-1, "cgroup", ENOMEM, "fds");
	for (size_t i = 0; i < plan->ncgroups; i++) {
		ctx->cgroup_fds[i] = open(plan->cgroups[i], O_WRONLY | O_CLOEXEC);
		if (ctx->cgroup_fds[i] < 0)
			return fail_errno(-1, "cgroup", plan->cgroups[i]);
	}
	return 0;
}

static void close_cgroup_fds(const struct child_ctx *ctx)
{
	for (size_t i = 0; i < ctx->plan->ncgroups; i++)
		close(ctx->cgroup_fds[i]);
}

/* ---- child side ---- */

/*
 * Init moves itself, writing "0" to each `tasks` file: a thread that moves itself takes
 * none of cgroup v1's global threadgroup lock, whose writer waits for an RCU grace
 * period (10-20 ms, with cgroup_mutex held, when Node wrote init's pid to cgroup.procs).
 */
static int join_cgroups(const struct child_ctx *ctx)
{
	const struct start_plan *plan = ctx->plan;
	for (size_t i = 0; i < plan->ncgroups; i++) {
		if (write_all(ctx->cgroup_fds[i], "0", 1) < 0)
			return fail_errno(-1, "cgroup", plan->cgroups[i]);
		close(ctx->cgroup_fds[i]);
	}
	return 0;
}

/* Blocks until the parent says go; EOF means the launcher died or Node aborted. */
static int await_release(int fd)
{
	char c;
	ssize_t n;
	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 && c == 'G';
}

static int prepare_namespaces(const struct start_plan *plan)
{
	if ((plan->clone_flags & CLONE_NEWUSER) && become_ns_root() < 0)
		return -1;
	if (plan->new_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
		return fail_errno(-1, "unshare", "cgroup");
	/* Like unshare(1) and runc: mounts made in the VE must never propagate to the host. */
	if ((plan->clone_flags & CLONE_NEWNS) && mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return fail_errno(-1, "propagation", "/");
	return 0;
}

static int run_ops(const struct start_plan *plan)
{
	umask(0); /* op modes are exact */
	for (size_t i = 0; i < plan->nops; i++)
		if (run_op(&plan->ops[i]) < 0)
			return -1;
	umask(022);
	return 0;
}

static int setup_init_stdio(const struct child_ctx *ctx)
{
	if (setsid() < 0)
		return fail_errno(-1, "setsid", "");
	if (dup2(ctx->null_fd, 0) < 0 || dup2(ctx->out_fd, 1) < 0 || dup2(ctx->out_fd, 2) < 0)
		return fail_errno(-1, "stdio", ctx->plan->console ? ctx->plan->console : "/dev/null");
	return move_fd_and_close_rest(ctx->err[1], 3);
}

static int child_main(void *arg)
{
	struct child_ctx *ctx = arg;
	const struct start_plan *plan = ctx->plan;
	int err_fd = ctx->err[1];

	close(ctx->sync[1]);
	close(ctx->err[0]);
	close(ctx->joined[0]);
	/* If the launcher dies before exec, so does the half-built VE. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		_exit(1);
	if (join_cgroups(ctx) < 0) {
		report_failure(ctx->joined[1]);
		_exit(1);
	}
	close(ctx->joined[1]);
	if (!await_release(ctx->sync[0]))
		_exit(1);
	close(ctx->sync[0]);

	int rc = prepare_namespaces(plan);
	if (rc == 0)
		rc = run_ops(plan);
	/* Init runs nothing of its own before exec, but holds no more than it will after it. */
	if (rc == 0)
		rc = limit_caps_to_bounding();
	if (rc == 0 && chdir(plan->prog.cwd) < 0)
		rc = fail_errno(-1, "cwd", plan->prog.cwd);
	if (rc == 0 && (rc = setup_init_stdio(ctx)) == 0)
		err_fd = 3;
	/* Init must outlive the launcher, which exits as soon as it reports OK. */
	if (rc == 0 && prctl(PR_SET_PDEATHSIG, 0) < 0)
		rc = fail_errno(-1, "pdeathsig", "");
	if (rc == 0)
		exec_program(&plan->prog);
	report_failure(err_fd);
	_exit(127);
}

/* ---- parent side ---- */

static pid_t spawn_child(const struct start_plan *plan, struct child_ctx *ctx)
{
	char *stack = malloc(CHILD_STACK);
	if (!stack)
		return fail(-1, "clone", ENOMEM, "stack");
	if (plan->new_timens && unshare(CLONE_NEWTIME) < 0)
		return fail_errno(-1, "unshare", "time");
	pid_t pid = clone(child_main, stack + CHILD_STACK, (int)plan->clone_flags | SIGCHLD, ctx);
	if (pid < 0)
		return fail_errno(-1, "clone", "");
	return pid;
}

/*
 * After the exec, init may already be gone (crashed at once, or killed before it could
 * exec): a VE whose init is dead did not start, whatever the error pipe said.
 */
static int check_init_alive(pid_t pid)
{
	int status;
	char detail[64];
	if (waitpid(pid, &status, WNOHANG) != pid)
		return 0;
	if (WIFSIGNALED(status))
		snprintf(detail, sizeof detail, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(detail, sizeof detail, "exited with status %d", WEXITSTATUS(status));
	return fail(-1, "init", ESRCH, detail);
}

/* Returns -1 so a failure path can end with `return kill_child(pid)`. */
static int kill_child(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return -1;
}

/*
 * Inside its user namespace the child could lower its resource limits but not raise
 * them: that takes CAP_SYS_RESOURCE in the host's namespace, which the launcher has. So
 * the launcher sets them on the child first; the child's own setrlimit is then a no-op.
 */
static int preset_limits(pid_t pid, const struct start_plan *plan)
{
	if (!(plan->clone_flags & CLONE_NEWUSER))
		return 0;
	for (size_t i = 0; i < plan->nops; i++) {
		const struct op *op = &plan->ops[i];
		if (op->kind != K_RLIMIT)
			continue;
		struct rlimit rl = { .rlim_cur = op->n[0], .rlim_max = op->n[1] };
		if (prlimit(pid, (int)op->flags, &rl, NULL) < 0)
			return fail_errno(op->index, op->name, op->s[0]);
	}
	return 0;
}

static int await_go(struct reader *r)
{
	char *word = NULL;
	int got = read_token(r, &word);
	int go = got == 1 && strcmp(word, "go") == 0;
	free(word);
	return go;
}

int run_start(struct reader *r, const struct spec *spec)
{
	struct start_plan plan;
	struct child_ctx ctx = { .plan = &plan };
	if (plan_start(spec, &plan) < 0 || open_stdio(&plan, &ctx) < 0)
		return -1;
	pid_t pid = spawn_child(&plan, &ctx);
	if (pid < 0)
		return -1;
	close(ctx.sync[0]);
	close(ctx.err[1]);
	close(ctx.joined[1]);
	close_cgroup_fds(&ctx);
	/* A dead peer (Node, or a child gone before go) must be an error reply, not a silent
	 * death. Set only now: the child must not inherit an ignored SIGPIPE into init. */
	signal(SIGPIPE, SIG_IGN);

	/* Node's attach work may count on init being in its groups: report the pid after. */
	if (!await_exec(ctx.joined[0])) {
		kill_child(pid);
		return FAILED_REPORTED;
	}
	close(ctx.joined[0]);

	if (write_id_maps(pid, plan.uid_map, plan.gid_map) < 0 || preset_limits(pid, &plan) < 0)
		return kill_child(pid);
	if (reply("PID %d", pid) < 0) {
		fail_errno(-1, "reply", "PID");
		return kill_child(pid);
	}
	if (!await_go(r)) {
		fail(-1, "go", ECANCELED, "aborted before go");
		return kill_child(pid);
	}
	if (write_all(ctx.sync[1], "G", 1) < 0) {
		fail_errno(-1, "go", "sync pipe");
		return kill_child(pid);
	}
	close(ctx.sync[1]);
	if (!await_exec(ctx.err[0])) {
		kill_child(pid);
		return FAILED_REPORTED;
	}
	if (check_init_alive(pid) < 0)
		return -1;
	return reply("OK") < 0 ? -1 : 0;
}
