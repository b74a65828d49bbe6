/*
 * result.c - verification results: names, ranking, the worst-result rule,
 * the per-signer result list and its summary for the log (result.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smime/result.h"

const char *
smime_result_name(enum smime_result result)
{
	switch (result) {
	case SMIME_RESULT_NONE:
		return "none";
	case SMIME_RESULT_PASS:
		return "pass";
	case SMIME_RESULT_FAIL:
		return "fail";
	case SMIME_RESULT_NEUTRAL:
		return "neutral";
	case SMIME_RESULT_POLICY:
		return "policy";
	case SMIME_RESULT_TEMPERROR:
		return "temperror";
	case SMIME_RESULT_PERMERROR:
		return "permerror";
	}
	return "permerror";
}

int
smime_result_rank(enum smime_result result)
{
	switch (result) {
	case SMIME_RESULT_NONE:
		return 0;
	case SMIME_RESULT_PASS:
		return 1;
	case SMIME_RESULT_NEUTRAL:
		return 2;
	case SMIME_RESULT_POLICY:
		return 3;
	case SMIME_RESULT_TEMPERROR:
		return 4;
	case SMIME_RESULT_PERMERROR:
		return 5;
	case SMIME_RESULT_FAIL:
		return 6;
	}
	return 6;
}

smime_status
smime_sigres_add(struct smime_sigres_list *l, struct smime_sigres **out)
{
	struct smime_sigres *n;

	*out = NULL;
	if (l->srl_count == l->srl_alloc) {
		size_t want = l->srl_alloc ? l->srl_alloc * 2 : 4;

		if ((n = reallocarray(l->srl_list, want, sizeof(*n))) == NULL)
			return SMIME_NORESOURCE;
		l->srl_list = n;
		l->srl_alloc = want;
	}
	*out = &l->srl_list[l->srl_count++];
	memset(*out, 0, sizeof(**out));
	return SMIME_OK;
}

bool
smime_sigres_set(struct smime_sigres *sr, enum smime_result result,
    const char *reason)
{
	sr->sr_result = result;
	free(sr->sr_reason);
	sr->sr_reason = NULL;
	if (reason != NULL && (sr->sr_reason = strdup(reason)) == NULL)
		return false;
	return true;
}

void
smime_sigres_list_clear(struct smime_sigres_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->srl_count; i++) {
		struct smime_sigres *sr = &l->srl_list[i];

		free(sr->sr_reason);
		free(sr->sr_part);
		free(sr->sr_from);
		free(sr->sr_identifier);
		free(sr->sr_serial);
		free(sr->sr_issuer);
		free(sr->sr_signer);
		free(sr->sr_signing_time);
		free(sr->sr_protected);
	}
	free(l->srl_list);
	memset(l, 0, sizeof(*l));
}

enum smime_result
smime_sigres_worst(const struct smime_sigres_list *l)
{
	enum smime_result worst = SMIME_RESULT_NONE;
	size_t i;

	for (i = 0; i < l->srl_count; i++)
		if (smime_result_rank(l->srl_list[i].sr_result) >
		    smime_result_rank(worst))
			worst = l->srl_list[i].sr_result;
	return worst;
}

void
smime_sigres_summary(const struct smime_sigres_list *l, size_t ntop,
    char *buf)
{
	const size_t size = SMIME_SUMMARY_MAX;
	size_t i, n = 0;
	int w;

	buf[0] = '\0';
	for (i = 0; i < l->srl_count && n < size; i++) {
		const struct smime_sigres *sr = &l->srl_list[i];

		w = snprintf(buf + n, size - n, "%s%spart %s: %s%s%s"
		    "%s%s%s%s%s%s", i ? "; " : "", i >= ntop ? "inner " : "",
		    sr->sr_part ? sr->sr_part : "-",
		    smime_result_name(sr->sr_result),
		    sr->sr_reason ? " (" : "", sr->sr_reason ? sr->sr_reason :
		    "", sr->sr_reason ? ")" : "",
		    sr->sr_identifier ? " signer " : "",
		    sr->sr_identifier ? sr->sr_identifier : "",
		    sr->sr_serial ? " serial " : "",
		    sr->sr_serial ? sr->sr_serial : "",
		    sr->sr_signing_time ? " signingTime " : "");
		if (w < 0)
			break;
		n += (size_t)w;
		if (sr->sr_signing_time != NULL && n < size) {
			w = snprintf(buf + n, size - n, "%s",
			    sr->sr_signing_time);
			if (w < 0)
				break;
			n += (size_t)w;
		}
	}
}
