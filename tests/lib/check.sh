# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The one test vocabulary of the shell suites (tests/*/run.sh) and the VM
# scenarios (through tests/vm/lib.sh).  Sourced, never run.
#
#   ok NAME                a check passed
#   bad NAME [WHY]         a check failed; the run goes on (see CHECK_FATAL)
#   fail WHY               a check failed and the run stops here (exit 1)
#   check NAME CMD...      ok NAME if CMD succeeds, else bad NAME
#   expect NAME WANT GOT   ok NAME if GOT is exactly WANT, else bad (both shown)
#   wait_until [-t SECONDS] [-m MESSAGE] CMD...
#                          run CMD (its output discarded) until it succeeds,
#                          every 0.1 s, for at most SECONDS (default 10) of
#                          wall-clock time; status 1 on a time-out (a failure
#                          that ends the run under CHECK_FATAL).  CMD runs in
#                          this shell and afresh on every try: a function, or
#                          eval 'EXPRESSION' for a one-off condition
#   summary                the last line, "$CHECK_SUITE: N passed, N failed";
#                          status 0 only if something passed and nothing
#                          failed (a suite that ran no check fails)
#
# Settings, before the first check:
#   CHECK_SUITE   the suite's name in the summary
#   CHECK_FATAL=1 the first failure ends the run (exit 1, after the summary
#                 if CHECK_SUITE is set): for runs whose later checks build
#                 on earlier ones, such as every VM scenario
# MUISP_CHECK_TIMES=1 (in the environment) ends each "ok" line with the
# seconds since the previous one, to find where a slow suite spends them.
#
# "ok" lines go to stdout; "FAIL" lines to the stderr the script had when
# it sourced this file, so that they show even from inside a condition
# whose output wait_until discards.  No process is started per check
# (under the VM's emulated CPU each costs ~47 ms).

CHECK_PASS=${CHECK_PASS:-0} CHECK_FAIL=${CHECK_FAIL:-0}
CHECK_FATAL=${CHECK_FATAL:-0}
exec {_check_err}>&2

_check_t0=${EPOCHREALTIME/./}
ok() {
	CHECK_PASS=$((CHECK_PASS + 1))
	if [ "${MUISP_CHECK_TIMES:-0}" = 1 ]; then
		local now=${EPOCHREALTIME/./}
		printf '  ok   %s  [%d.%ds]\n' "$1" $(((now - _check_t0) / 1000000)) \
			$(((now - _check_t0) / 100000 % 10))
		_check_t0=$now
		return
	fi
	printf '  ok   %s\n' "$1"
}

bad() {
	CHECK_FAIL=$((CHECK_FAIL + 1))
	printf '  FAIL %s%s\n' "$1" "${2:+: $2}" >&"$_check_err"
	[ "$CHECK_FATAL" != 1 ] || _check_stop
}

fail() {
	bad "$*"
	_check_stop
}

check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}

expect() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		bad "$1" "expected '$2', got '$3'"
	fi
}

wait_until() {
	local secs=10 msg='' start now end
	while [ $# -gt 0 ]; do
		case $1 in
		-t) secs=$2; shift 2 ;;
		-m) msg=$2; shift 2 ;;
		*) break ;;
		esac
	done
	start=${EPOCHREALTIME//[!0-9]/}
	end=$((start + secs * 1000000))
	until "$@" >/dev/null 2>&1; do
		now=${EPOCHREALTIME//[!0-9]/}
		if [ "$now" -ge "$end" ]; then
			msg="timed out after ${secs}s waiting for: ${msg:-$*}"
			if [ "$CHECK_FATAL" = 1 ]; then
				fail "$msg"
			fi
			printf '    %s\n' "$msg" >&"$_check_err"
			return 1
		fi
		_check_nap
	done
	# A condition that took more than half its time is a flake to come.
	now=${EPOCHREALTIME//[!0-9]/}
	if [ $(((now - start) * 2)) -gt $((secs * 1000000)) ]; then
		printf '    note: held after %d.%ds of %ss: %s\n' \
			$(((now - start) / 1000000)) \
			$(((now - start) / 100000 % 10)) "$secs" "${msg:-$*}"
	fi
}

summary() {
	[ $((CHECK_PASS + CHECK_FAIL)) -gt 0 ] || bad "no check ran"
	echo "${CHECK_SUITE:-test}: $CHECK_PASS passed, $CHECK_FAIL failed"
	[ "$CHECK_FAIL" -eq 0 ]
}

_check_stop() {
	[ -z "${CHECK_SUITE:-}" ] ||
		echo "$CHECK_SUITE: $CHECK_PASS passed, $CHECK_FAIL failed"
	exit 1
}

# 0.1 s without starting a process: a read that times out on a pipe whose
# write end this shell holds itself.  Opened here, once, so that no later
# process substitution changes $! under the caller.
{ exec {_check_nap_fd}<> <(:); } 2>/dev/null || _check_nap_fd=
_check_nap() {
	if [ -n "$_check_nap_fd" ]; then
		read -r -t 0.1 -u "$_check_nap_fd" _ || :
	else
		sleep 0.1
	fi
}
