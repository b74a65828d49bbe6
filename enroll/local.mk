# enroll/: smime-enroll, the admin tool (keys, CSRs, certificates, the
# store), a front end over smime/ like milter/ is for the daemon.  Process
# control (running the reload command, signalling the daemon, user
# lookups) belongs here, not in the library.
sbin_PROGRAMS += enroll/smime-enroll
enroll_smime_enroll_SOURCES = enroll/smime-enroll.c enroll/enroll.h \
	enroll/enroll-util.c enroll/enroll-local.c enroll/enroll-cmp.c \
	enroll/enroll-check.c enroll/enroll-retitle.c enroll/enroll-trust.c \
	enroll/enroll-proc.c
enroll_smime_enroll_LDADD = smime/libsmime.a conf/libsmimeconf.a smime/libsmime.a \
	$(OPENSSL_LIBS) $(LIBCONFIG_LIBS)
# Man page: enroll/smime-enroll.8.in with the configured paths (Makefile.am).
ENROLL_MANS = enroll/smime-enroll.8
man_MANS += $(ENROLL_MANS)
CLEANFILES += $(ENROLL_MANS)
EXTRA_DIST += enroll/smime-enroll.8.in
$(ENROLL_MANS): Makefile
	$(AM_V_GEN)$(MKDIR_P) enroll && rm -f $@ $@.tmp && \
	$(edit_paths) $(srcdir)/$@.in > $@.tmp && mv $@.tmp $@
enroll/smime-enroll.8: $(srcdir)/enroll/smime-enroll.8.in
