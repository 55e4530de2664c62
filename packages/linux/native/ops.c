/*
 * Child-side ops: checked and converted once before clone (compile_op), run in the child
 * after "go" (run_op); in `exec` the VE's restrictions among them (capDrop, seccomp,
 * landlock) run in the launcher before it forks. Each op is one kernel call or a short
 * fixed sequence of them.
 */
#include "vzlaunch.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <net/if.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Decimal only: the TypeScript side never sends anything else. */
static int parse_number(const char *s, unsigned long long *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

static int parse_limit(const char *s, unsigned long long *out)
{
	if (strcmp(s, "unlimited") == 0) {
		*out = RLIM_INFINITY;
		return 0;
	}
	return parse_number(s, out);
}

/* "0,12,21": every entry must be a capability number. */
static int check_cap_list(const char *csv)
{
	char copy[1024];
	snprintf(copy, sizeof copy, "%s", csv);
	for (char *save, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned long long cap;
		if (parse_number(tok, &cap) < 0 || cap > 63)
			return -1;
	}
	return 0;
}

/*
 * One entry of a seccomp list: `name` (EPERM), `name:ERRNO` (EPERM or ENOSYS), then
 * conditions the call's arguments must all meet for the answer: `ARG&BITS` (every bit
 * of BITS set in argument ARG, 0-5: clone's flags) or `ARG=VALUE` (argument ARG equal
 * to VALUE, low 32 bits compared: a socket's family). Whether this architecture has the
 * call is seen at load.
 */
#define MAX_CONDITIONS 6
struct seccomp_entry {
	char name[64];
	int err;
	unsigned count;
	struct scmp_arg_cmp cmp[MAX_CONDITIONS];
};

static int parse_condition(char *text, struct scmp_arg_cmp *cmp)
{
	char *op = text + strcspn(text, "&=");
	if (!*op)
		return -1;
	char kind = *op;
	*op = '\0';
	unsigned long long arg, value;
	if (parse_number(text, &arg) < 0 || arg > 5 || parse_number(op + 1, &value) < 0)
		return -1;
	if (kind == '&' && value == 0)
		return -1;
	if (kind == '=' && value > 0xffffffffULL)
		return -1;
	*cmp = (struct scmp_arg_cmp){
		.arg = (unsigned)arg, .op = SCMP_CMP_MASKED_EQ,
		.datum_a = kind == '&' ? value : 0xffffffffULL, .datum_b = value,
	};
	return 0;
}

static int parse_seccomp_entry(const char *tok, struct seccomp_entry *e)
{
	char copy[256];
	if (strlen(tok) >= sizeof copy)
		return -1;
	snprintf(copy, sizeof copy, "%s", tok);
	char *save, *name = strtok_r(copy, ":", &save);
	if (!name || strlen(name) >= sizeof e->name)
		return -1;
	for (const char *c = name; *c; c++)
		if (!(*c == '_' || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
			return -1;
	snprintf(e->name, sizeof e->name, "%s", name);
	e->err = EPERM;
	e->count = 0;
	char *err = strtok_r(NULL, ":", &save);
	if (err && strcmp(err, "EPERM") != 0) {
		if (strcmp(err, "ENOSYS") != 0)
			return -1;
		e->err = ENOSYS;
	}
	for (char *cond; (cond = strtok_r(NULL, ":", &save));) {
		if (e->count >= MAX_CONDITIONS || parse_condition(cond, &e->cmp[e->count]) < 0)
			return -1;
		e->count++;
	}
	return 0;
}

/* The whole list parses; the first bad entry is returned in *bad. */
static int check_seccomp_list(const char *csv, const char **bad)
{
	/* Static: *bad points into it after the return, for the failure record. */
	static char copy[4096];
	*bad = csv;
	if (strlen(csv) >= sizeof copy)
		return -1;
	snprintf(copy, sizeof copy, "%s", csv);
	struct seccomp_entry e;
	for (char *save, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		*bad = tok;
		if (parse_seccomp_entry(tok, &e) < 0)
			return -1;
	}
	return 0;
}

static int compile_numbers(const struct record *rec, struct op *op, const int *which, int count)
{
	for (int i = 0; i < count; i++)
		if (parse_number(rec->arg[which[i]], &op->n[i]) < 0)
			return fail(rec->index, rec->kw->name, EINVAL, rec->arg[which[i]]);
	return 0;
}

int compile_op(const struct record *rec, struct op *op)
{
	memset(op, 0, sizeof *op);
	op->kind = rec->kw->kind;
	op->index = rec->index;
	op->name = rec->kw->name;
	for (int i = 0; i < rec->kw->arity && i < 6; i++)
		op->s[i] = rec->arg[i];

	const char *bad;
	int res;
	switch (op->kind) {
	case K_MOUNT: /* source target fstype flags data */
		op->s[3] = rec->arg[4];
		if (mount_flags(rec->arg[3], &op->flags, &bad) < 0)
			return fail(rec->index, op->name, EINVAL, bad);
		return 0;
	case K_UMOUNT: /* target detach */
		op->flags = strcmp(rec->arg[1], "1") == 0 ? MNT_DETACH : 0;
		return 0;
	case K_MKDIR: /* path mode */
		return compile_numbers(rec, op, (const int[]){ 1 }, 1);
	case K_MKNOD: /* path kind major minor mode */
		if (strcmp(rec->arg[1], "c") != 0 && strcmp(rec->arg[1], "b") != 0)
			return fail(rec->index, op->name, EINVAL, rec->arg[1]);
		return compile_numbers(rec, op, (const int[]){ 2, 3, 4 }, 3);
	case K_RLIMIT: /* resource soft hard */
		if (rlimit_resource(rec->arg[0], &res) < 0)
			return fail(rec->index, op->name, EINVAL, rec->arg[0]);
		op->flags = (unsigned long)res;
		if (parse_limit(rec->arg[1], &op->n[0]) < 0 || parse_limit(rec->arg[2], &op->n[1]) < 0)
			return fail(rec->index, op->name, EINVAL, rec->arg[0]);
		return 0;
	case K_CAP_DROP: /* csv of capability numbers */
		return check_cap_list(rec->arg[0]) < 0 ? fail(rec->index, op->name, EINVAL, rec->arg[0]) : 0;
	case K_SECCOMP: /* csv of entries, see parse_seccomp_entry */
		return check_seccomp_list(rec->arg[0], &bad) < 0 ? fail(rec->index, op->name, EINVAL, bad) : 0;
	case K_DEVNODE: /* path kind major minor mode source ('' = mknod) */
		if (strcmp(rec->arg[1], "c") != 0 && strcmp(rec->arg[1], "b") != 0)
			return fail(rec->index, op->name, EINVAL, rec->arg[1]);
		return compile_numbers(rec, op, (const int[]){ 2, 3, 4 }, 3);
	default:
		return 0;
	}
}

/* Per-mount flags the kernel ignores on MS_BIND; they need a second, remount call. */
#define BIND_REMOUNT_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_RELATIME)

/* Flags a remount must keep, or the kernel refuses it when they are locked (user ns). */
static unsigned long locked_flags(const char *target)
{
	struct statvfs st;
	if (statvfs(target, &st) < 0)
		return 0;
	return (st.f_flag & ST_NOSUID ? MS_NOSUID : 0) | (st.f_flag & ST_NODEV ? MS_NODEV : 0) |
	       (st.f_flag & ST_NOEXEC ? MS_NOEXEC : 0);
}

static int op_mount(const struct op *op)
{
	const char *fstype = *op->s[2] ? op->s[2] : NULL;
	const char *data = *op->s[3] ? op->s[3] : NULL;
	if (mount(op->s[0], op->s[1], fstype, op->flags, data) < 0)
		return fail_errno(op->index, op->name, op->s[1]);
	return finish_bind(op);
}

/* The per-mount flags of a bind op, which the bind itself ignores. */
int finish_bind(const struct op *op)
{
	unsigned long extra = op->flags & BIND_REMOUNT_FLAGS;
	if (!(op->flags & MS_BIND) || (op->flags & MS_REMOUNT) || !extra)
		return 0;
	unsigned long flags = MS_REMOUNT | MS_BIND | extra | locked_flags(op->s[1]);
	if (mount(NULL, op->s[1], NULL, flags, NULL) < 0)
		return fail_errno(op->index, op->name, op->s[1]);
	return 0;
}

/* An existing directory is fine: templates often ship the mount points already. */
static int op_mkdir(const struct op *op)
{
	struct stat st;
	if (mkdir(op->s[0], (mode_t)op->n[0]) == 0)
		return 0;
	if (errno == EEXIST && stat(op->s[0], &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	return fail_errno(op->index, op->name, op->s[0]);
}

static int op_mknod(const struct op *op)
{
	mode_t type = op->s[1][0] == 'c' ? S_IFCHR : S_IFBLK;
	dev_t dev = makedev((unsigned)op->n[0], (unsigned)op->n[1]);
	if (mknod(op->s[0], type | (mode_t)(op->n[2] & 07777), dev) < 0)
		return fail_errno(op->index, op->name, op->s[0]);
	return 0;
}

/* Truncates regular files only: /proc/sys files must not be opened with O_TRUNC semantics. */
static int op_write(const struct op *op)
{
	int fd = open(op->s[0], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	struct stat st;
	int ok = fd >= 0 && fstat(fd, &st) == 0 && (!S_ISREG(st.st_mode) || ftruncate(fd, 0) == 0) &&
		 write_all(fd, op->s[1], strlen(op->s[1])) == 0;
	int err = errno;
	if (fd >= 0 && close(fd) < 0 && ok) {
		ok = 0;
		err = errno;
	}
	return ok ? 0 : fail(op->index, op->name, err, op->s[0]);
}

/*
 * Read a file once and drop what it held: for a server that starts serving a reader's
 * cgroup at its first read (lxcfs's load average), made by init in its cgroups.
 */
static int op_read(const struct op *op)
{
	char buf[4096];
	int fd = open(op->s[0], O_RDONLY | O_CLOEXEC);
	ssize_t n = -1;
	if (fd >= 0) {
		do
			n = read(fd, buf, sizeof buf);
		while (n < 0 && errno == EINTR);
	}
	int err = errno;
	if (fd >= 0)
		close(fd);
	return n >= 0 ? 0 : fail(op->index, op->name, err, op->s[0]);
}

/*
 * A device of the child's network namespace up, by the ioctl ifconfig uses: a socket of
 * any family made here acts in this namespace, and AF_UNIX needs no protocol loaded.
 */
static int op_link_up(const struct op *op)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	if (strlen(op->s[0]) >= sizeof ifr.ifr_name)
		return fail(op->index, op->name, EINVAL, op->s[0]);
	strcpy(ifr.ifr_name, op->s[0]);
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return fail_errno(op->index, op->name, "socket");
	int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
	if (rc == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	int err = errno;
	close(s);
	return rc == 0 ? 0 : fail(op->index, op->name, err, op->s[0]);
}

/* runc's way: pivot onto "." and detach the old root, so no host mount stays reachable. */
static int op_pivot_root(const struct op *op)
{
	if (chdir(op->s[0]) < 0)
		return fail_errno(op->index, op->name, op->s[0]);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return fail_errno(op->index, op->name, op->s[0]);
	if (umount2(".", MNT_DETACH) < 0)
		return fail_errno(op->index, op->name, "old root");
	if (chdir("/") < 0)
		return fail_errno(op->index, op->name, "/");
	return 0;
}

static int op_rlimit(const struct op *op)
{
	struct rlimit rl = { .rlim_cur = op->n[0], .rlim_max = op->n[1] };
	if (setrlimit((int)op->flags, &rl) < 0)
		return fail_errno(op->index, op->name, op->s[0]);
	return 0;
}

/*
 * Drops from the bounding set and from the inheritable set: a root exec gains
 * inheritable caps even when the bounding set lacks them. Ambient caps follow.
 */
static int op_cap_drop(const struct op *op)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) < 0)
		return fail_errno(op->index, op->name, "capget");

	char copy[1024];
	snprintf(copy, sizeof copy, "%s", op->s[0]);
	for (char *save, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned long cap = strtoul(tok, NULL, 10);
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return fail_errno(op->index, op->name, tok);
		data[cap / 32].inheritable &= ~(1u << (cap % 32));
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return fail_errno(op->index, op->name, "capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return fail_errno(op->index, op->name, "ambient");
	return 0;
}

/*
 * A filter that allows everything but the listed calls, which fail with EPERM (the
 * answer a program expects when it lacks a privilege) or ENOSYS (clone3: libc then falls
 * back to clone, whose flags a filter can see). Loaded last: it is inherited by init's
 * children and survives exec. Without no_new_privs the kernel wants CAP_SYS_ADMIN for
 * this, which the launcher still has; setuid programs keep working.
 */
static int op_seccomp(const struct op *op)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return fail(op->index, op->name, ENOMEM, "seccomp_init");
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	char copy[4096];
	snprintf(copy, sizeof copy, "%s", op->s[0]);
	for (char *save, *tok = strtok_r(copy, ",", &save); rc == 0 && tok; tok = strtok_r(NULL, ",", &save)) {
		struct seccomp_entry e;
		if (parse_seccomp_entry(tok, &e) < 0) {
			seccomp_release(ctx);
			return fail(op->index, op->name, EINVAL, tok);
		}
		int nr = seccomp_syscall_resolve_name(e.name);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not a call of this architecture */
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(e.err), nr, e.count, e.cmp);
		if (rc < 0) {
			seccomp_release(ctx);
			return fail(op->index, op->name, -rc, tok);
		}
	}
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc < 0 ? fail(op->index, op->name, -rc, "seccomp_load") : 0;
}

/* mkdir -p of the directories above `path` (a devnode's /dev/net). */
static int make_parents(const struct op *op, const char *path)
{
	char dir[4096];
	if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
		return fail(op->index, op->name, ENAMETOOLONG, path);
	for (char *c = dir + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return fail_errno(op->index, op->name, dir);
		*c = '/';
	}
	return 0;
}

/*
 * A device node at s[0] unless something is there already (the guest's own node, or
 * one an earlier call made): mknod with the host's type, numbers and mode; or, where
 * the VE's root may not make device nodes (a user namespace), the host's node s[5]
 * bound onto an empty file, from `tree` when the source was opened before joining.
 */
int run_devnode(const struct op *op, int tree)
{
	const char *path = op->s[0], *source = op->s[5];
	struct stat st;
	if (lstat(path, &st) == 0)
		return 0;
	if (errno != ENOENT)
		return fail_errno(op->index, op->name, path);
	if (make_parents(op, path) < 0)
		return -1;
	mode_t perm = (mode_t)(op->n[2] & 07777);
	if (!*source) {
		mode_t type = op->s[1][0] == 'c' ? S_IFCHR : S_IFBLK;
		if (mknod(path, type | perm, makedev((unsigned)op->n[0], (unsigned)op->n[1])) < 0 || chmod(path, perm) < 0)
			return fail_errno(op->index, op->name, path);
		return 0;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail_errno(op->index, op->name, path);
	close(fd);
	int rc = tree >= 0 ? move_mount(tree, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) : mount(source, path, NULL, MS_BIND, NULL);
	if (rc < 0) {
		int err = errno;
		unlink(path);
		return fail(op->index, op->name, err, path);
	}
	return 0;
}

/*
 * A Landlock domain whose tasks can neither mount, remount, unmount, move a mount nor
 * pivot_root (Landlock refuses them to every task whose domain restricts some file
 * access), nor ptrace or open /proc/PID/exe, fd or mem of a task outside the domain. The
 * one right it restricts, making block device nodes, is granted again on everything
 * beneath the current root, so files stay as they were. The rule is taken on "/": this
 * runs after pivot_root (start) or after joining the VE's mount namespace (exec).
 * Without no_new_privs the kernel wants CAP_SYS_ADMIN, which the launcher still has.
 */
static int op_landlock(const struct op *op)
{
	struct landlock_ruleset_attr attr = { .handled_access_fs = LANDLOCK_ACCESS_FS_MAKE_BLOCK };
	int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
	if (ruleset < 0)
		return fail_errno(op->index, op->name, "landlock_create_ruleset");
	struct landlock_path_beneath_attr beneath = {
		.allowed_access = LANDLOCK_ACCESS_FS_MAKE_BLOCK,
		.parent_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC),
	};
	int rc = beneath.parent_fd < 0 ? fail_errno(op->index, op->name, "/") : 0;
	if (rc == 0 && syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0) < 0)
		rc = fail_errno(op->index, op->name, "landlock_add_rule");
	if (rc == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		rc = fail_errno(op->index, op->name, "landlock_restrict_self");
	if (beneath.parent_fd >= 0)
		close(beneath.parent_fd);
	close(ruleset);
	return rc;
}

/*
 * The effective, permitted and inheritable sets cut down to the bounding set (what the
 * capDrop ops left of it): from here on the process holds no capability that the VE's
 * root could not get by execve. Run after the ops that still need CAP_SYS_ADMIN
 * (seccomp, landlock).
 */
int limit_caps_to_bounding(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) < 0)
		return fail_errno(-1, "caps", "capget");
	for (unsigned cap = 0; cap < 64; cap++) {
		/* EINVAL: past the kernel's last capability, which nobody holds either. */
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
			continue;
		uint32_t bit = 1u << (cap % 32);
		data[cap / 32].effective &= ~bit;
		data[cap / 32].permitted &= ~bit;
		data[cap / 32].inheritable &= ~bit;
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return fail_errno(-1, "caps", "capset");
	return 0;
}

static int check(int rc, const struct op *op, const char *detail)
{
	return rc < 0 ? fail_errno(op->index, op->name, detail) : 0;
}

int run_op(const struct op *op)
{
	switch (op->kind) {
	case K_MOUNT:
		return op_mount(op);
	case K_UMOUNT:
		return check(umount2(op->s[0], (int)op->flags), op, op->s[0]);
	case K_MKDIR:
		return op_mkdir(op);
	case K_MKNOD:
		return op_mknod(op);
	case K_SYMLINK:
		return check(symlink(op->s[0], op->s[1]), op, op->s[1]);
	case K_WRITE:
		return op_write(op);
	case K_READ:
		return op_read(op);
	case K_LINK_UP:
		return op_link_up(op);
	case K_PIVOT_ROOT:
		return op_pivot_root(op);
	case K_CHDIR:
		return check(chdir(op->s[0]), op, op->s[0]);
	case K_SETHOSTNAME:
		return check(sethostname(op->s[0], strlen(op->s[0])), op, op->s[0]);
	case K_SETDOMAINNAME:
		return check(setdomainname(op->s[0], strlen(op->s[0])), op, op->s[0]);
	case K_RLIMIT:
		return op_rlimit(op);
	case K_CAP_DROP:
		return op_cap_drop(op);
	case K_SECCOMP:
		return op_seccomp(op);
	case K_DEVNODE:
		return run_devnode(op, -1);
	case K_LANDLOCK:
		return op_landlock(op);
	default:
		return fail(op->index, op->name, EINVAL, "not an op");
	}
}
