# conf/: libconfig schema -> struct smime_conf
noinst_LIBRARIES += conf/libsmimeconf.a
conf_libsmimeconf_a_SOURCES = conf/conf.h conf/conf-int.h conf/conf.c \
	conf/net.c conf/special.c conf/print.c conf/identities.c \
	conf/hpconf.c conf/destconf.c

# The sample config is installed only when none is there: an upgrade must
# never overwrite the administrator's file.
EXTRA_DIST += conf/smime-milter.conf

install-data-local: install-conf-sample
install-conf-sample:
	$(MKDIR_P) '$(DESTDIR)$(sysconfdir)'
	@if test -f '$(DESTDIR)$(sysconfdir)/smime-milter.conf'; then \
		echo "keeping existing $(DESTDIR)$(sysconfdir)/smime-milter.conf"; \
	else \
		echo " $(INSTALL_DATA) conf/smime-milter.conf '$(DESTDIR)$(sysconfdir)/smime-milter.conf'"; \
		$(INSTALL_DATA) '$(srcdir)/conf/smime-milter.conf' '$(DESTDIR)$(sysconfdir)/smime-milter.conf'; \
	fi

# Remove the installed file only when it is still the unmodified sample.
uninstall-local: uninstall-conf-sample
uninstall-conf-sample:
	@if cmp -s '$(srcdir)/conf/smime-milter.conf' '$(DESTDIR)$(sysconfdir)/smime-milter.conf'; then \
		rm -f '$(DESTDIR)$(sysconfdir)/smime-milter.conf'; \
	fi
.PHONY: install-conf-sample uninstall-conf-sample
