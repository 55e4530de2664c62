/* Kernel constants by the names the TypeScript side uses (plan.ts, host.ts). */
#include "vzlaunch.h"

#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

struct name_value {
	const char *name;
	unsigned long value;
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct name_value NAMESPACES[] = {
	{ "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS },   { "uts", CLONE_NEWUTS },
	{ "ipc", CLONE_NEWIPC },   { "pid", CLONE_NEWPID },  { "net", CLONE_NEWNET },
	{ "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

static const struct name_value MOUNT_FLAGS[] = {
	{ "rdonly", MS_RDONLY },	 { "nosuid", MS_NOSUID },   { "nodev", MS_NODEV },
	{ "noexec", MS_NOEXEC },	 { "relatime", MS_RELATIME }, { "noatime", MS_NOATIME },
	{ "strictatime", MS_STRICTATIME }, { "bind", MS_BIND }, { "rec", MS_REC },
	{ "remount", MS_REMOUNT },	 { "private", MS_PRIVATE }, { "slave", MS_SLAVE },
	{ "shared", MS_SHARED },	 { "unbindable", MS_UNBINDABLE }, { "move", MS_MOVE },
};

static const struct name_value RLIMITS[] = {
	{ "CPU", RLIMIT_CPU },		 { "FSIZE", RLIMIT_FSIZE },	{ "DATA", RLIMIT_DATA },
	{ "STACK", RLIMIT_STACK },	 { "CORE", RLIMIT_CORE },	{ "RSS", RLIMIT_RSS },
	{ "NPROC", RLIMIT_NPROC },	 { "NOFILE", RLIMIT_NOFILE },	{ "MEMLOCK", RLIMIT_MEMLOCK },
	{ "AS", RLIMIT_AS },		 { "LOCKS", RLIMIT_LOCKS },	{ "SIGPENDING", RLIMIT_SIGPENDING },
	{ "MSGQUEUE", RLIMIT_MSGQUEUE }, { "NICE", RLIMIT_NICE },	{ "RTPRIO", RLIMIT_RTPRIO },
	{ "RTTIME", RLIMIT_RTTIME },
};

static int lookup(const struct name_value *table, size_t n, const char *name, size_t len,
		  unsigned long *value)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(table[i].name) == len && strncmp(table[i].name, name, len) == 0) {
			*value = table[i].value;
			return 0;
		}
	return -1;
}

int ns_flag(const char *name, unsigned long *flag)
{
	return lookup(NAMESPACES, COUNT(NAMESPACES), name, strlen(name), flag);
}

/* "bind,rec,rdonly" -> MS_* bits; an empty list is 0. On an unknown name, *bad points at it. */
int mount_flags(const char *csv, unsigned long *flags, const char **bad)
{
	*flags = 0;
	for (const char *p = csv; *p;) {
		size_t len = strcspn(p, ",");
		unsigned long bit;
		if (len > 0 && lookup(MOUNT_FLAGS, COUNT(MOUNT_FLAGS), p, len, &bit) < 0) {
			*bad = p;
			return -1;
		}
		if (len > 0)
			*flags |= bit;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

int rlimit_resource(const char *name, int *resource)
{
	unsigned long value;
	if (lookup(RLIMITS, COUNT(RLIMITS), name, strlen(name), &value) < 0)
		return -1;
	*resource = (int)value;
	return 0;
}
