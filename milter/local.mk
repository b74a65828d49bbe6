# milter/: the daemon, a thin front end over smime/ (smime-enroll: enroll/)
sbin_PROGRAMS += milter/smime-milter
milter_smime_milter_SOURCES = milter/smf.h milter/daemon.h \
	milter/smime-milter.c milter/daemon.c milter/runtime.c milter/log.c \
	milter/message.c milter/apply.c milter/callbacks.c milter/testmode.c \
	milter/account.c milter/metrics.c milter/metrics.h milter/textbuf.c \
	milter/textbuf.h milter/log.h milter/health.c milter/health.h \
	milter/ops.c milter/ops.h milter/identities.c
milter_smime_milter_CFLAGS = $(AM_CFLAGS) $(MILTER_CFLAGS) $(MHD_CFLAGS) \
	$(SYSTEMD_CFLAGS)
milter_smime_milter_LDADD = conf/libsmimeconf.a smime/libsmime.a \
	$(OPENSSL_LIBS) $(LIBCONFIG_LIBS) $(MILTER_LIBS) $(MHD_LIBS) \
	$(SYSTEMD_LIBS) $(PTHREAD_LIBS)
# Optional operations parts (issue 19): a stub when configured without.
if HAVE_MHD
milter_smime_milter_SOURCES += milter/httpd.c
else
milter_smime_milter_SOURCES += milter/httpd-none.c
endif
if HAVE_SYSTEMD
milter_smime_milter_SOURCES += milter/notify.c
else
milter_smime_milter_SOURCES += milter/notify-none.c
endif
# Man pages: milter/*.[58].in with the configured paths (Makefile.am).
MILTER_MANS = milter/smime-milter.8 milter/smime-milter.conf.5
man_MANS += $(MILTER_MANS)
CLEANFILES += $(MILTER_MANS)
EXTRA_DIST += milter/smime-milter.8.in milter/smime-milter.conf.5.in
$(MILTER_MANS): Makefile
	$(AM_V_GEN)$(MKDIR_P) milter && rm -f $@ $@.tmp && \
	$(edit_paths) $(srcdir)/$@.in > $@.tmp && mv $@.tmp $@
milter/smime-milter.8: $(srcdir)/milter/smime-milter.8.in
milter/smime-milter.conf.5: $(srcdir)/milter/smime-milter.conf.5.in
