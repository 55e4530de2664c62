/*
 * vzlaunch start|exec|idmap|inject, or vzlaunch reaper LOCKFILE PROGRAM [ARG...]
 *
 * Reads its spec from fd 3 and replies on fd 4 (see spec.c and ../README.md); stdin, stdout
 * and stderr belong to the program it runs in `exec` mode. `reaper` (reaper.c) is vzkitd's
 * parent process and takes no spec.
 */
#include "vzlaunch.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "usage: vzlaunch start|exec|idmap|inject  (spec on fd 3, replies on fd 4)\n       vzlaunch reaper LOCKFILE PROGRAM [ARG...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	/* Run from a copy as /proc/self/fd/N (sealed-image.ts), its name would be "N". */
	prctl(PR_SET_NAME, "vzlaunch", 0, 0, 0);
	if (argc >= 2 && strcmp(argv[1], "reaper") == 0)
		return run_reaper(argc, argv);
	if (argc != 2 || (strcmp(argv[1], "start") != 0 && strcmp(argv[1], "exec") != 0 && strcmp(argv[1], "idmap") != 0 &&
			  strcmp(argv[1], "inject") != 0))
		return usage();
	int start = strcmp(argv[1], "start") == 0;
	/*
	 * Modes that put a process into a VE run from a sealed copy (cloned.c) and are not
	 * dumpable: then only a holder of CAP_SYS_PTRACE in the host's user namespace may
	 * ptrace them or open their /proc/PID/exe, fd, mem or environ. The command's execve
	 * makes it dumpable again, as any program.
	 */
	if (start || strcmp(argv[1], "exec") == 0) {
		if (run_from_sealed_copy(argv) < 0 ||
		    (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 && fail_errno(-1, "dumpable", "") < 0)) {
			report_failure(CTL_OUT);
			return start ? 1 : EXIT_SETUP_FAILED;
		}
	}
	/* Nothing the launcher execs may inherit the control channel. */
	if (fcntl(CTL_IN, F_SETFD, FD_CLOEXEC) < 0 || fcntl(CTL_OUT, F_SETFD, FD_CLOEXEC) < 0)
		return usage();

	struct reader reader = { .fd = CTL_IN };
	struct spec spec = { 0 };
	if (read_spec(&reader, &spec) < 0) {
		report_failure(CTL_OUT);
		return start ? 1 : EXIT_SETUP_FAILED;
	}
	int idmap = strcmp(argv[1], "idmap") == 0;
	if (idmap || strcmp(argv[1], "inject") == 0) {
		close(CTL_IN);
		if ((idmap ? run_idmap(&spec) : run_inject(&spec)) < 0) {
			report_failure(CTL_OUT);
			return 1;
		}
		return 0;
	}
	if (start) {
		int rc = run_start(&reader, &spec);
		if (rc < 0)
			report_failure(CTL_OUT);
		return rc == 0 ? 0 : 1;
	}
	close(CTL_IN);
	int rc = run_join(&spec);
	if (rc < 0) {
		report_failure(CTL_OUT);
		return EXIT_SETUP_FAILED;
	}
	return rc;
}
