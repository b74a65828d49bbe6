/* unit.h - what every Check unit test under test/unit shares: one main()
 * (test/unit/unit.c) that runs the program's suite, and the temp-dir
 * helpers.  A test program defines unit_suite() and no main(). */
#ifndef TEST_UNIT_UNIT_H
#define TEST_UNIT_UNIT_H

#include <check.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* unit_suite - the program's suite, built by the test program; main()
 * runs it with Check's defaults (fork mode, CK_VERBOSITY, CK_RUN_CASE)
 * and exits 0 only when every test passed.  Called once, in main(). */
Suite	*unit_suite(void);

/* unit_tmpdir - make a fresh private (0700) directory under $TMPDIR (an
 * absolute path) or /tmp, named after the program; fails the running
 * test when it cannot.  Returns the path; unit_rmtmpdir() frees it. */
char	*unit_tmpdir(void);

/* unit_rmtmpdir - remove dir and everything below it (symbolic links are
 * removed, never followed), then free the string; fails the running test
 * when something cannot be removed.  dir may be NULL. */
void	 unit_rmtmpdir(char *dir);

/* unit_cert - a new self-signed certificate (CN "unit test") for key,
 * valid from..until days from now, with the extensions whose values
 * (OpenSSL config syntax) are not NULL: subjectAltName san, keyUsage ku,
 * extendedKeyUsage eku.  Fails the running test when it cannot. */
X509	*unit_cert(EVP_PKEY *key, long from, long until, const char *san,
	    const char *ku, const char *eku);

#endif /* TEST_UNIT_UNIT_H */
