# test/pkcs11: identity keys on a PKCS#11 token (SoftHSM2; skipped with
# exit 77 only when softhsm2 is not installed).
PKCS11_TESTS = test/pkcs11/daemon.sh
TESTS += $(PKCS11_TESTS)
EXTRA_DIST += test/pkcs11/common.sh $(PKCS11_TESTS)
