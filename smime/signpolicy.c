/*
 * signpolicy.c - destination rules and the X-SMIME-Sign request
 * (signpolicy.h).
 */
#include <string.h>
#include <strings.h>

#include "smime/address.h"
#include "smime/signpolicy.h"

/* strcasecmp(pattern, pat[0..len)) as if pat ended there. */
static int
dest_cmp(const char *pattern, const char *pat, size_t len)
{
	int c = strncasecmp(pattern, pat, len);

	/* Equal over len octets: pattern has at least len of them. */
	if (c != 0)
		return c;
	return pattern[len] == '\0' ? 0 : 1;
}

/* Index of the first rule not below pat[0..len) (rules sorted). */
static size_t
dest_lower(const struct smime_dest_rule *rules, size_t n, const char *pat,
    size_t len)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (dest_cmp(rules[mid].dr_pattern, pat, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The rule whose pattern is exactly pat (len octets), any case. */
static const struct smime_dest_rule *
dest_find(const struct smime_dest_rule *rules, size_t n, const char *pat,
    size_t len)
{
	size_t i = dest_lower(rules, n, pat, len);

	return i < n && dest_cmp(rules[i].dr_pattern, pat, len) == 0 ?
	    &rules[i] : NULL;
}

/*
 * The rule for domain[0..dlen) (a trailing dot ignored): the domain's
 * own, else the nearest parent ".domain"; NULL when none.
 */
static const struct smime_dest_rule *
dest_domain(const struct smime_dest_rule *rules, size_t n, const char *domain,
    size_t dlen)
{
	const struct smime_dest_rule *found;
	const char *p;

	if (dlen > 0 && domain[dlen - 1] == '.')
		dlen--;
	found = dlen > 0 ? dest_find(rules, n, domain, dlen) : NULL;
	/* Parents, nearest first: "a.b.example" tries ".b.example" and
	 * ".example" (a "." rule is no domain: never written). */
	for (p = domain; found == NULL && p < domain + dlen; p++)
		if (*p == '.' && p + 1 < domain + dlen)
			found = dest_find(rules, n, p,
			    dlen - (size_t)(p - domain));
	return found;
}

/* Octets that route inside a local part (percent hack, bang path, and
 * an '@' inside a quoted local part: Postfix resolve_dequoted_address,
 * on by default, resolves "user@other"@domain like user@other@domain)
 * and the quoting around them. */
#define DEST_ROUTE_CHARS	"%!@"
#define DEST_ROUTE_SPLIT	"%!\"@"

enum smime_dest_action
smime_dest_lookup(const struct smime_dest_rule *rules, size_t n,
    const char *address, const struct smime_dest_rule **rule)
{
	const struct smime_dest_rule *found = NULL, *inner;
	enum smime_dest_action action;
	const char *domain, *p;
	size_t i, alen, len;

	if (rule != NULL)
		*rule = NULL;
	if (address == NULL)
		return SMIME_DEST_SIGN;
	/* Addresses equal under smime_address_equal() are equal ignoring
	 * case, so they lie in the run of case-insensitive equals. */
	alen = strlen(address);
	for (i = dest_lower(rules, n, address, alen); found == NULL && i < n &&
	    dest_cmp(rules[i].dr_pattern, address, alen) == 0; i++)
		if (strchr(rules[i].dr_pattern, '@') != NULL &&
		    smime_address_equal(rules[i].dr_pattern, address))
			found = &rules[i];
	domain = strrchr(address, '@');
	if (found == NULL && domain != NULL)
		found = dest_domain(rules, n, domain + 1, strlen(domain + 1));
	action = found != NULL ? found->dr_action : SMIME_DEST_SIGN;
	/*
	 * Routing in the local part: an MTA final for the domain relays
	 * "user%other@domain", "other!user@domain" and
	 * "\"user@other\"@domain" to other (Postfix allow_percent_hack,
	 * swap_bangpath, resolve_dequoted_address).  We cannot know whether it
	 * will, so such a recipient never skips, and every name in the
	 * local part is looked up as a domain too (the strictest wins).
	 */
	if (domain != NULL && strcspn(address, DEST_ROUTE_CHARS) <
	    (size_t)(domain - address)) {
		if (action < SMIME_DEST_SIGN) {
			action = SMIME_DEST_SIGN;
			found = NULL;
		}
		for (p = address; p < domain; p += len + 1) {
			len = strcspn(p, DEST_ROUTE_SPLIT);
			if (p + len > domain)
				len = (size_t)(domain - p);
			if ((inner = dest_domain(rules, n, p, len)) != NULL &&
			    inner->dr_action > action) {
				action = inner->dr_action;
				found = inner;
			}
		}
	}
	if (rule != NULL)
		*rule = found;
	return action;
}

enum smime_dest_action
smime_dest_combine(enum smime_dest_action a, enum smime_dest_action b)
{
	return a > b ? a : b;
}

static bool
signreq_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

enum smime_signreq
smime_signreq_parse(const char *value)
{
	const char *end;
	size_t len;

	if (value == NULL)
		return SMIME_SIGNREQ_INVALID;
	while (signreq_blank(*value))
		value++;
	end = value + strlen(value);
	while (end > value && signreq_blank(end[-1]))
		end--;
	len = (size_t)(end - value);
	if (len == 2 && strncasecmp(value, "no", 2) == 0)
		return SMIME_SIGNREQ_NO;
	if (len == 3 && strncasecmp(value, "yes", 3) == 0)
		return SMIME_SIGNREQ_YES;
	return SMIME_SIGNREQ_INVALID;
}

bool
smime_signreq_is_field(const char *name)
{
	size_t len = strlen(SMIME_SIGNREQ_NAME);

	if (strncasecmp(name, SMIME_SIGNREQ_NAME, len) != 0)
		return false;
	for (name += len; *name == ' ' || *name == '\t'; name++)
		;
	return *name == '\0';
}
