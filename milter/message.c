/*
 * message.c - per-message policy: decide whether a message is signed,
 * verified or left alone, run the library, and map its status to a
 * verdict with exactly one log line.  No libmilter here, so test mode runs
 * the very same code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "milter/metrics.h"
#include "milter/smf.h"
#include "smime/address.h"
#include "smime/sign.h"

/* Microseconds of CLOCK_MONOTONIC, for the signing/verifying time. */
static uint64_t
smf_msg_clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

struct smf_msg *
smf_msg_new(struct smf_runtime *rt, const char *client_addr)
{
	struct smf_msg *msg;
	const struct smime_conf *conf = rt->rt_conf;

	if ((msg = calloc(1, sizeof(*msg))) == NULL)
		return NULL;
	msg->msg_rt = rt;
	msg->msg_outcome = SMF_OUTCOME_NONE;
	msg->msg_result = -1;
	clock_gettime(CLOCK_MONOTONIC, &msg->msg_start);
	msg->msg_dest = SMIME_DEST_SKIP;	/* the identity of combine() */
	snprintf(msg->msg_qid, sizeof(msg->msg_qid), "%s", SMF_NOQUEUE);
	smime_headers_init(&msg->msg_headers);
	smime_edits_init(&msg->msg_edits);
	smime_forged_init(&msg->msg_forged);
	if (client_addr != NULL && *client_addr != '\0' &&
	    (msg->msg_client_addr = strdup(client_addr)) == NULL)
		goto fail;
	msg->msg_body = smime_spool_new(conf->cf_spool_memory, conf->cf_tmpdir);
	if (msg->msg_body == NULL)
		goto fail;
	return msg;
fail:
	smf_msg_free(msg);
	return NULL;
}

void
smf_msg_free(struct smf_msg *msg)
{
	if (msg == NULL)
		return;
	free(msg->msg_client_addr);
	free(msg->msg_authuser);
	smime_headers_clear(&msg->msg_headers);
	smime_spool_free(msg->msg_body);
	smime_edits_clear(&msg->msg_edits);
	smime_forged_clear(&msg->msg_forged);
	free(msg);
}

void
smf_msg_set_qid(struct smf_msg *msg, const char *qid)
{
	if (qid != NULL && *qid != '\0')
		snprintf(msg->msg_qid, sizeof(msg->msg_qid), "%s", qid);
}

enum smf_verdict
smf_msg_envfrom(struct smf_msg *msg, const char *authuser)
{
	free(msg->msg_authuser);
	msg->msg_authuser = NULL;
	if (authuser != NULL && *authuser != '\0' &&
	    (msg->msg_authuser = strdup(authuser)) == NULL)
		return SMF_TEMPFAIL;
	return SMF_CONTINUE;
}

/*
 * The address of a RCPT argument, through the one address parser
 * (smime/address.c); a domain's trailing dot ("<a@example.net.>", which
 * MTAs route like the name without it) is dropped first.  SMIME_OK with
 * *out set, or the parser's status.
 */
static smime_status
smf_rcpt_address(const char *rcpt, char **out)
{
	struct smime_err err;
	char *copy, *p;
	smime_status st;

	*out = NULL;
	if ((copy = strdup(rcpt)) == NULL)
		return SMIME_NORESOURCE;
	p = strrchr(copy, '>');
	if (p == NULL)
		p = copy + strlen(copy);
	if (p > copy && p[-1] == '.' && strchr(copy, '@') != NULL)
		memmove(p - 1, p, strlen(p) + 1);
	st = smime_address_from_header(copy, out, &err);
	free(copy);
	return st;
}

enum smf_verdict
smf_msg_rcpt(struct smf_msg *msg, const char *rcpt)
{
	const struct smime_conf *conf = msg->msg_rt->rt_conf;
	const struct smime_dest_rule *rule;
	enum smime_dest_action action;
	char *address = NULL;
	smime_status st;

	msg->msg_nrcpt++;
	st = rcpt != NULL ? smf_rcpt_address(rcpt, &address) : SMIME_SYNTAX;
	if (st == SMIME_NORESOURCE) {
		msg->msg_rcpt_failed = true;
		return SMF_CONTINUE;
	}
	/* Unparsable ("<postmaster>"): no rule can name it, so "sign". */
	action = smime_dest_lookup(conf->cf_sign_dests, conf->cf_sign_ndests,
	    address, &rule);
	if (conf->cf_sign_ndests > 0)
		smf_log(LOG_DEBUG, msg->msg_qid, "recipient %s: %s (%s)",
		    rcpt != NULL ? rcpt : "(none)",
		    smime_dest_action_name(action), rule != NULL ?
		    rule->dr_pattern : "no rule");
	if (msg->msg_nrcpt == 1 || action > msg->msg_dest)
		snprintf(msg->msg_dest_rcpt, sizeof(msg->msg_dest_rcpt), "%s",
		    address != NULL ? address : rcpt != NULL ? rcpt : "");
	msg->msg_dest = smime_dest_combine(msg->msg_dest, action);
	free(address);
	return SMF_CONTINUE;
}

/* Account for an X-SMIME-Sign field (every one is removed at eom). */
static void
smf_msg_signreq(struct smf_msg *msg, const char *value)
{
	bool no = smime_signreq_parse(value) == SMIME_SIGNREQ_NO;

	msg->msg_signreq_no = no && (msg->msg_signreq_count == 0 ||
	    msg->msg_signreq_no);
	msg->msg_signreq_count++;
}

enum smf_verdict
smf_msg_header(struct smf_msg *msg, const char *name, const char *value)
{
	const struct smime_conf *conf = msg->msg_rt->rt_conf;
	size_t limit = conf->cf_max_header_bytes, nlen, voff;
	char *trimmed = NULL;
	enum smf_verdict ret = SMF_CONTINUE;

	/*
	 * Every field is examined for forged results as it arrives, stored
	 * or not (over max_header_bytes), so that its position is known at
	 * eom whatever path the message takes.  A field we cannot record
	 * must not get through: temp-fail.
	 */
	if (smime_forged_see(&msg->msg_forged, name, value,
	    conf->cf_authserv_id, conf->cf_remove_ar_all) != SMIME_OK) {
		smf_log(LOG_ERR, msg->msg_qid, "out of memory recording "
		    "header positions");
		msg->msg_hdr_failed = true;
		return SMF_TEMPFAIL;
	}
	/* Counted whether stored or not: removal must not miss one. */
	if (smime_signreq_is_field(name))
		smf_msg_signreq(msg, value);
	if (msg->msg_oversize)
		return SMF_CONTINUE;
	if (msg->msg_headers.hs_bytes + strlen(name) + strlen(value) > limit) {
		/* Keep going: the decision is made (and logged) at eom. */
		msg->msg_oversize = true;
		return SMF_CONTINUE;
	}
	/*
	 * The name as smime_header_split() (and so -t) takes it: an MTA
	 * that passes the blanks before the colon ("Subject :") gets them
	 * dropped.  A name the splitter would not accept (8-bit bytes, as
	 * some MTAs pass) is kept as the MTA saw it: it is in the header.
	 */
	nlen = strlen(name);
	if (nlen > 0 && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t') &&
	    (trimmed = malloc(nlen + 2)) != NULL) {
		snprintf(trimmed, nlen + 2, "%s:", name);
		if ((nlen = smime_header_split(trimmed, nlen + 1, &voff)) > 0) {
			trimmed[nlen] = '\0';
			name = trimmed;
		}
	}
	if (smime_headers_add(&msg->msg_headers, name, value) != SMIME_OK) {
		smf_log(LOG_ERR, msg->msg_qid, "out of memory storing header");
		msg->msg_hdr_failed = true;
		ret = SMF_TEMPFAIL;
	}
	free(trimmed);
	return ret;
}

enum smf_verdict
smf_msg_body(struct smf_msg *msg, const void *data, size_t len)
{
	struct smime_err err;

	msg->msg_body_bytes += len;
	if (msg->msg_body_failed)
		return SMF_CONTINUE;
	smime_err_clear(&err);
	if (smime_spool_write(msg->msg_body, data, len, &err) != SMIME_OK) {
		smf_log(LOG_ERR, msg->msg_qid, "cannot spool body: %s",
		    smime_err_get0(&err));
		msg->msg_body_failed = true;
	}
	return SMF_CONTINUE;
}

/*
 * True for a failure that the same input will always meet: MIME that
 * cannot be parsed or re-encoded, over the configured limits.  Such mail
 * would only be retried for days and then bounce.
 */
static bool
smf_status_is_permanent(smime_status status)
{
	return status == SMIME_SYNTAX || status == SMIME_UNSUPPORTED ||
	    status == SMIME_LIMIT;
}

/*
 * Copy detail into the reply buffer dst (size n) as SMTP reply text:
 * printable ASCII only, '%' replaced (libmilter formats the text).
 */
static void
smf_reply_text(char *dst, size_t n, const char *detail)
{
	size_t i;

	for (i = 0; i + 1 < n && detail[i] != '\0'; i++)
		dst[i] = detail[i] >= ' ' && detail[i] <= '~' &&
		    detail[i] != '%' ? detail[i] : '?';
	if (n > 0)
		dst[i] = '\0';
}

/*
 * Map a library failure to a verdict, with one log line naming the queue
 * id, the operation and the reason: permanent ones (see
 * smf_status_is_permanent()) to on_permanent_error, with the reason in
 * the reply, the others to on_error.
 */
static enum smf_verdict
smf_msg_libstatus(struct smf_msg *msg, const char *op, smime_status status,
    const struct smime_err *err)
{
	const struct smime_conf *conf = msg->msg_rt->rt_conf;
	bool permanent = smf_status_is_permanent(status);
	enum conf_action action = permanent ? conf->cf_on_permanent_error :
	    conf->cf_on_error;
	const char *detail = smime_err_get0(err);
	char text[160];
	int n;

	smf_log(LOG_ERR, msg->msg_qid, "%s failed: %s%s%s; %s=%s", op,
	    smime_strerror(status), *detail != '\0' ? ": " : "", detail,
	    permanent ? "on_permanent_error" : "on_error",
	    conf_action_name(action));
	smf_msg_note(msg, action == CONF_ACTION_ACCEPT ?
	    SMF_OUTCOME_ERROR_ACCEPTED : action == CONF_ACTION_REJECT ?
	    SMF_OUTCOME_REJECTED : SMF_OUTCOME_TEMPFAILED,
	    smf_reason_of_status(status), *detail != '\0' ? detail :
	    smime_strerror(status));
	switch (action) {
	case CONF_ACTION_ACCEPT:
		return SMF_ACCEPT;
	case CONF_ACTION_REJECT:
		if (!permanent) {
			snprintf(msg->msg_reply, sizeof(msg->msg_reply),
			    "5.7.0 S/MIME %s failed", op);
			return SMF_REJECT;
		}
		n = snprintf(msg->msg_reply, sizeof(msg->msg_reply),
		    "%s S/MIME %s impossible: ", status == SMIME_LIMIT ?
		    "5.3.4" : "5.6.0", op);
		smf_reply_text(text, sizeof(text), *detail != '\0' ? detail :
		    smime_strerror(status));
		if (n > 0 && (size_t)n < sizeof(msg->msg_reply))
			snprintf(msg->msg_reply + n, sizeof(msg->msg_reply) -
			    (size_t)n, "%s", text);
		return SMF_REJECT;
	case CONF_ACTION_TEMPFAIL:
	default:
		snprintf(msg->msg_reply, sizeof(msg->msg_reply),
		    "4.7.0 S/MIME %s temporarily unavailable", op);
		return SMF_TEMPFAIL;
	}
}

/* True when the client may submit mail for signing at all. */
static bool
smf_msg_is_submission(const struct smf_msg *msg)
{
	return msg->msg_authuser != NULL || (msg->msg_client_addr != NULL &&
	    conf_host_is_internal(msg->msg_rt->rt_conf, msg->msg_client_addr));
}

/*
 * Find the address signing would be for: the single mailbox of the single
 * From field, and every Sender field (RFC 5322 allows one, readers show
 * any) naming that address.  NULL with a reason in why when there is
 * none; the caller frees the result.
 */
static char *
smf_msg_signing_address(const struct smf_msg *msg, const char **why)
{
	const struct smime_headers *hs = &msg->msg_headers;
	char *from = NULL, *sender = NULL;
	const char *value;
	struct smime_err err;
	size_t i;

	*why = NULL;
	if (smime_headers_count(hs, "From") != 1) {
		*why = "message does not have exactly one From field";
		return NULL;
	}
	value = smime_headers_get0(hs, "From", 0);
	if (smime_address_from_header(value, &from, &err) != SMIME_OK) {
		*why = "From is not a single mailbox";
		return NULL;
	}
	/* Readers may show any of several Sender fields: check them all. */
	for (i = 0; (value = smime_headers_get0(hs, "Sender", i)) != NULL;
	    i++) {
		if (smime_address_from_header(value, &sender, &err) != SMIME_OK ||
		    !smime_address_equal(sender, from)) {
			*why = "Sender differs from From";
			free(from);
			from = NULL;
		}
		free(sender);
		sender = NULL;
		if (from == NULL)
			break;
	}
	return from;
}

/* Refuse a sender not allowed to use the identity, per sign.unauthorized. */
static enum smf_verdict
smf_msg_unauthorized(struct smf_msg *msg, const char *address)
{
	const struct smime_conf *conf = msg->msg_rt->rt_conf;
	char detail[256];

	snprintf(detail, sizeof(detail), "login %s may not sign as %s",
	    msg->msg_authuser != NULL ? msg->msg_authuser : "(none)", address);
	smf_msg_note(msg, conf->cf_sign_unauthorized == CONF_ACTION_REJECT ?
	    SMF_OUTCOME_REJECTED : SMF_OUTCOME_SKIPPED,
	    SMF_REASON_UNAUTHORIZED, detail);
	smf_log(LOG_WARNING, msg->msg_qid, "login %s (client %s) is not "
	    "allowed to sign as %s; not signed, action=%s",
	    msg->msg_authuser != NULL ? msg->msg_authuser : "(none)",
	    msg->msg_client_addr != NULL ? msg->msg_client_addr : "unknown",
	    address, conf_action_name(conf->cf_sign_unauthorized));
	if (conf->cf_sign_unauthorized == CONF_ACTION_REJECT) {
		snprintf(msg->msg_reply, sizeof(msg->msg_reply),
		    "5.7.1 not authorized to send as %s", address);
		return SMF_REJECT;
	}
	return SMF_ACCEPT;
}

static void
smf_msg_sign_opts(const struct smime_conf *conf, struct smime_sign_opts *so)
{
	memset(so, 0, sizeof(*so));
	so->so_digest = conf->cf_sign_digest;
	so->so_include_chain = conf->cf_sign_include_chain;
	so->so_rsa_pss = conf->cf_sign_rsa_pss;
	so->so_tmpdir = conf->cf_tmpdir;
	so->so_spool_memory = conf->cf_spool_memory;
	so->so_max_depth = conf->cf_max_mime_depth;
	so->so_max_parts = conf->cf_max_mime_parts;
	so->so_header_protection = conf->cf_sign_header_protection;
	so->so_hp_fields = conf->cf_sign_hp_fields;
	so->so_hp_nfields = conf->cf_sign_hp_nfields;
}

/*
 * The signing policy for a message the submitter may sign: skip when an
 * SMTP AUTH login (authorized for the identity: the caller checked)
 * asked with X-SMIME-Sign: no, or when every envelope recipient's
 * destination rule says skip; else sign or opaque.  A request from a
 * client without a login (internal_hosts) or one that is not "no" is
 * ignored, and logged.
 */
static enum smime_dest_action
smf_msg_policy(struct smf_msg *msg)
{
	if (msg->msg_signreq_count > 0) {
		if (msg->msg_signreq_no && msg->msg_authuser != NULL) {
			smf_log(LOG_INFO, msg->msg_qid, "not signed: login %s "
			    "asked with %s: no", msg->msg_authuser,
			    SMIME_SIGNREQ_NAME);
			smf_msg_note(msg, SMF_OUTCOME_SKIPPED,
			    SMF_REASON_REQUESTED, NULL);
			return SMIME_DEST_SKIP;
		}
		smf_log(LOG_NOTICE, msg->msg_qid, "%s ignored: %s; "
		    "destination policy applies", SMIME_SIGNREQ_NAME,
		    msg->msg_authuser == NULL ? "no SMTP AUTH login" :
		    "not every field reads \"no\"");
	}
	if (msg->msg_nrcpt == 0)
		return SMIME_DEST_SIGN;
	if (msg->msg_dest == SMIME_DEST_SKIP) {
		smf_log(LOG_INFO, msg->msg_qid, "not signed: destination "
		    "policy is skip for all %zu recipient(s)", msg->msg_nrcpt);
		smf_msg_note(msg, SMF_OUTCOME_SKIPPED, SMF_REASON_POLICY,
		    NULL);
	}
	return msg->msg_dest;
}

/*
 * Sign with the identity of the From address when the submitter may use
 * it.  *signed_out tells the caller whether edits now hold a signature.
 */
static enum smf_verdict
smf_msg_sign(struct smf_msg *msg, bool *signed_out)
{
	const struct smime_conf *conf = msg->msg_rt->rt_conf;
	const struct smime_identity *id;
	struct smime_sign_opts so;
	struct smime_err err;
	enum smf_verdict verdict = SMF_ACCEPT;
	enum smime_dest_action action;
	smime_status status;
	const char *why;
	char *address;
	uint64_t t0;

	*signed_out = false;
	if ((address = smf_msg_signing_address(msg, &why)) == NULL) {
		smf_log(LOG_INFO, msg->msg_qid, "not signed: %s", why);
		smf_msg_note(msg, SMF_OUTCOME_SKIPPED, SMF_REASON_NO_FROM, why);
		return SMF_ACCEPT;
	}
	if ((id = smime_idstore_find(msg->msg_rt->rt_ids, address)) == NULL) {
		smf_log(LOG_INFO, msg->msg_qid, "not signed: no identity "
		    "for %s", address);
		smf_msg_note(msg, SMF_OUTCOME_SKIPPED, SMF_REASON_NO_IDENTITY,
		    address);
		goto out;
	}
	snprintf(msg->msg_identity, sizeof(msg->msg_identity), "%s", address);
	if (msg->msg_authuser != NULL ?
	    !smime_identity_allows_sender(id, msg->msg_authuser) :
	    !smf_msg_is_submission(msg)) {
		verdict = smf_msg_unauthorized(msg, address);
		goto out;
	}
	/* After the authorization check: an S/MIME label is no way round
	 * sign.unauthorized. */
	if (smime_sign_is_smime(&msg->msg_headers)) {
		smf_log(LOG_INFO, msg->msg_qid, "already S/MIME; not signed");
		smf_msg_note(msg, SMF_OUTCOME_SKIPPED, SMF_REASON_ALREADY_SMIME,
		    NULL);
		goto out;
	}
	if ((action = smf_msg_policy(msg)) == SMIME_DEST_SKIP)
		goto out;
	smime_err_clear(&err);
	if (id->id_revoked) {
		smime_err_set(&err, "identity %s is marked revoked", address);
		verdict = smf_msg_libstatus(msg, "signing", SMIME_REVOKED, &err);
		goto out;
	}
	if (msg->msg_oversize || msg->msg_body_failed) {
		smime_err_set(&err, "%s", msg->msg_oversize ?
		    "header exceeds max_header_bytes" : "body not spooled");
		verdict = smf_msg_libstatus(msg, "signing", msg->msg_oversize ?
		    SMIME_LIMIT : SMIME_TEMPFAIL, &err);
		goto out;
	}
	smf_msg_sign_opts(conf, &so);
	t0 = smf_msg_clock_us();
	so.so_opaque = action == SMIME_DEST_OPAQUE;
	status = smime_sign_message(id, &so, &msg->msg_headers, msg->msg_body,
	    &msg->msg_edits, &err);
	msg->msg_sign_us = smf_msg_clock_us() - t0 + 1;
	if (status != SMIME_OK) {
		smime_edits_clear(&msg->msg_edits);
		verdict = smf_msg_libstatus(msg, "signing", status, &err);
		goto out;
	}
	if (conf->cf_sign_trace_header && smime_headers_add(
	    &msg->msg_edits.ed_append, "X-SMIME-Signed", address) != SMIME_OK) {
		smime_edits_clear(&msg->msg_edits);
		verdict = smf_msg_libstatus(msg, "signing", SMIME_NORESOURCE,
		    NULL);
		goto out;
	}
	*signed_out = true;
	smf_msg_note(msg, SMF_OUTCOME_SIGNED, SMF_REASON_NONE, NULL);
	/* e.g. no header protection, nested 8-bit signed bytes kept */
	if (*smime_err_get0(&err) != '\0')
		smf_log(LOG_NOTICE, msg->msg_qid, "%s", smime_err_get0(&err));
	smf_log(LOG_INFO, msg->msg_qid, "signed as %s (login %s, client %s, "
	    "digest %s%s%s)", address, msg->msg_authuser != NULL ?
	    msg->msg_authuser : "none", msg->msg_client_addr != NULL ?
	    msg->msg_client_addr : "unknown", conf->cf_sign_digest,
	    so.so_opaque ? ", opaque for " : "", so.so_opaque ?
	    msg->msg_dest_rcpt : "");
out:
	free(address);
	return verdict;
}

/* Verify and queue the Authentication-Results edits. */
static enum smf_verdict
smf_msg_verify(struct smf_msg *msg)
{
	const struct smime_conf *conf = msg->msg_rt->rt_conf;
	struct smime_verify_result res;
	struct smime_err err;
	smime_status status;
	uint64_t t0;

	smime_err_clear(&err);
	if (msg->msg_body_failed) {
		smime_err_set(&err, "body not spooled");
		return smf_msg_libstatus(msg, "verification", SMIME_TEMPFAIL,
		    &err);
	}
	if (msg->msg_oversize)
		smf_log(LOG_NOTICE, msg->msg_qid, "header exceeds "
		    "max_header_bytes; verifying with the fields kept");
	t0 = smf_msg_clock_us();
	status = smime_verify_message(msg->msg_rt->rt_verifier,
	    &msg->msg_headers, msg->msg_body, &msg->msg_edits, &res, &err);
	msg->msg_verify_us = smf_msg_clock_us() - t0 + 1;
	if (status != SMIME_OK) {
		smime_edits_clear(&msg->msg_edits);
		return smf_msg_libstatus(msg, "verification", status, &err);
	}
	smf_log(res.vres_worst == SMIME_RESULT_NONE ? LOG_DEBUG : LOG_INFO,
	    msg->msg_qid, "verified: smime=%s%s%s",
	    smime_result_name(res.vres_worst),
	    res.vres_summary[0] != '\0' ? " " : "", res.vres_summary);
	msg->msg_result = (int)res.vres_worst;
	/* A submission that was not signed keeps the reason why. */
	smf_msg_note(msg, SMF_OUTCOME_VERIFIED,
	    msg->msg_outcome == SMF_OUTCOME_SKIPPED ? msg->msg_reason :
	    SMF_REASON_NONE, msg->msg_outcome == SMF_OUTCOME_SKIPPED ?
	    msg->msg_detail : res.vres_summary);
	if (res.vres_worst == SMIME_RESULT_FAIL &&
	    conf->cf_verify_reject_fail) {
		smf_msg_note(msg, SMF_OUTCOME_REJECTED, SMF_REASON_VERIFY_FAIL,
		    NULL);
		snprintf(msg->msg_reply, sizeof(msg->msg_reply),
		    "5.7.1 S/MIME signature verification failed");
		return SMF_REJECT;
	}
	return SMF_ACCEPT;
}

/*
 * Decide: sign (submission), else verify (when enabled), else leave
 * alone.  The verdict before forged-field removal.
 */
static enum smf_verdict
smf_msg_decide(struct smf_msg *msg)
{
	const struct smime_conf *conf = msg->msg_rt->rt_conf;
	enum smf_verdict verdict;
	bool signed_now = false;

	if (conf->cf_mode_sign && smf_msg_is_submission(msg)) {
		verdict = smf_msg_sign(msg, &signed_now);
		if (signed_now || verdict != SMF_ACCEPT)
			return verdict;
	}
	/* What we sign ourselves is not verified again in the same pass. */
	if (conf->cf_mode_verify && msg->msg_rt->rt_verifier != NULL)
		return smf_msg_verify(msg);
	if (msg->msg_outcome == SMF_OUTCOME_NONE)
		smf_msg_note(msg, SMF_OUTCOME_SKIPPED,
		    SMF_REASON_NOT_SUBMISSION, NULL);
	return SMF_ACCEPT;
}

/*
 * Queue the removal of every X-SMIME-Sign field: it is an instruction to
 * us, never for the recipient, whoever wrote it and whatever we did.
 */
static smime_status
smf_msg_signreq_edits(struct smf_msg *msg)
{
	smime_status st;
	size_t i;

	for (i = 1; i <= msg->msg_signreq_count; i++)
		if ((st = smime_edits_delete(&msg->msg_edits,
		    SMIME_SIGNREQ_NAME, i)) != SMIME_OK)
			return st;
	if (msg->msg_signreq_count > 0)
		smf_log(LOG_DEBUG, msg->msg_qid, "removing %zu %s field(s)",
		    msg->msg_signreq_count, SMIME_SIGNREQ_NAME);
	return SMIME_OK;
}

enum smf_verdict
smf_msg_eom(struct smf_msg *msg)
{
	enum smf_verdict verdict;
	size_t n;

	smime_edits_clear(&msg->msg_edits);
	msg->msg_reply[0] = '\0';
	if (msg->msg_hdr_failed || msg->msg_rcpt_failed) {
		/* A field we could not take in may be one to remove. */
		snprintf(msg->msg_reply, sizeof(msg->msg_reply),
		    "4.3.0 out of memory");
		smf_msg_note(msg, SMF_OUTCOME_TEMPFAILED,
		    SMF_REASON_OUT_OF_MEMORY, NULL);
		return SMF_TEMPFAIL;
	}
	verdict = smf_msg_decide(msg);
	if (verdict != SMF_ACCEPT && verdict != SMF_CONTINUE)
		return verdict;
	/*
	 * Whatever happened above (signed, verified, unsigned, verify off,
	 * an error mapped to accept), fields that could pass for our
	 * results never leave with the message (forged.h).
	 */
	n = smime_forged_count(&msg->msg_forged);
	if (smime_forged_edits(&msg->msg_forged, &msg->msg_edits) !=
	    SMIME_OK || smf_msg_signreq_edits(msg) != SMIME_OK) {
		smime_edits_clear(&msg->msg_edits);
		smf_log(LOG_ERR, msg->msg_qid, "out of memory queueing the "
		    "removal of forged results; message deferred");
		snprintf(msg->msg_reply, sizeof(msg->msg_reply),
		    "4.3.0 out of memory");
		smf_msg_note(msg, SMF_OUTCOME_TEMPFAILED,
		    SMF_REASON_OUT_OF_MEMORY, NULL);
		return SMF_TEMPFAIL;
	}
	if (n > 0)
		smf_log(LOG_INFO, msg->msg_qid, "removing %zu header field(s) "
		    "that could pass for our results (%zu %s, %zu %s, %zu %s)",
		    n, msg->msg_forged.fg_name[SMIME_FORGED_AR].fn_count,
		    SMIME_AR_NAME,
		    msg->msg_forged.fg_name[SMIME_FORGED_SIGNER].fn_count,
		    SMIME_SIGNER_NAME,
		    msg->msg_forged.fg_name[SMIME_FORGED_PROTECTED].fn_count,
		    SMIME_PROTECTED_NAME);
	return verdict;
}
