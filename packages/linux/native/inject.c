/*
 * Mode `inject`: changes inside a running VE's mount namespace, made from the host
 * (`vzctl set --devnodes`, `--meminfo` on a running VE). The sources of binds are host
 * paths: each is cloned as a detached mount (open_tree) while the launcher still sees
 * the host, then the launcher joins the VE's user namespace (becoming its root) and its
 * mount namespace and moves the clone into place (move_mount) — LXD's mount injection.
 * Only devnode, bind mount, umount and mkdir ops are taken; no process is forked.
 */
#include "vzlaunch.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

struct inject_plan {
	pid_t target;
	int want_user, want_mnt;
	struct op *ops;
	/* A detached clone of each op's host source, -1 where the op has none. */
	int *trees;
	size_t nops;
};

static int plan_record(struct inject_plan *plan, const struct record *rec)
{
	char *end;
	switch (rec->kw->kind) {
	case K_PID:
		plan->target = (pid_t)strtol(rec->arg[0], &end, 10);
		return plan->target > 0 && !*end ? 0 : fail(-1, "pid", EINVAL, rec->arg[0]);
	case K_NS:
		if (strcmp(rec->arg[0], "user") == 0)
			plan->want_user = 1;
		else if (strcmp(rec->arg[0], "mnt") == 0)
			plan->want_mnt = 1;
		else
			return fail(-1, "ns", EINVAL, rec->arg[0]);
		return 0;
	case K_DEVNODE: case K_MOUNT: case K_UMOUNT: case K_MKDIR: {
		struct op *op = &plan->ops[plan->nops];
		if (compile_op(rec, op) < 0)
			return -1;
		if (op->kind == K_MOUNT && !(op->flags & MS_BIND))
			return fail(op->index, op->name, EINVAL, "only binds of host paths are injected");
		plan->trees[plan->nops++] = -1;
		return 0;
	}
	default:
		return fail(-1, "spec", EINVAL, rec->kw->name);
	}
}

/* The host side of each bind, cloned before any setns: afterwards host paths are gone. */
static int open_sources(struct inject_plan *plan)
{
	for (size_t i = 0; i < plan->nops; i++) {
		const struct op *op = &plan->ops[i];
		const char *source = op->kind == K_DEVNODE ? op->s[5] : op->kind == K_MOUNT ? op->s[0] : "";
		if (!*source)
			continue;
		unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (op->flags & MS_REC ? AT_RECURSIVE : 0);
		plan->trees[i] = open_tree(AT_FDCWD, source, flags);
		if (plan->trees[i] < 0)
			return fail_errno(op->index, "open_tree", source);
	}
	return 0;
}

/* A namespace we are already in is skipped: setns into one's own user ns is EINVAL. */
static int open_ns(pid_t pid, const char *name, int *out)
{
	char path[64], self[64];
	struct stat theirs, ours;
	snprintf(path, sizeof path, "/proc/%d/ns/%s", pid, name);
	snprintf(self, sizeof self, "/proc/self/ns/%s", name);
	*out = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &theirs) < 0)
		return fail_errno(-1, "open-ns", path);
	if (stat(self, &ours) == 0 && ours.st_ino == theirs.st_ino && ours.st_dev == theirs.st_dev)
		close(fd);
	else
		*out = fd;
	return 0;
}

static int enter(int fd, const char *name)
{
	if (fd < 0)
		return 0;
	if (setns(fd, 0) < 0)
		return fail_errno(-1, "setns", name);
	close(fd);
	return 0;
}

static int run_injected(const struct op *op, int tree)
{
	switch (op->kind) {
	case K_DEVNODE:
		return run_devnode(op, tree);
	case K_MOUNT:
		if (move_mount(tree, "", AT_FDCWD, op->s[1], MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return fail_errno(op->index, "move_mount", op->s[1]);
		return finish_bind(op);
	default:
		return run_op(op);
	}
}

int run_inject(const struct spec *spec)
{
	struct inject_plan plan = { 0 };
	plan.ops = calloc(spec->n + 1, sizeof *plan.ops);
	plan.trees = calloc(spec->n + 1, sizeof *plan.trees);
	if (!plan.ops || !plan.trees)
		return fail(-1, "spec", ENOMEM, "plan");
	for (size_t i = 0; i < spec->n; i++)
		if (plan_record(&plan, &spec->recs[i]) < 0)
			return -1;
	if (!plan.target || !plan.want_mnt)
		return fail(-1, "spec", EINVAL, "inject needs a pid and its mount namespace");
	int user = -1, mnt = -1;
	if ((plan.want_user && open_ns(plan.target, "user", &user) < 0) || open_ns(plan.target, "mnt", &mnt) < 0 ||
	    open_sources(&plan) < 0)
		return -1;
	if (enter(user, "user") < 0 || (user >= 0 && become_ns_root() < 0) || enter(mnt, "mnt") < 0)
		return -1;
	if (chdir("/") < 0)
		return fail_errno(-1, "chdir", "/");
	for (size_t i = 0; i < plan.nops; i++)
		if (run_injected(&plan.ops[i], plan.trees[i]) < 0)
			return -1;
	return reply("OK");
}
