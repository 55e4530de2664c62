/*
 * User namespaces from the host's side: the id maps the privileged launcher writes for a
 * child, and mode `idmap`, which shows a directory tree (a shared template) at another
 * place with its owners shifted into a VE's range: open_tree + mount_setattr
 * (MOUNT_ATTR_IDMAP) + move_mount. The kernel takes the mapping from a user namespace
 * fd; a short-lived child holds one with the maps written, as LXC and runc do.
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
#include <sys/wait.h>
#include <unistd.h>

int append_map_line(char *map, size_t size, const struct record *rec)
{
	size_t used = strlen(map);
	int n = snprintf(map + used, size - used, "%s %s %s\n", rec->arg[0], rec->arg[1], rec->arg[2]);
	return n < 0 || (size_t)n >= size - used ? fail(-1, rec->kw->name, E2BIG, "id map") : 0;
}

static int write_proc_file(pid_t pid, const char *name, const char *data)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return fail_errno(-1, name, path);
	/* The kernel takes a map in exactly one write. */
	ssize_t n = write(fd, data, strlen(data));
	int err = errno;
	close(fd);
	return n == (ssize_t)strlen(data) ? 0 : fail(-1, name, n < 0 ? err : EIO, path);
}

/*
 * The launcher is privileged, so setgroups stays "allow": the guest may call setgroups(2)
 * (login, su). Only an unprivileged writer would need "deny".
 */
int write_id_maps(pid_t pid, const char *uid_map, const char *gid_map)
{
	if (*uid_map && write_proc_file(pid, "uid_map", uid_map) < 0)
		return -1;
	if (*gid_map && write_proc_file(pid, "gid_map", gid_map) < 0)
		return -1;
	return 0;
}

struct bind {
	const char *source, *target;
	int readonly;
};

/* A child in a new user namespace with the maps written; returns an fd of that namespace. */
static int userns_fd(const char *uid_map, const char *gid_map)
{
	int ready[2], hold[2];
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(hold, O_CLOEXEC) < 0)
		return fail_errno(-1, "pipe", "userns");
	pid_t pid = fork();
	if (pid < 0)
		return fail_errno(-1, "fork", "userns");
	if (pid == 0) {
		char c = unshare(CLONE_NEWUSER) == 0 ? 'U' : 'E';
		close(ready[0]);
		close(hold[1]);
		if (write(ready[1], &c, 1) != 1 || c != 'U')
			_exit(1);
		/* Lives until the parent closes its end: the namespace needs a member until opened. */
		while (read(hold[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	char c = 0;
	ssize_t n;
	while ((n = read(ready[0], &c, 1)) < 0 && errno == EINTR)
		;
	int fd = -1;
	if (n != 1 || c != 'U')
		fail(-1, "unshare", n == 1 ? EPERM : ECHILD, "user");
	else if (write_id_maps(pid, uid_map, gid_map) == 0) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			fail_errno(-1, "open-ns", path);
	}
	close(hold[1]);
	close(ready[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return fd;
}

static int idmapped_bind(const struct bind *b, int ns_fd, int index)
{
	int tree = open_tree(AT_FDCWD, b->source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		return fail_errno(index, "open_tree", b->source);
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_IDMAP | (b->readonly ? MOUNT_ATTR_RDONLY : 0),
		.userns_fd = (unsigned long long)ns_fd,
	};
	int rc = 0;
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
		rc = fail_errno(index, "mount_setattr", b->source);
	else if (move_mount(tree, "", AT_FDCWD, b->target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		rc = fail_errno(index, "move_mount", b->target);
	close(tree);
	return rc;
}

int run_idmap(const struct spec *spec)
{
	char uid_map[MAP_MAX] = "", gid_map[MAP_MAX] = "";
	struct bind *binds = calloc(spec->n + 1, sizeof *binds);
	size_t nbinds = 0;
	if (!binds)
		return fail(-1, "spec", ENOMEM, "binds");
	for (size_t i = 0; i < spec->n; i++) {
		const struct record *rec = &spec->recs[i];
		int rc = 0;
		switch (rec->kw->kind) {
		case K_UIDMAP:
			rc = append_map_line(uid_map, sizeof uid_map, rec);
			break;
		case K_GIDMAP:
			rc = append_map_line(gid_map, sizeof gid_map, rec);
			break;
		case K_BIND:
			binds[nbinds++] = (struct bind){ rec->arg[0], rec->arg[1], strcmp(rec->arg[2], "ro") == 0 };
			break;
		default:
			rc = fail(-1, "spec", EINVAL, rec->kw->name);
		}
		if (rc < 0)
			return -1;
	}
	if (!*uid_map || !*gid_map)
		return fail(-1, "spec", EINVAL, "idmap needs a uid and a gid map");
	int ns = userns_fd(uid_map, gid_map);
	if (ns < 0)
		return -1;
	for (size_t i = 0; i < nbinds; i++)
		if (idmapped_bind(&binds[i], ns, -1) < 0)
			return -1;
	close(ns);
	return reply("OK");
}
