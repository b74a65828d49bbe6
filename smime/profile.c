/*
 * profile.c - validation of the campaign certificate profile and the
 * UTF-8 subject DN and extensions built from it.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/x509v3.h>

#include "smime/profile.h"
#include "smime/utf8.h"

/* Official names (kanji) and romaji of the 47 prefectures. */
static const struct {
	const char	*pref_kanji;
	const char	*pref_romaji;
} smime_prefectures[] = {
	{ "北海道", "hokkaido" }, { "青森県", "aomori" },
	{ "岩手県", "iwate" }, { "宮城県", "miyagi" },
	{ "秋田県", "akita" }, { "山形県", "yamagata" },
	{ "福島県", "fukushima" }, { "茨城県", "ibaraki" },
	{ "栃木県", "tochigi" }, { "群馬県", "gunma" },
	{ "埼玉県", "saitama" }, { "千葉県", "chiba" },
	{ "東京都", "tokyo" }, { "神奈川県", "kanagawa" },
	{ "新潟県", "niigata" }, { "富山県", "toyama" },
	{ "石川県", "ishikawa" }, { "福井県", "fukui" },
	{ "山梨県", "yamanashi" }, { "長野県", "nagano" },
	{ "岐阜県", "gifu" }, { "静岡県", "shizuoka" },
	{ "愛知県", "aichi" }, { "三重県", "mie" },
	{ "滋賀県", "shiga" }, { "京都府", "kyoto" },
	{ "大阪府", "osaka" }, { "兵庫県", "hyogo" },
	{ "奈良県", "nara" }, { "和歌山県", "wakayama" },
	{ "鳥取県", "tottori" }, { "島根県", "shimane" },
	{ "岡山県", "okayama" }, { "広島県", "hiroshima" },
	{ "山口県", "yamaguchi" }, { "徳島県", "tokushima" },
	{ "香川県", "kagawa" }, { "愛媛県", "ehime" },
	{ "高知県", "kochi" }, { "福岡県", "fukuoka" },
	{ "佐賀県", "saga" }, { "長崎県", "nagasaki" },
	{ "熊本県", "kumamoto" }, { "大分県", "oita" },
	{ "宮崎県", "miyazaki" }, { "鹿児島県", "kagoshima" },
	{ "沖縄県", "okinawa" },
};

#define SMIME_NPREFECTURES \
	(sizeof(smime_prefectures) / sizeof(smime_prefectures[0]))

/* Room for a 128-character romaji name after normalisation. */
#define SMIME_ROMAJI_MAX 160

/* Append "; "-separated text to err (first message replaces). */
static void
smime_profile_add(struct smime_err *err, bool *first, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
smime_profile_add(struct smime_err *err, bool *first, const char *fmt, ...)
{
	va_list ap;
	size_t used;

	if (err == NULL)
		return;
	if (*first)
		err->err_text[0] = '\0';
	used = strlen(err->err_text);
	if (!*first && used + 2 < sizeof(err->err_text)) {
		memcpy(err->err_text + used, "; ", 3);
		used += 2;
	}
	*first = false;
	va_start(ap, fmt);
	vsnprintf(err->err_text + used, sizeof(err->err_text) - used, fmt, ap);
	va_end(ap);
}

/*
 * Check one DN field: present when required, valid UTF-8, no control
 * characters, at most maxchars characters.  Returns true when fine;
 * otherwise appends the reason to err.
 */
static bool
smime_profile_field(const char *name, const char *value, bool required,
    size_t maxchars, struct smime_err *err, bool *first)
{
	const unsigned char *s = (const unsigned char *)value;
	size_t len, pos, n, nchars;
	unsigned long cp;

	if (value == NULL || value[0] == '\0') {
		if (required)
			smime_profile_add(err, first, "%s: required", name);
		return !required;
	}
	len = strlen(value);
	nchars = 0;
	for (pos = 0; pos < len; pos += n) {
		n = smime_utf8_decode(s + pos, len - pos, &cp);
		if (n == 0) {
			smime_profile_add(err, first,
			    "%s: not valid UTF-8 at byte %zu", name, pos + 1);
			return false;
		}
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)) {
			smime_profile_add(err, first,
			    "%s: control character U+%04lX at character %zu",
			    name, cp, nchars + 1);
			return false;
		}
		nchars++;
	}
	if (isspace(s[0]) || isspace(s[len - 1])) {
		smime_profile_add(err, first,
		    "%s: leading or trailing white space", name);
		return false;
	}
	if (nchars > maxchars) {
		smime_profile_add(err, first,
		    "%s: %zu characters, RFC 5280 allows at most %zu",
		    name, nchars, maxchars);
		return false;
	}
	return true;
}

/* RFC 5322 atext, minus '/' which would escape the store directory. */
static bool
smime_is_atext(int c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-=?^_`{|}~", c)
	    != NULL);
}

smime_status
smime_profile_check_email(const char *addr, struct smime_err *err)
{
	const char *at, *p, *label;
	smime_status ret = SMIME_SYNTAX;

	if (addr == NULL || addr[0] == '\0') {
		smime_err_set(err, "email: required");
		goto out;
	}
	at = strrchr(addr, '@');
	if (at == NULL || at == addr || at[1] == '\0') {
		smime_err_set(err, "email: \"%s\" is not local@domain", addr);
		goto out;
	}
	if (at - addr > 64 || strlen(addr) > 254) {
		smime_err_set(err, "email: \"%s\" is too long (local part 64, "
		    "address 254 characters at most)", addr);
		goto out;
	}
	for (p = addr; p < at; p++) {
		if (*p == '.' && (p == addr || p[1] == '.' || p + 1 == at)) {
			smime_err_set(err, "email: misplaced '.' in local part "
			    "of \"%s\"", addr);
			goto out;
		}
		if (*p != '.' && !smime_is_atext((unsigned char)*p)) {
			smime_err_set(err, "email: character '%c' not allowed "
			    "in local part of \"%s\"", isprint((unsigned char)*p)
			    ? *p : '?', addr);
			goto out;
		}
	}
	if (strchr(at + 1, '.') == NULL) {
		smime_err_set(err, "email: domain of \"%s\" has no dot", addr);
		goto out;
	}
	for (label = p = at + 1; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (p == label || p - label > 63 || label[0] == '-' ||
			    p[-1] == '-') {
				smime_err_set(err, "email: bad domain label in "
				    "\"%s\"", addr);
				goto out;
			}
			if (*p == '\0')
				break;
			label = p + 1;
		} else if (!isalnum((unsigned char)*p) && *p != '-') {
			smime_err_set(err, "email: character '%c' not allowed "
			    "in domain of \"%s\"", isprint((unsigned char)*p)
			    ? *p : '?', addr);
			goto out;
		}
	}
	ret = SMIME_OK;
out:
	return ret;
}

/*
 * Lower-case st into buf, map ō/ū (and capitals) to o/u and drop a
 * "-to"/"-fu"/"-ken"/" prefecture" suffix.  False when st does not fit.
 */
static bool
smime_romaji_normalize(const char *st, char *buf, size_t buflen)
{
	static const char *const suffixes[] = { "-to", " to", "-fu", " fu",
	    "-ken", " ken", " prefecture", " metropolis" };
	const unsigned char *s = (const unsigned char *)st;
	size_t o = 0, i, n, slen;

	while (*s != '\0') {
		if (o + 1 >= buflen)
			return false;
		if (s[0] == 0xc5 && (s[1] == 0x8c || s[1] == 0x8d)) {
			buf[o++] = 'o';	/* Ō ō */
			s += 2;
		} else if (s[0] == 0xc5 && (s[1] == 0xaa || s[1] == 0xab)) {
			buf[o++] = 'u';	/* Ū ū */
			s += 2;
		} else
			buf[o++] = (char)tolower(*s++);
	}
	buf[o] = '\0';
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		n = strlen(suffixes[i]);
		slen = strlen(buf);
		if (slen > n && strcmp(buf + slen - n, suffixes[i]) == 0) {
			buf[slen - n] = '\0';
			break;
		}
	}
	return true;
}

bool
smime_profile_is_prefecture(const char *st)
{
	char norm[SMIME_ROMAJI_MAX];
	size_t i;
	bool romaji;

	if (st == NULL)
		return false;
	romaji = smime_romaji_normalize(st, norm, sizeof(norm));
	for (i = 0; i < SMIME_NPREFECTURES; i++) {
		if (strcmp(st, smime_prefectures[i].pref_kanji) == 0)
			return true;
		if (romaji && strcmp(norm, smime_prefectures[i].pref_romaji)
		    == 0)
			return true;
	}
	return false;
}

smime_status
smime_profile_check(const struct smime_profile *p,
    smime_profile_warn_fn *warn, void *warnarg, struct smime_err *err)
{
	struct smime_err eerr;
	char msg[SMIME_ERR_MAX];
	bool first = true, ok = true, c_ok;

	smime_err_clear(err);
	/* RFC 5280 Appendix A upper bounds, in characters. */
	ok &= smime_profile_field("CN", p->pr_cn, true, 64, err, &first);
	ok &= smime_profile_field("O", p->pr_o, true, 64, err, &first);
	ok &= smime_profile_field("OU", p->pr_ou, false, 64, err, &first);
	ok &= smime_profile_field("L", p->pr_l, false, 128, err, &first);
	c_ok = p->pr_c != NULL && strlen(p->pr_c) == 2 &&
	    isupper((unsigned char)p->pr_c[0]) && p->pr_c[0] < 0x7f &&
	    isupper((unsigned char)p->pr_c[1]) && p->pr_c[1] < 0x7f;
	if (p->pr_c == NULL || p->pr_c[0] == '\0') {
		smime_profile_add(err, &first, "C: required");
		ok = false;
	} else if (!c_ok) {
		smime_profile_add(err, &first, "C: must be two upper-case "
		    "letters (ISO 3166), got \"%.16s\"", p->pr_c);
		ok = false;
	}
	if (!smime_profile_field("ST", p->pr_st, c_ok &&
	    strcmp(p->pr_c, "JP") == 0, 128, err, &first))
		ok = false;
	else if (c_ok && strcmp(p->pr_c, "JP") == 0 && warn != NULL &&
	    !smime_profile_is_prefecture(p->pr_st)) {
		snprintf(msg, sizeof(msg), "ST: \"%s\" is not one of the 47 "
		    "prefectures (e.g. 東京都 or Tokyo)", p->pr_st);
		warn(warnarg, msg);
	}
	if (smime_profile_check_email(p->pr_email, &eerr) != SMIME_OK) {
		smime_profile_add(err, &first, "%s", smime_err_get0(&eerr));
		ok = false;
	}
	return ok ? SMIME_OK : SMIME_SYNTAX;
}

/* Add one entry of the given ASN.1 string type; false on failure. */
static bool
smime_name_add(X509_NAME *name, int nid, int type, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return true;
	return X509_NAME_add_entry_by_NID(name, nid, type,
	    (const unsigned char *)value, -1, -1, 0) == 1;
}

smime_status
smime_profile_name(const struct smime_profile *p, X509_NAME **out,
    struct smime_err *err)
{
	X509_NAME *name = NULL;
	smime_status ret = SMIME_INTERNAL;

	*out = NULL;
	if ((name = X509_NAME_new()) == NULL) {
		ret = SMIME_NORESOURCE;
		smime_err_openssl(err, "X509_NAME_new");
		goto out;
	}
	/*
	 * Explicit string types rather than MBSTRING_UTF8: the latter
	 * follows the process-wide mask (ASN1_STRING_set_default_mask),
	 * which any other code in the process may change.  C is a
	 * PrintableString and emailAddress an IA5String by definition.
	 */
	if (!smime_name_add(name, NID_countryName, V_ASN1_PRINTABLESTRING,
	    p->pr_c) ||
	    !smime_name_add(name, NID_stateOrProvinceName, V_ASN1_UTF8STRING,
	    p->pr_st) ||
	    !smime_name_add(name, NID_localityName, V_ASN1_UTF8STRING,
	    p->pr_l) ||
	    !smime_name_add(name, NID_organizationName, V_ASN1_UTF8STRING,
	    p->pr_o) ||
	    !smime_name_add(name, NID_organizationalUnitName,
	    V_ASN1_UTF8STRING, p->pr_ou) ||
	    !smime_name_add(name, NID_commonName, V_ASN1_UTF8STRING,
	    p->pr_cn) ||
	    (p->pr_dn_email && !smime_name_add(name, NID_pkcs9_emailAddress,
	    V_ASN1_IA5STRING, p->pr_email))) {
		smime_err_openssl(err, "cannot build subject name");
		goto out;
	}
	*out = name;
	name = NULL;
	ret = SMIME_OK;
out:
	X509_NAME_free(name);
	return ret;
}

/* Append one extension built from its config text; false on failure. */
static bool
smime_ext_add(STACK_OF(X509_EXTENSION) *exts, int nid, const char *value)
{
	X509_EXTENSION *ext;

	if ((ext = X509V3_EXT_conf_nid(NULL, NULL, nid, value)) == NULL)
		return false;
	if (!sk_X509_EXTENSION_push(exts, ext)) {
		X509_EXTENSION_free(ext);
		return false;
	}
	return true;
}

smime_status
smime_profile_extensions(const struct smime_profile *p,
    bool key_encipherment, STACK_OF(X509_EXTENSION) **out,
    struct smime_err *err)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	char san[300];
	smime_status ret = SMIME_INTERNAL;

	*out = NULL;
	/* The address was checked: no ',' that could inject a second name. */
	if (strchr(p->pr_email, ',') != NULL ||
	    (size_t)snprintf(san, sizeof(san), "email:%s", p->pr_email) >=
	    sizeof(san)) {
		ret = SMIME_SYNTAX;
		smime_err_set(err, "email: unusable address \"%s\"",
		    p->pr_email);
		goto out;
	}
	if ((exts = sk_X509_EXTENSION_new_null()) == NULL ||
	    !smime_ext_add(exts, NID_subject_alt_name, san) ||
	    !smime_ext_add(exts, NID_key_usage, key_encipherment ?
	    "critical,digitalSignature,nonRepudiation,keyEncipherment" :
	    "critical,digitalSignature,nonRepudiation") ||
	    !smime_ext_add(exts, NID_ext_key_usage, "emailProtection")) {
		smime_err_openssl(err, "cannot build request extensions");
		goto out;
	}
	*out = exts;
	exts = NULL;
	ret = SMIME_OK;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return ret;
}
