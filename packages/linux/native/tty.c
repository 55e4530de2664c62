/*
 * `vzctl enter`: a pseudo-terminal from the VE's own devpts (opened after joining its mount
 * namespace), the caller's terminal in raw mode, and bytes relayed both ways until the
 * command exits.
 */
#include "vzlaunch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static volatile sig_atomic_t got_winch, got_chld;

static void note_signal(int sig)
{
	if (sig == SIGWINCH)
		got_winch = 1;
	else
		got_chld = 1;
}

/* TIOCGPTPEER opens the slave from the master itself, never by a path the VE controls. */
int tty_open_master(int *master, int *slave)
{
	*master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0)
		return fail_errno(-1, "tty", "/dev/ptmx");
	if (unlockpt(*master) < 0)
		return fail_errno(-1, "tty", "unlockpt");
	*slave = ioctl(*master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*slave < 0)
		return fail_errno(-1, "tty", "TIOCGPTPEER");
	return 0;
}

/* In the command: a new session whose controlling terminal is the slave, on fds 0-2. */
int tty_become_controlling(int slave)
{
	if (setsid() < 0)
		return fail_errno(-1, "tty", "setsid");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return fail_errno(-1, "tty", "TIOCSCTTY");
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return fail_errno(-1, "tty", "dup2");
	if (slave > 2)
		close(slave);
	return 0;
}

static void copy_window_size(int master)
{
	struct winsize ws;
	if (ioctl(0, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

/* Returns what read() gave: >0 relayed, 0 EOF, -1 error (EIO once the slave is gone). */
static ssize_t relay_chunk(int from, int to)
{
	char buf[8192];
	ssize_t n;
	do
		n = read(from, buf, sizeof buf);
	while (n < 0 && errno == EINTR);
	if (n > 0 && write_all(to, buf, (size_t)n) < 0)
		return -1;
	return n;
}

static void install_tty_signals(sigset_t *wait_mask)
{
	struct sigaction sa = { .sa_handler = note_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	/* Blocked except inside ppoll, so a signal can never slip in just before it sleeps. */
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGWINCH);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, wait_mask);
	sigdelset(wait_mask, SIGWINCH);
	sigdelset(wait_mask, SIGCHLD);
}

/* Relays until the child exits (or the terminal goes away); *status is its wait status. */
static int relay_loop(int master, pid_t child, int *status, const sigset_t *wait_mask)
{
	int stdin_open = 1;
	for (;;) {
		if (got_winch) {
			got_winch = 0;
			copy_window_size(master);
		}
		got_chld = 0;
		if (waitpid(child, status, WNOHANG) == child)
			return 1;
		struct pollfd fds[2] = { { master, POLLIN, 0 }, { stdin_open ? 0 : -1, POLLIN, 0 } };
		if (ppoll(fds, 2, NULL, wait_mask) < 0) {
			if (errno == EINTR)
				continue;
			return fail_errno(-1, "tty", "poll");
		}
		if (fds[0].revents && relay_chunk(master, 1) <= 0)
			return 0;
		/* Caller's input ended: pass it on as end-of-file to the VE's terminal. */
		if (fds[1].revents && relay_chunk(0, master) <= 0) {
			stdin_open = 0;
			write_all(master, "\x04", 1);
		}
	}
}

static void drain(int master)
{
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	while (relay_chunk(master, 1) > 0)
		;
}

int tty_relay(int master, pid_t child, int *status)
{
	struct termios saved, raw;
	int restore = isatty(0) && tcgetattr(0, &saved) == 0;
	if (restore) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(0, TCSANOW, &raw);
	}
	copy_window_size(master);
	sigset_t wait_mask;
	install_tty_signals(&wait_mask);

	int rc = relay_loop(master, child, status, &wait_mask);
	if (rc == 1)
		drain(master);
	if (restore)
		tcsetattr(0, TCSANOW, &saved);
	if (rc < 0)
		return -1;
	if (rc == 0)
		while (waitpid(child, status, 0) < 0)
			if (errno != EINTR)
				return fail_errno(-1, "wait", "");
	return 0;
}
