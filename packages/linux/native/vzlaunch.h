/*
 * vzlaunch: the kernel-facing half of vzkit's launcher (protocol in ../README.md).
 *
 * Node (packages/linux/src/launcher) writes a spec as NUL-terminated tokens to fd 3 and
 * reads one reply line at a time from fd 4. Each record is a keyword followed by a fixed
 * number of argument tokens, so nothing in here parses JSON or nested data.
 */
#ifndef VZLAUNCH_H
#define VZLAUNCH_H

#define _GNU_SOURCE
#include <stddef.h>
#include <sys/types.h>

/* Control channel: Node -> launcher (spec, "go"), launcher -> Node (reply lines). */
#define CTL_IN 3
#define CTL_OUT 4

#define SPEC_MAGIC "VZL1"
#define MAX_ARGS 6
/* Room for one id map's lines, as the kernel takes them (it allows 340 lines). */
#define MAP_MAX 4096

/* run_start/run_join: the failure was already sent to Node (the child's own ERR line). */
#define FAILED_REPORTED 1

/* Exit status of `exec` when the launcher itself failed before the command ran. */
#define EXIT_SETUP_FAILED 125

enum kind {
	/* start */
	K_NS, K_CONSOLE, K_UIDMAP, K_GIDMAP,
	/* idmap */
	K_BIND,
	/* exec */
	K_PID, K_CGROUP, K_TTY,
	/* the program to run: init (start) or the command (exec) */
	K_ARG, K_ENV, K_CWD,
	K_END,
	/* child ops, run in spec order; their index is counted among ops only */
	K_MOUNT, K_UMOUNT, K_MKDIR, K_MKNOD, K_SYMLINK, K_WRITE, K_PIVOT_ROOT, K_CHDIR,
	K_SETHOSTNAME, K_SETDOMAINNAME, K_RLIMIT, K_CAP_DROP, K_SECCOMP, K_DEVNODE, K_LANDLOCK, K_READ, K_LINK_UP,
};
#define K_FIRST_OP K_MOUNT

struct keyword {
	const char *name;
	enum kind kind;
	int arity;
};

struct record {
	const struct keyword *kw;
	char *arg[MAX_ARGS];
	int index; /* position among the ops, -1 for other records */
};

struct spec {
	struct record *recs;
	size_t n;
};

/* Buffered token reader over the control fd; keeps bytes that follow `end` for later. */
struct reader {
	int fd;
	char *buf;
	size_t len, cap, pos;
};

/* ---- failure.c: the one failure record, reported as `ERR <index> <step> <errno> <detail>` */
int fail(int index, const char *step, int err, const char *detail);
int fail_errno(int index, const char *step, const char *detail);
void report_failure(int fd);
int failed_errno(void);
int reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int write_all(int fd, const void *buf, size_t n);

/* ---- spec.c */
int read_token(struct reader *r, char **out);
int read_spec(struct reader *r, struct spec *spec);

/* ---- names.c: kernel constants by name */
int ns_flag(const char *name, unsigned long *flag);
int mount_flags(const char *csv, unsigned long *flags, const char **bad);
int rlimit_resource(const char *name, int *resource);

/* ---- ops.c: child-side ops */
struct op {
	enum kind kind;
	int index;
	const char *name;
	const char *s[6];
	unsigned long flags;
	unsigned long long n[3];
};
int compile_op(const struct record *rec, struct op *op);
int run_op(const struct op *op);
/* `tree`: a detached mount of the op's source (open_tree), or -1 to bind by path. */
int run_devnode(const struct op *op, int tree);
int finish_bind(const struct op *op);
int limit_caps_to_bounding(void);

/* ---- cloned.c: 0 when running from the sealed copy already; else execs it (-1 on failure) */
int run_from_sealed_copy(char **argv);

/* ---- program.c: what finally gets exec'd */
struct program {
	char **argv;
	char **envp;
	const char *cwd;
};
int collect_program(const struct spec *spec, struct program *prog);
int exec_program(const struct program *prog);
int move_fd_and_close_rest(int keep, int target);
int become_ns_root(void);
int await_exec(int err_fd);

/* ---- userns.c */
int append_map_line(char *map, size_t size, const struct record *rec);
int write_id_maps(pid_t pid, const char *uid_map, const char *gid_map);
int run_idmap(const struct spec *spec);

/* ---- inject.c */
int run_inject(const struct spec *spec);
/* reaper.c: vzkitd's parent, the child subreaper of every VE init started under it. */
int run_reaper(int argc, char **argv);

/* ---- start.c / join.c / tty.c */
int run_start(struct reader *r, const struct spec *spec);
int run_join(const struct spec *spec);
int tty_open_master(int *master, int *slave);
int tty_become_controlling(int slave);
int tty_relay(int master, pid_t child, int *status);

#endif
