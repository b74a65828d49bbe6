# conf/: libconfig schema -> struct smime_conf
noinst_LIBRARIES += conf/libsmimeconf.a
conf_libsmimeconf_a_SOURCES = conf/conf.h
