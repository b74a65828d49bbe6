# sendmail-lib.sh - a private, throw-away Sendmail instance for integration
# tests, on a machine where Postfix is the installed MTA.
#
# Debian's sendmail-bin conflicts with postfix (both provide
# mail-transport-agent), so it cannot be installed here.  Instead
# sm_fetch downloads the packages with "apt-get download" (or takes them
# from $SENDMAIL_DEBS, a directory of .deb files, for offline runs) and
# unpacks them with "dpkg -x".  sendmail-cf (the m4 files) and the two
# libraries sendmail links that Postfix does not pull in (liblockfile1,
# libwrap0) are used from the system when installed, else unpacked too.
#
# Source after common.sh.  IT_WORK must not lie below a world-writable
# directory such as /tmp: Sendmail refuses SASL configuration files in an
# unsafe directory path (use sm_workdir to make one).
#
# The instance (sm_setup, sm_start):
#   * sendmail.cf generated with m4 from the unpacked cf/ files;
#   * "MSA" daemon on $SM_SUBMIT_PORT with SMTP AUTH (Cyrus sasldb,
#     PLAIN/LOGIN; an E line in sendmail.cf sets SASL_CONF_PATH so that
#     Cyrus reads our Sendmail.conf) and
#     "MTA" daemon on $SM_INBOUND_PORT, both on 127.0.0.1;
#   * contrib/sendmail/smime-milter.mc (INPUT_MAIL_FILTER with F=T and the
#     macro lists), its socket replaced by $SM_MILTER (libmilter syntax);
#   * everything relayed to smtp-sink on $SM_SINK_PORT (it_sink_start);
#   * private queue, pid file, hosts and service.switch files; runs as
#     root with -C in the foreground (-bD).  Sendmail resolves its own
#     host name before reading sendmail.cf and sleeps 60 s if it is not
#     fully qualified, so it is started in private mount and UTS
#     namespaces (unshare) with a qualified host name and a private
#     /etc/hosts when the kernel allows that.

SM_DIR=$IT_WORK/sendmail
SM_ROOT=$IT_WORK/sendmail/root
SM_HOSTNAME=sm.sm-test.example.jp
SM_MILTER=${SM_MILTER:-}
SM_PID=
IT_LOGS="$IT_LOGS $SM_DIR/sendmail.out $SM_DIR/traffic.log"

# sm_workdir - print a new scratch directory in a safe path for Sendmail:
# below /run when we are root and it is not world-writable, else below
# $top_builddir.
sm_workdir() {
	if [ -d /run ] && [ -O /run ] && [ ! -k /run ]; then
		mktemp -d /run/smime-it.XXXXXX
	else
		mktemp -d "${top_builddir:-.}/test/integration/sm.XXXXXX"
	fi
}

# sm_have_lib SONAME - true when the dynamic linker knows SONAME.
sm_have_lib() {
	ldconfig -p 2>/dev/null | grep -q "^[[:space:]]*$1 "
}

# sm_fetch - download (or copy from $SENDMAIL_DEBS) and unpack sendmail-bin
# and whatever else is missing into $SM_ROOT.  Sets SM_BIN and SM_CFDIR.
sm_fetch() {
	_sf_pkgs="sendmail-bin"
	SM_CFDIR=/usr/share/sendmail/cf
	[ -f "$SM_CFDIR/m4/cf.m4" ] || _sf_pkgs="$_sf_pkgs sendmail-cf"
	sm_have_lib liblockfile.so.1 || _sf_pkgs="$_sf_pkgs liblockfile1"
	sm_have_lib libwrap.so.0 || _sf_pkgs="$_sf_pkgs libwrap0"
	mkdir -p "$SM_DIR/debs" "$SM_ROOT" || it_die "mkdir $SM_DIR"
	for _sf_p in $_sf_pkgs; do
		if [ -n "${SENDMAIL_DEBS:-}" ]; then
			cp "$SENDMAIL_DEBS/${_sf_p}"_*.deb "$SM_DIR/debs/" ||
			    it_die "$_sf_p not in SENDMAIL_DEBS=$SENDMAIL_DEBS"
		fi
	done
	if [ -z "${SENDMAIL_DEBS:-}" ]; then
		# _apt cannot write into a root-only directory; that is only
		# a warning, and we are root.  A machine that never ran
		# apt-get update has no package lists: update once, retry.
		(cd "$SM_DIR/debs" && timeout 120 apt-get -q download \
		    $_sf_pkgs) >"$SM_DIR/apt.log" 2>&1 ||
		{ timeout 300 apt-get -q update >>"$SM_DIR/apt.log" 2>&1 &&
		  (cd "$SM_DIR/debs" && timeout 120 apt-get -q download \
		    $_sf_pkgs) >>"$SM_DIR/apt.log" 2>&1; } ||
		    { cat "$SM_DIR/apt.log" >&2;
		      it_die "apt-get download $_sf_pkgs failed"; }
	fi
	for _sf_deb in "$SM_DIR"/debs/*.deb; do
		dpkg -x "$_sf_deb" "$SM_ROOT" || it_die "dpkg -x $_sf_deb"
	done
	SM_BIN=$SM_ROOT/usr/libexec/sendmail/sendmail
	[ -x "$SM_BIN" ] || SM_BIN=$SM_ROOT/usr/lib/sm.bin/sendmail
	[ -x "$SM_BIN" ] || it_die "no sendmail binary in the package"
	# The binary is set-gid smmsp/mail; a set-gid program ignores
	# LD_LIBRARY_PATH, and we run it as root anyway.
	chmod g-s "$SM_BIN"
	[ -f "$SM_CFDIR/m4/cf.m4" ] || SM_CFDIR=$SM_ROOT/usr/share/sendmail/cf
	[ -f "$SM_CFDIR/m4/cf.m4" ] || it_die "no sendmail cf/m4 files"
	SM_LIBPATH=$(find "$SM_ROOT" -name 'lib*.so*' -exec dirname {} \; |
	    sort -u | tr '\n' ':')
	printf '127.0.0.1 %s localhost\n' "$SM_HOSTNAME" > "$SM_DIR/hosts"
	(sm_run -d0.1 -bt -C /dev/null) </dev/null >"$SM_DIR/version" 2>&1
	grep -q 'MILTER' "$SM_DIR/version" ||
	    { cat "$SM_DIR/version" >&2; it_die "sendmail binary unusable"; }
	it_log "$(head -n 1 "$SM_DIR/version") from $_sf_pkgs"
}

# sm_run ARGS... - exec (replacing the calling shell: run it in a subshell
# or in the background) the unpacked sendmail with ARGS.  Sendmail looks up
# its own host name before reading its cf and sleeps 60 s when that is not
# fully qualified, so when the kernel lets us, run it in private mount and
# UTS namespaces with hostname $SM_HOSTNAME and our hosts file bind-mounted
# on /etc/hosts (nothing outside the namespace changes).
sm_run() {
	if unshare -m -u true 2>/dev/null; then
		LD_LIBRARY_PATH=$SM_LIBPATH exec unshare -m -u sh -c \
		    'hostname "$0" && mount --bind "$1" /etc/hosts && shift &&
		     exec "$@"' "$SM_HOSTNAME" "$SM_DIR/hosts" "$SM_BIN" "$@"
	else
		LD_LIBRARY_PATH=$SM_LIBPATH exec "$SM_BIN" "$@"
	fi
}

# sm_write_cf - generate $SM_DIR/sendmail.cf with m4.
sm_write_cf() {
	# The milter lines are contrib/sendmail/smime-milter.mc itself (so
	# that the shipped snippet is what gets tested), socket replaced.
	_wc_milter=
	if [ -n "$SM_MILTER" ]; then
		_wc_milter=$(sed "s|S=inet:8894@127.0.0.1|S=$SM_MILTER|" \
		    "$srcdir/contrib/sendmail/smime-milter.mc")
		case $_wc_milter in
		*"S=$SM_MILTER, F=T"*) ;;
		*) it_die "contrib/sendmail/smime-milter.mc: no INPUT_MAIL_FILTER" ;;
		esac
	fi
	cat > "$SM_DIR/test.mc" <<EOF
divert(-1)
# generated by sendmail-lib.sh
divert(0)dnl
include(\`$SM_CFDIR/m4/cf.m4')dnl
VERSIONID(\`smime-milter integration test')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`$SM_HOSTNAME')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confPID_FILE', \`$SM_DIR/sendmail.pid')dnl
define(\`QUEUE_DIR', \`$SM_DIR/mqueue')dnl
define(\`STATUS_FILE', \`$SM_DIR/statistics')dnl
define(\`ALIAS_FILE', \`$SM_DIR/aliases')dnl
define(\`confHELP_FILE', \`')dnl
define(\`confSERVICE_SWITCH_FILE', \`$SM_DIR/service.switch')dnl
define(\`confHOSTS_FILE', \`$SM_DIR/hosts')dnl
define(\`confLOG_LEVEL', \`14')dnl
define(\`confAUTH_MECHANISMS', \`PLAIN LOGIN')dnl
define(\`confTO_QUEUEWARN', \`1h')dnl
define(\`confTO_CONNECT', \`10s')dnl
define(\`confDELIVERY_MODE', \`background')dnl
dnl Sendmail stops listening above RefuseLA (12 x CPUs) and only queues
dnl above QueueLA; a busy test machine must not change the outcome.
define(\`confREFUSE_LA', \`10000')dnl
define(\`confQUEUE_LA', \`10000')dnl
TRUST_AUTH_MECH(\`PLAIN LOGIN')dnl
define(\`SMART_HOST', \`esmtp:[127.0.0.1]')dnl
define(\`ESMTP_MAILER_ARGS', \`TCP \$h $SM_SINK_PORT')dnl
FEATURE(\`no_default_msa')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`promiscuous_relay')dnl
FEATURE(\`accept_unresolvable_domains')dnl
DAEMON_OPTIONS(\`Port=$SM_SUBMIT_PORT, Addr=127.0.0.1, Name=MSA, M=Ea')dnl
DAEMON_OPTIONS(\`Port=$SM_INBOUND_PORT, Addr=127.0.0.1, Name=MTA')dnl
$_wc_milter
dnl Sendmail clears its environment at start; an E line puts the variable
dnl back for itself and Cyrus SASL finds our Sendmail.conf through it.
LOCAL_CONFIG
ESASL_CONF_PATH=$SM_DIR/sasl
MAILER(\`local')dnl
MAILER(\`smtp')dnl
EOF
	m4 -D_CF_DIR_="$SM_CFDIR/" "$SM_DIR/test.mc" >"$SM_DIR/sendmail.cf" \
	    2>"$SM_DIR/m4.err" || { cat "$SM_DIR/m4.err" >&2; it_die "m4"; }
	grep -q '^O QueueDirectory' "$SM_DIR/sendmail.cf" || it_die "bad cf"
}

# sm_setup - unpack Sendmail, write its configuration and SASL database
# (does not start it).  Sets SM_SUBMIT_PORT, SM_INBOUND_PORT, SM_SINK_PORT.
sm_setup() {
	for _ss_cmd in m4 dpkg smtp-sink swaks saslpasswd2; do
		command -v "$_ss_cmd" >/dev/null 2>&1 || it_die "$_ss_cmd missing"
	done
	sm_fetch
	it_pick_port; SM_SUBMIT_PORT=$IT_PORT
	it_pick_port; SM_INBOUND_PORT=$IT_PORT
	it_pick_port; SM_SINK_PORT=$IT_PORT
	mkdir -p "$SM_DIR/mqueue" "$SM_DIR/sasl" || it_die "mkdir"
	chmod 700 "$SM_DIR/mqueue"
	: > "$SM_DIR/aliases"
	printf 'hosts files\naliases files\n' > "$SM_DIR/service.switch"
	cat > "$SM_DIR/sasl/Sendmail.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: $SM_DIR/sasl/sasldb2
mech_list: PLAIN LOGIN
EOF
	sm_write_cf
	it_log "sendmail in $SM_DIR: MSA $SM_SUBMIT_PORT, MTA $SM_INBOUND_PORT," \
	    "sink $SM_SINK_PORT, milter '${SM_MILTER:-none}'"
}

# sm_add_user LOGIN PASSWORD - add a SASL login (realm: Sendmail's $j).
sm_add_user() {
	printf '%s' "$2" | saslpasswd2 -p -c -f "$SM_DIR/sasl/sasldb2" \
	    -u "$SM_HOSTNAME" "$1" || it_die "saslpasswd2 $1"
	chmod 600 "$SM_DIR/sasl/sasldb2"
}

# sm_start - start smtp-sink and the Sendmail daemon; wait for both ports.
sm_start() {
	[ -n "$IT_SINK_PID" ] || it_sink_start "$SM_SINK_PORT"
	sm_run -C "$SM_DIR/sendmail.cf" -bD -O LogLevel=14 \
	    -X "$SM_DIR/traffic.log" >"$SM_DIR/sendmail.out" 2>&1 &
	SM_PID=$!
	it_wait_port "$SM_SUBMIT_PORT" 90 || it_die "Sendmail MSA not up"
	it_wait_port "$SM_INBOUND_PORT" 10 || it_die "Sendmail MTA not up"
}

# sm_teardown - stop Sendmail and smtp-sink; safe to call twice.
sm_teardown() {
	if [ -n "$SM_PID" ]; then
		kill -TERM "$SM_PID" 2>/dev/null
		_td_n=0
		while kill -0 "$SM_PID" 2>/dev/null && [ $_td_n -lt 50 ]; do
			sleep 0.2
			_td_n=$((_td_n + 1))
		done
		kill -KILL "$SM_PID" 2>/dev/null
		wait "$SM_PID" 2>/dev/null
		SM_PID=
	fi
	it_sink_stop
}

# sm_queue_count - messages waiting in Sendmail's queue.
sm_queue_count() {
	find "$SM_DIR/mqueue" -type f -name 'qf*' | wc -l
}

# sm_wait_delivered N SECONDS - wait until the sink holds N messages and
# Sendmail's queue is empty (delivery finished); 1 on timeout.
sm_wait_delivered() {
	_wd_end=$(( $(date +%s) + $2 ))
	while [ "$(it_delivered_count)" -lt "$1" ] ||
	    [ "$(sm_queue_count)" -ne 0 ]; do
		[ "$(date +%s)" -ge "$_wd_end" ] && return 1
		sleep 0.3
	done
	return 0
}
