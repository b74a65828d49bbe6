# contrib/: systemd units, MTA snippets, quickstart
#
# Nothing here is installed by "make install": MTA configuration and service
# units are site decisions.  The systemd units are generated with the
# configured paths (make contrib-units, also part of "make all") and copied
# by hand, see the comment at the top of each unit:
#   cp contrib/systemd/*.service contrib/systemd/*.timer /etc/systemd/system/
CONTRIB_UNITS = \
	contrib/systemd/smime-milter.service \
	contrib/systemd/smime-enroll-renew.service \
	contrib/systemd/smime-enroll-check.service
nodist_noinst_DATA = $(CONTRIB_UNITS)
CLEANFILES += $(CONTRIB_UNITS)
EXTRA_DIST += \
	contrib/quickstart \
	contrib/install-deps \
	contrib/run-tests \
	contrib/postfix/main.cf.snippet \
	contrib/postfix/master.cf.snippet \
	contrib/sendmail/smime-milter.mc \
	contrib/systemd/smime-milter.service.in \
	contrib/systemd/smime-enroll-renew.service.in \
	contrib/systemd/smime-enroll-check.service.in \
	contrib/systemd/smime-enroll-renew.timer

contrib_edit = sed \
	-e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@localstatedir[@]|$(localstatedir)|g' \
	-e 's|@runstatedir[@]|$(runstatedir)|g'

$(CONTRIB_UNITS): Makefile
	$(AM_V_GEN)$(MKDIR_P) contrib/systemd && rm -f $@ $@.tmp && \
	$(contrib_edit) $(srcdir)/$@.in > $@.tmp && mv $@.tmp $@

contrib/systemd/smime-milter.service: $(srcdir)/contrib/systemd/smime-milter.service.in
contrib/systemd/smime-enroll-renew.service: $(srcdir)/contrib/systemd/smime-enroll-renew.service.in
contrib/systemd/smime-enroll-check.service: $(srcdir)/contrib/systemd/smime-enroll-check.service.in

contrib-units: $(CONTRIB_UNITS)
.PHONY: contrib-units
