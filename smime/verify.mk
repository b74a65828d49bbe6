# verify: file list owned by the verify work
smime_libsmime_a_SOURCES += smime/address.h smime/address.c
