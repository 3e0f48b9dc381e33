// SPDX-License-Identifier: GPL-2.0
/*
 * net-snmp as an AgentX subagent on the daemon's sd-event loop (no thread,
 * no agent_check_and_process(), which would select() itself).
 *
 * One timer source, always SD_EVENT_ON, with a prepare callback: before
 * every poll it asks snmp_select_info() for net-snmp's sockets and
 * time-out and get_next_alarm_delay_time() for its next alarm (the AgentX
 * ping and reconnect are alarms), keeps one io source per socket (made
 * anew when the socket is another file: the AgentX socket after a
 * reconnect) and sets the timer to the earlier of the two (touched only
 * when that moved by more than 1 ms).  io: snmp_read() of that socket; timer:
 * snmp_timeout() and run_alarms().  Three things were measured (docs/DESIGN.md
 * "net-snmp on sd-event") and are load-bearing here:
 *  - NETSNMP_DS_LIB_ALARM_DONT_USE_SIG: net-snmp's alarms must not be
 *    SIGALRM, and run only from the timer;
 *  - the ping interval is set after init_agent() (which sets its default
 *    15 s) and before init_snmp() (whose post-config callback connects,
 *    or arms the reconnect alarm, with it), and again after init_snmp();
 *  - the prepare callback hangs on a SD_EVENT_ON timer: sd-event does not
 *    prepare disabled sources, and a one-shot timer is disabled once it
 *    has fired.
 * net-snmp's log goes to lib/log through its callback log handler: its
 * lines are collected until a newline, warnings are rate-limited (a master
 * that is down gives one failed connect per ping interval).  MIBS is set
 * empty before init_agent() and no snmp.conf is read: the subagent needs
 * no MIB file, and without that net-snmp prints hundreds of "Cannot find
 * module" lines.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "agentx.h"
#include "log.h"

#define AX_APP	      "muisp-agentx"
#define AX_MAX_IO     16
#define AX_IDLE_USEC  (3600ULL * 1000000ULL)
#define AX_SLACK_USEC 1000ULL /* the timer's accuracy as added */

/* net-snmp's sockets as watched: the fd and its file */
struct ax_io {
	sd_event_source *src;
	int fd;
	dev_t dev;
	ino_t ino;
};

static sd_event_source *tsrc;
static struct ax_io io[AX_MAX_IO];
static int nio;
static int io_recheck = 1;

/* ---- logging ---- */

static char logbuf[512];
static size_t loglen;

/* send_v2trap() also builds an SNMPv1 form for v1 sinks, which cannot
 * carry Counter64: net-snmp warns at every trap with one, though a
 * subagent's traps go to the master over AgentX, whose own sinks decide
 * (snmpd converts for its v1 sinks, or says so). */
static int v1_noise(const char *s)
{
	return !strncmp(s, "send_trap: v1 traps can't carry Counter64", 41) ||
	       !strncmp(s, "send_trap: failed to convert v2->v1", 35);
}

static void log_line(int pri, const char *s)
{
	static struct log_rl rl = LOG_RL_INIT(60, 5);

	if (pri <= LOG_WARNING && v1_noise(s))
		log_debug("net-snmp: %s", s);
	else if (pri <= LOG_WARNING)
		log_ratelimited(&rl, LOG_WARNING, "net-snmp: %s", s);
	else if (pri <= LOG_INFO)
		log_info("net-snmp: %s", s);
	else
		log_debug("net-snmp: %s", s);
}

static int on_log(int major, int minor, void *serverarg, void *clientarg)
{
	const struct snmp_log_message *m = serverarg;
	const char *s, *nl;

	(void)major;
	(void)minor;
	(void)clientarg;
	if (!m || !m->msg)
		return 0;
	for (s = m->msg; *s; s = nl + 1) {
		size_t n;

		nl = strchr(s, '\n');
		n = nl ? (size_t)(nl - s) : strlen(s);
		if (n > sizeof(logbuf) - 1 - loglen)
			n = sizeof(logbuf) - 1 - loglen;
		memcpy(logbuf + loglen, s, n);
		loglen += n;
		logbuf[loglen] = 0;
		if (!nl)
			break;
		if (loglen)
			log_line(m->priority, logbuf);
		loglen = 0;
	}
	return 0;
}

/* ---- the loop ---- */

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	fd_set f;

	(void)s;
	(void)revents;
	(void)arg;
	if (fd >= FD_SETSIZE)
		return 0;
	FD_ZERO(&f);
	FD_SET(fd, &f);
	snmp_read(&f);
	netsnmp_check_outstanding_agent_requests();
	return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *arg)
{
	(void)s;
	(void)usec;
	(void)arg;
	snmp_timeout();
	run_alarms();
	io_recheck = 1;
	netsnmp_check_outstanding_agent_requests();
	return 0;
}

/* The socket fd is the one we watch: same number, same open file (a
 * socket net-snmp closed and a new one that got its number, the AgentX
 * socket after a reconnect, is another inode; the kernel dropped the
 * closed one's epoll registration, so its source must be made anew).
 * net-snmp opens sockets only from its alarms and time-outs (the AgentX
 * reconnect; net-snmp 5.9.3 agentx/subagent.c): looked at after on_timer
 * ran (io_recheck), not at the three passes of every PDU. */
static int io_same(const struct ax_io *w, int fd)
{
	struct stat st;

	return w->fd == fd && fstat(fd, &st) == 0 && st.st_dev == w->dev &&
	       st.st_ino == w->ino;
}

static void io_drop(int i)
{
	sd_event_source_disable_unref(io[i].src);
	io[i] = io[--nio];
}

static void io_add(sd_event *e, int fd)
{
	struct ax_io *w = &io[nio];
	struct stat st;

	if (nio == AX_MAX_IO) {
		log_warnx("net-snmp: more than %d sockets", AX_MAX_IO);
		return;
	}
	if (fstat(fd, &st) < 0 ||
	    sd_event_add_io(e, &w->src, fd, EPOLLIN, on_io, NULL) < 0) {
		log_warnx("net-snmp: cannot watch socket %d", fd);
		return;
	}
	w->fd = fd;
	w->dev = st.st_dev;
	w->ino = st.st_ino;
	nio++;
}

/* The timer at due (usec): left alone when it is armed in the future
 * within AX_SLACK_USEC of due, or idle and still far away; re-arming it
 * on every pass cost a timerfd_settime() per loop iteration. */
static void timer_at(sd_event_source *s, uint64_t now, uint64_t due, int idle)
{
	uint64_t cur = 0;

	if (sd_event_source_get_time(s, &cur) >= 0 && cur > now &&
	    (idle ? cur > now + AX_IDLE_USEC / 2 :
		    cur + AX_SLACK_USEC > due && cur < due + AX_SLACK_USEC))
		return;
	sd_event_source_set_time(s, due);
}

/* Before every poll: net-snmp's sockets and its next time-out.  Three
 * passes of the loop per AgentX PDU (the socket, then net-snmp's internal
 * callback pipe there and back), so this runs some 500,000 times in a
 * walk of 10,000 rows x 17 columns: it changes the io sources and the
 * timer only when net-snmp's sockets or its time-out changed (making
 * them anew each pass was most of the subagent's CPU, in the kernel). */
static int on_prepare(sd_event_source *s, void *arg)
{
	sd_event *e = sd_event_source_get_event(s);
	struct timeval tv = { 0, 0 }, ad;
	int n = 0, block = 1, fd, i;
	uint64_t now;
	fd_set f;

	(void)arg;
	FD_ZERO(&f);
	snmp_select_info(&n, &f, &tv, &block);
	if (get_next_alarm_delay_time(&ad) &&
	    (block || timercmp(&ad, &tv, <))) {
		tv = ad;
		block = 0;
	}
	for (i = 0; i < nio;) {
		if (io[i].fd < n && FD_ISSET(io[i].fd, &f) &&
		    (!io_recheck || io_same(&io[i], io[i].fd))) {
			FD_CLR(io[i].fd, &f); /* watched already */
			i++;
		} else {
			io_drop(i);
		}
	}
	io_recheck = 0;
	for (fd = 0; fd < n; fd++)
		if (FD_ISSET(fd, &f))
			io_add(e, fd);
	if (sd_event_now(e, CLOCK_MONOTONIC, &now) < 0)
		return 0;
	timer_at(s, now,
		 block ? now + AX_IDLE_USEC :
			 now + (uint64_t)tv.tv_sec * 1000000 +
				 (uint64_t)tv.tv_usec,
		 block);
	return 0;
}

int ax_snmp_init(struct agentx *ax)
{
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE,
			       1);
	netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID,
			      NETSNMP_DS_AGENT_X_SOCKET,
			      ax->conf.agentx_socket);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
			       NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
			       NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
			       NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
			       NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
	setenv("MIBS", "", 1); /* load no MIB file */
	netsnmp_register_loghandler(NETSNMP_LOGHANDLER_CALLBACK, LOG_DEBUG);
	snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING,
			       on_log, NULL);
	if (init_agent(AX_APP) != 0) {
		log_warnx("net-snmp: init_agent failed");
		return -1;
	}
	/* after init_agent (which sets 15 s), before init_snmp (which
	 * connects with it) */
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID,
			   NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL,
			   (int)ax->conf.ping_interval_s);
	return 0;
}

int ax_snmp_start(struct agentx *ax)
{
	int r;

	init_snmp(AX_APP);
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID,
			   NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL,
			   (int)ax->conf.ping_interval_s);
	r = sd_event_add_time(ax->ev, &tsrc, CLOCK_MONOTONIC, 0, 1000, on_timer,
			      ax);
	if (r >= 0)
		r = sd_event_source_set_prepare(tsrc, on_prepare);
	if (r >= 0)
		r = sd_event_source_set_enabled(tsrc, SD_EVENT_ON);
	if (r < 0) {
		log_warnx("event loop: net-snmp timer: %s", strerror(-r));
		return -1;
	}
	return 0;
}

void ax_snmp_stop(struct agentx *ax)
{
	int i;

	(void)ax;
	for (i = 0; i < nio; i++)
		sd_event_source_disable_unref(io[i].src);
	nio = 0;
	tsrc = sd_event_source_disable_unref(tsrc);
	snmp_shutdown(AX_APP);
}
