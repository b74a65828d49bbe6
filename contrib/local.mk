# contrib/: systemd units, MTA snippets, quickstart
#
# MTA configuration is a site decision: "make install" installs none of it.
# The systemd units are generated with the configured paths (make
# contrib-units, also part of "make all"); "make install" installs them only
# with ./configure --with-systemdsystemunitdir=DIR (the Debian package does),
# otherwise copy them by hand, see the comment at the top of each unit.
CONTRIB_UNITS = \
	contrib/systemd/smime-milter.service \
	contrib/systemd/smime-enroll-renew.service \
	contrib/systemd/smime-enroll-check.service
nodist_noinst_DATA = $(CONTRIB_UNITS)
CLEANFILES += $(CONTRIB_UNITS)
if INSTALL_SYSTEMD_UNITS
systemdsystemunit_DATA = $(CONTRIB_UNITS) \
	contrib/systemd/smime-enroll-renew.timer
endif
EXTRA_DIST += \
	README.md NEWS \
	contrib/quickstart \
	contrib/install-deps \
	contrib/configure-build \
	contrib/debian-packages \
	contrib/run-tests \
	contrib/postfix/main.cf.snippet \
	contrib/postfix/master.cf.snippet \
	contrib/sendmail/smime-milter.mc \
	contrib/systemd/smime-milter.service.in \
	contrib/systemd/smime-enroll-renew.service.in \
	contrib/systemd/smime-enroll-check.service.in \
	contrib/systemd/smime-enroll-renew.timer

contrib_edit = $(edit_paths)

$(CONTRIB_UNITS): Makefile
	$(AM_V_GEN)$(MKDIR_P) contrib/systemd && rm -f $@ $@.tmp && \
	$(contrib_edit) $(srcdir)/$@.in > $@.tmp && mv $@.tmp $@

contrib/systemd/smime-milter.service: $(srcdir)/contrib/systemd/smime-milter.service.in
contrib/systemd/smime-enroll-renew.service: $(srcdir)/contrib/systemd/smime-enroll-renew.service.in
contrib/systemd/smime-enroll-check.service: $(srcdir)/contrib/systemd/smime-enroll-check.service.in

contrib-units: $(CONTRIB_UNITS)
.PHONY: contrib-units

# The README's two commands in a fresh clone, in both orders (slow: four
# builds; not part of make check, CI runs the README order in .ci/run).
check-readme:
	top_srcdir=$(abs_top_srcdir) $(SHELL) $(top_srcdir)/test/readme.sh
.PHONY: check-readme

# The Debian package: build, lintian, install, sign/verify, purge.  Root
# only (it installs a package); CI runs it from .ci/run.
check-deb:
	top_srcdir=$(abs_top_srcdir) bash $(top_srcdir)/test/debian/package.sh
.PHONY: check-deb
