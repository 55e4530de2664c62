/*
 * The launcher runs from a sealed copy of itself, never from the host's file.
 *
 * While the launcher (or, in `exec`, its child) is in a VE's pid namespace, /proc/PID/exe
 * of it is a way back to the binary it runs. If that were the host's vzlaunch, a root
 * inside that got hold of it could rewrite it and run code as host root at the next
 * vzctl (the runc CVE-2019-5736 class). So, before anything else, the launcher copies
 * itself into a memfd, seals it against every change and execs the copy, as runc's
 * libcontainer/nsenter/cloned_binary.c does: what /proc/PID/exe then reaches is a
 * private, unchangeable copy that disappears with the process.
 */
#include "vzlaunch.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define CLONE_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

/* A memfd with all our seals is a copy we made: the seals cannot be taken off again. */
static int running_from_copy(void)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail_errno(-1, "memfd", "/proc/self/exe");
	int seals = fcntl(fd, F_GET_SEALS);
	close(fd);
	return seals >= 0 && (seals & CLONE_SEALS) == CLONE_SEALS;
}

/*
 * MFD_EXEC (6.3+) says so explicitly where vm.memfd_noexec would otherwise make the copy
 * non-executable; older kernels do not know the flag (EINVAL) and need none.
 */
static int sealed_copy(void)
{
	int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (exe < 0)
		return fail_errno(-1, "memfd", "/proc/self/exe");
	int copy = (int)syscall(SYS_memfd_create, "vzlaunch", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (copy < 0 && errno == EINVAL)
		copy = (int)syscall(SYS_memfd_create, "vzlaunch", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	struct stat st;
	int rc = copy < 0 ? fail_errno(-1, "memfd", "memfd_create") : fstat(exe, &st) < 0 ? fail_errno(-1, "memfd", "fstat") : 0;
	for (off_t done = 0; rc == 0 && done < st.st_size;) {
		ssize_t n = sendfile(copy, exe, NULL, (size_t)(st.st_size - done));
		if (n <= 0)
			rc = n < 0 ? fail_errno(-1, "memfd", "copy") : fail(-1, "memfd", EIO, "short copy");
		else
			done += n;
	}
	if (rc == 0 && fcntl(copy, F_ADD_SEALS, CLONE_SEALS) < 0)
		rc = fail_errno(-1, "memfd", "seal");
	close(exe);
	if (rc < 0) {
		if (copy >= 0)
			close(copy);
		return -1;
	}
	return copy;
}

int run_from_sealed_copy(char **argv)
{
	int cloned = running_from_copy();
	if (cloned != 0)
		return cloned < 0 ? -1 : 0;
	int copy = sealed_copy();
	if (copy < 0)
		return -1;
	/* The control fds 3 and 4 are not close-on-exec yet: the copy keeps them. */
	syscall(SYS_execveat, copy, "", argv, environ, AT_EMPTY_PATH);
	int err = errno;
	close(copy);
	return fail(-1, "memfd", err, "execveat");
}
