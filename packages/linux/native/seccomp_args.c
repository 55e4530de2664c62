/*
 * Op `seccompArgs`: a seccomp filter that refuses (EPERM) a call only when its arguments
 * have given values, for what a deny list of whole calls cannot say (socket() of one
 * family and protocol, setsockopt() of one level and option). The rules come as one
 * token, `name:index=value,...;name:...`; values are decimal and compared on their low
 * 32 bits (the ints these calls take). Loaded as the `seccomp` op is: without
 * no_new_privs, stacked on any filter already there.
 */
#include "vzlaunch.h"

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RULES_TEXT 4096
#define MAX_CMP 6

struct rule {
	char name[64];
	struct scmp_arg_cmp cmp[MAX_CMP];
	unsigned count;
};

/* One `name:i=v,...`; -1 on a malformed rule. */
static int parse_rule(char *text, struct rule *r)
{
	char *colon = strchr(text, ':');
	if (!colon || colon == text || (size_t)(colon - text) >= sizeof r->name)
		return -1;
	*colon = '\0';
	for (const char *c = text; *c; c++)
		if (!(*c == '_' || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
			return -1;
	snprintf(r->name, sizeof r->name, "%s", text);
	r->count = 0;
	for (char *save, *tok = strtok_r(colon + 1, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		unsigned long index = strtoul(tok, &end, 10);
		if (end == tok || *end != '=' || index >= MAX_CMP || r->count >= MAX_CMP)
			return -1;
		char *value = end + 1;
		unsigned long long v = strtoull(value, &end, 10);
		if (end == value || *end || v > 0xffffffffULL)
			return -1;
		r->cmp[r->count++] = (struct scmp_arg_cmp){ .arg = (unsigned)index, .op = SCMP_CMP_MASKED_EQ, .datum_a = 0xffffffffULL, .datum_b = v };
	}
	return r->count ? 0 : -1;
}

/* Calls fn on each rule of `rules`; stops at the first non-zero result. */
static int each_rule(const char *rules, int (*fn)(const struct rule *, void *), void *arg)
{
	char copy[MAX_RULES_TEXT];
	if (snprintf(copy, sizeof copy, "%s", rules) >= (int)sizeof copy || !*copy)
		return -1;
	for (char *save, *tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		struct rule r;
		if (parse_rule(tok, &r) < 0)
			return -1;
		int rc = fn(&r, arg);
		if (rc)
			return rc;
	}
	return 0;
}

static int accept_rule(const struct rule *r, void *arg)
{
	(void)r;
	(void)arg;
	return 0;
}

int check_seccomp_args(const char *rules)
{
	return each_rule(rules, accept_rule, NULL);
}

static int add_rule(const struct rule *r, void *arg)
{
	int nr = seccomp_syscall_resolve_name(r->name);
	if (nr == __NR_SCMP_ERROR)
		return 0; /* not a call of this architecture */
	int rc = seccomp_rule_add_array((scmp_filter_ctx)arg, SCMP_ACT_ERRNO(EPERM), nr, r->count, r->cmp);
	return rc < 0 ? rc : 0;
}

int load_seccomp_args(const struct op *op)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return fail(op->index, op->name, ENOMEM, "seccomp_init");
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (rc == 0)
		rc = each_rule(op->s[0], add_rule, ctx);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc < 0 ? fail(op->index, op->name, -rc, op->s[0]) : 0;
}
