/*
 * vzlaunch reaper LOCKFILE PROGRAM [ARG...]: the parent of vzkitd's worker and of every
 * VE init started under it.
 *
 * A guest's reboot() ends its PID namespace's init with SIGKILL, and the kernel then
 * rewrites the group's exit code to SIGHUP (restart) or SIGINT (halt, power-off): only
 * a waiting parent sees that; the process events connector and a pidfd's exit info carry
 * the SIGKILL. The launcher exits once init runs, so init is reparented to the nearest
 * child subreaper above it: this process, which outlives the Node worker's restarts and
 * so keeps every init it ever adopted. It reaps whatever it is given and tells the worker
 * on fd 3 of the worker: one line `exit PID STARTTIME STATUS` per reaped process (start
 * time in clock ticks after boot, read while the process was a zombie; STATUS the raw
 * wait status), queued while no worker runs. A worker killed before it read what the
 * pipe held would lose those lines, so every new worker is sent the last HIST_MAX
 * reports again first: a report is about a pid and its start time, which the worker
 * matches against its VEs' records, so one it has already acted on matches nothing.
 *
 * One instance per LOCKFILE (flock held for life; the file holds the pid). The worker is
 * started again after it dies (backoff up to 10 s) unless it exited 0 (it was asked to
 * stop), 2 (bad configuration) or 3 (nothing to do): then the reaper exits with it.
 * SIGTERM/SIGINT stop the worker and the reaper; SIGHUP restarts the worker alone
 * (a new build of it, same children).
 */
#include "vzlaunch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_MAX 8192
#define LINE_MAX_LEN 80
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 10000
/* A worker that ran this long was healthy: the next failure starts the backoff again. */
#define HEALTHY_MS 30000

static char queue[QUEUE_MAX][LINE_MAX_LEN];
static size_t q_head, q_len;
static unsigned long q_lost;

#define HIST_MAX 1024
static char hist[HIST_MAX][LINE_MAX_LEN];
static size_t h_head, h_len;

static void enqueue(const char *line)
{
	if (q_len == QUEUE_MAX) {
		q_head = (q_head + 1) % QUEUE_MAX;
		q_len--;
		q_lost++;
	}
	snprintf(queue[(q_head + q_len) % QUEUE_MAX], LINE_MAX_LEN, "%s", line);
	q_len++;
}

/* A new report: kept for the next worker too, and queued for this one. */
static void report(const char *line)
{
	if (h_len == HIST_MAX) {
		h_head = (h_head + 1) % HIST_MAX;
		h_len--;
	}
	snprintf(hist[(h_head + h_len) % HIST_MAX], LINE_MAX_LEN, "%s", line);
	h_len++;
	enqueue(line);
}

/* A new worker gets the recent reports again (the pipe of the last one may have held some). */
static void replay(void)
{
	q_head = q_len = 0;
	for (size_t i = 0; i < h_len; i++)
		enqueue(hist[(h_head + i) % HIST_MAX]);
}

/* Writes queued lines while the pipe takes them (each is below PIPE_BUF: whole or nothing). */
static void flush(int fd)
{
	while (fd >= 0 && q_len > 0) {
		const char *line = queue[q_head];
		ssize_t n = write(fd, line, strlen(line));
		if (n < 0)
			return;
		q_head = (q_head + 1) % QUEUE_MAX;
		q_len--;
	}
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Field 22 of /proc/PID/stat, counted after the last ')' (comm may hold anything). */
static unsigned long long start_time(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	int field = 2;
	for (p++; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	return strtoull(p, NULL, 10);
}

static int take_lock(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "vzkitd: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		char buf[32] = { 0 };
		ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
		fprintf(stderr, "vzkitd: already running (pid %ld, lock %s)\n", n > 0 ? strtol(buf, NULL, 10) : 0L, path);
		return -2;
	}
	char pid[32];
	int len = snprintf(pid, sizeof pid, "%d\n", getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, len, 0) != len) {
		fprintf(stderr, "vzkitd: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	return fd;
}

/* Descriptors the caller (Node) left open must not reach the worker or the VEs. */
static void cloexec_all(void)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) == 0)
		return;
#endif
	for (int fd = 3; fd < 1024; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static pid_t spawn_worker(char **argv, int *out)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t reaper = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* The worker never outlives the reaper that holds its VEs. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != reaper)
			_exit(1);
		if (dup2(p[0], 3) < 0)
			_exit(1);
		char pidbuf[32];
		snprintf(pidbuf, sizeof pidbuf, "%d", reaper);
		setenv("VZKITD_REAPER_FD", "3", 1);
		setenv("VZKITD_REAPER_PID", pidbuf, 1);
		execvp(argv[0], argv);
		fprintf(stderr, "vzkitd: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(2);
	}
	close(p[0]);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	*out = p[1];
	return pid;
}

int run_reaper(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: vzlaunch reaper LOCKFILE PROGRAM [ARG...]\n");
		return 2;
	}
	cloexec_all();
	int lock = take_lock(argv[2]);
	if (lock < 0)
		return lock == -2 ? 3 : 1;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		fprintf(stderr, "vzkitd: PR_SET_CHILD_SUBREAPER: %s\n", strerror(errno));
		return 1;
	}
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGPIPE);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		fprintf(stderr, "vzkitd: signalfd: %s\n", strerror(errno));
		return 1;
	}
	char **program = argv + 3;
	int wfd = -1, stopping = 0, reload = 0, code = 0, failures = 0;
	long long started = 0, restart_at = now_ms();
	pid_t worker = 0;
	for (;;) {
		if (worker == 0 && !stopping && restart_at >= 0 && now_ms() >= restart_at) {
			worker = spawn_worker(program, &wfd);
			if (worker < 0) {
				fprintf(stderr, "vzkitd: cannot start the worker: %s\n", strerror(errno));
				worker = 0;
				restart_at = now_ms() + BACKOFF_MAX_MS;
			} else {
				started = now_ms();
				restart_at = -1;
				replay();
				if (q_lost) {
					char line[LINE_MAX_LEN];
					snprintf(line, sizeof line, "lost %lu\n", q_lost);
					q_lost = 0;
					enqueue(line);
				}
			}
		}
		if (worker == 0 && stopping)
			break;
		flush(wfd);
		struct pollfd fds[2] = { { .fd = sfd, .events = POLLIN }, { .fd = wfd, .events = q_len ? POLLOUT : 0 } };
		int timeout = -1;
		if (worker == 0 && restart_at >= 0) {
			long long left = restart_at - now_ms();
			timeout = left < 0 ? 0 : (int)left;
		}
		if (poll(fds, wfd >= 0 ? 2 : 1, timeout) < 0 && errno != EINTR)
			break;
		struct signalfd_siginfo si;
		while (fds[0].revents & POLLIN && read(sfd, &si, sizeof si) == sizeof si) {
			if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
				stopping = 1;
				if (worker > 0)
					kill(worker, SIGTERM);
			} else if (si.ssi_signo == SIGHUP && worker > 0) {
				reload = 1;
				kill(worker, SIGTERM);
			}
			if (si.ssi_signo != SIGCHLD)
				continue;
			for (;;) {
				siginfo_t info = { 0 };
				if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0 || info.si_pid == 0)
					break;
				pid_t pid = info.si_pid;
				unsigned long long st = start_time(pid);
				int status = 0;
				if (waitpid(pid, &status, WNOHANG) <= 0)
					break;
				if (pid != worker) {
					char line[LINE_MAX_LEN];
					snprintf(line, sizeof line, "exit %d %llu %d\n", pid, st, status);
					report(line);
					continue;
				}
				close(wfd);
				wfd = -1;
				worker = 0;
				int clean = WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 2 || WEXITSTATUS(status) == 3);
				if (stopping || (clean && !reload)) {
					stopping = 1;
					code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
					continue;
				}
				if (reload) {
					reload = 0;
					failures = 0;
					restart_at = now_ms();
					continue;
				}
				if (now_ms() - started > HEALTHY_MS)
					failures = 0;
				long long delay = BACKOFF_MIN_MS << (failures < 6 ? failures : 6);
				if (delay > BACKOFF_MAX_MS)
					delay = BACKOFF_MAX_MS;
				failures++;
				if (WIFSIGNALED(status))
					fprintf(stderr, "vzkitd: worker %d killed by signal %d; another in %lld ms\n", pid, WTERMSIG(status), delay);
				else
					fprintf(stderr, "vzkitd: worker %d exited with %d; another in %lld ms\n", pid, WEXITSTATUS(status), delay);
				restart_at = now_ms() + delay;
			}
		}
	}
	unlink(argv[2]);
	close(lock);
	return code;
}
