/*
 * Admin API policy files: parser and matcher.  See policy.h.
 *
 * A policy is a flat array of rules in file order; checking is a linear
 * scan (O(rules) per call; fine for hundreds of rules, an index by method
 * would be the next step).  Parsing builds a new policy and touches
 * nothing else, so a failed reload leaves the caller's policy alone.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "facts.h"
#include "policy.h"

#define METHOD_MAX 63
#define UNIXNAME_MAX 32
#define CN_MAX 64 /* X.520 ub-common-name */
#define TAG_MAX 31
#define RULES_MAX 65536
#define SHOW_MAX 64 /* bytes of a bad token shown in errors */

enum m_kind { M_ANY, M_EXACT, M_PREFIX };
enum c_kind { C_ANY, C_USER, C_GROUP, C_CERT, C_ROLE, C_LOGIN };
enum t_kind { T_ANY, T_QUBE, T_LABEL, T_TAG, T_HOST };

struct rule {
	enum m_kind m_kind;
	char method[METHOD_MAX + 1]; /* M_PREFIX: "vm." */
	enum c_kind c_kind;
	char who[CN_MAX + 1];
	enum vmd_role role;
	enum t_kind t_kind;
	char what[TAG_MAX + 1];
	uint32_t rgb;
	int allow;
	size_t file; /* index into files */
	int line;
};

struct vmd_policy {
	struct rule *rules;
	size_t nrules, cap;
	char **files;
	size_t nfiles;
};

struct tok {
	const char *s;
	size_t len;
};

void
vmd_policy_free(struct vmd_policy *pol)
{
	size_t i;

	if (pol == NULL)
		return;
	for (i = 0; i < pol->nfiles; i++)
		free(pol->files[i]);
	free(pol->files);
	free(pol->rules);
	free(pol);
}

size_t
vmd_policy_nrules(const struct vmd_policy *pol)
{
	return pol ? pol->nrules : 0;
}

__attribute__((format(printf, 5, 6))) static int
lerr(char *err, size_t errlen, const char *file, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(err, errlen, "%s:%d: %s", file, line, msg);
	else
		snprintf(err, errlen, "%s: %s", file, msg);
	return -1;
}

/* A token for an error message: printable already, but maybe long. */
static const char *
show(const struct tok *t, char *buf, size_t bufsz)
{
	if (t->len > SHOW_MAX)
		snprintf(buf, bufsz, "%.*s...", SHOW_MAX, t->s);
	else
		snprintf(buf, bufsz, "%.*s", (int)t->len, t->s);
	return buf;
}

static int
lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static int
digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
alpha(char c)
{
	return lower(c) || (c >= 'A' && c <= 'Z');
}

static int
has_prefix(const struct tok *t, const char *p, struct tok *rest)
{
	size_t n = strlen(p);

	if (t->len < n || memcmp(t->s, p, n) != 0)
		return 0;
	rest->s = t->s + n;
	rest->len = t->len - n;
	return 1;
}

static int
tok_is(const struct tok *t, const char *s)
{
	return t->len == strlen(s) && memcmp(t->s, s, t->len) == 0;
}

static void
tok_copy(char *dst, const struct tok *t)
{
	memcpy(dst, t->s, t->len);
	dst[t->len] = '\0';
}

/* vm.start, vm.*, *: dot-separated [a-z][a-z0-9_]* segments. */
static int
parse_method(const struct tok *t, struct rule *r)
{
	size_t i, n = t->len;
	int seg_start = 1;

	if (tok_is(t, "*")) {
		r->m_kind = M_ANY;
		return 0;
	}
	r->m_kind = M_EXACT;
	if (n >= 2 && t->s[n - 1] == '*' && t->s[n - 2] == '.') {
		r->m_kind = M_PREFIX;
		n--; /* keep the dot */
	}
	if (n == 0 || n > METHOD_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		char c = t->s[i];

		if (c == '.') {
			if (seg_start)
				return -1;
			seg_start = 1;
		} else if (seg_start) {
			if (!lower(c))
				return -1;
			seg_start = 0;
		} else if (!lower(c) && !digit(c) && c != '_') {
			return -1;
		}
	}
	/* Exact names end in a segment; prefixes end in the dot. */
	if (seg_start != (r->m_kind == M_PREFIX))
		return -1;
	memcpy(r->method, t->s, n);
	r->method[n] = '\0';
	return 0;
}

/* Unix user and group names, as shadow's useradd accepts them. */
static int
unixname_ok(const struct tok *t)
{
	size_t i;

	if (t->len == 0 || t->len > UNIXNAME_MAX)
		return 0;
	if (!alpha(t->s[0]) && t->s[0] != '_')
		return 0;
	for (i = 1; i < t->len; i++) {
		char c = t->s[i];

		if (c == '$' && i == t->len - 1)
			break;
		if (!alpha(c) && !digit(c) && c != '_' && c != '-' && c != '.')
			return 0;
	}
	return 1;
}

static int
parse_caller(const struct tok *t, struct rule *r, const char **why)
{
	struct tok v;

	*why = "want user:NAME, group:NAME, cert:CN, role:viewer|admin, "
	       "login:NAME or *";
	if (tok_is(t, "*")) {
		r->c_kind = C_ANY;
		return 0;
	}
	if (has_prefix(t, "user:", &v) || has_prefix(t, "group:", &v)) {
		r->c_kind = t->s[0] == 'u' ? C_USER : C_GROUP;
		*why = "not a unix user or group name";
		if (!unixname_ok(&v))
			return -1;
		tok_copy(r->who, &v);
		return 0;
	}
	if (has_prefix(t, "login:", &v)) {
		r->c_kind = C_LOGIN;
		*why = "not a login name";
		if (!unixname_ok(&v))
			return -1;
		tok_copy(r->who, &v);
		return 0;
	}
	if (has_prefix(t, "cert:", &v)) {
		r->c_kind = C_CERT;
		*why = "common name empty or over 64 bytes";
		if (v.len == 0 || v.len > CN_MAX)
			return -1;
		tok_copy(r->who, &v);
		return 0;
	}
	if (has_prefix(t, "role:", &v)) {
		r->c_kind = C_ROLE;
		*why = "role is viewer or admin";
		if (tok_is(&v, "viewer"))
			r->role = VMD_ROLE_VIEWER;
		else if (tok_is(&v, "admin"))
			r->role = VMD_ROLE_ADMIN;
		else
			return -1;
		return 0;
	}
	return -1;
}

static int
tag_ok(const struct tok *t)
{
	size_t i;

	if (t->len == 0 || t->len > TAG_MAX)
		return 0;
	for (i = 0; i < t->len; i++) {
		char c = t->s[i];

		if (!alpha(c) && !digit(c) && c != '_' && c != '-' && c != '.')
			return 0;
	}
	return 1;
}

static int
parse_target(const struct tok *t, struct rule *r, const char **why)
{
	struct tsr_label l;
	struct tok v;
	char buf[16];

	*why = "want a qube name, @label:COLOUR, @tag:TAG, @host or *";
	if (tok_is(t, "*")) {
		r->t_kind = T_ANY;
		return 0;
	}
	if (tok_is(t, "@host")) {
		r->t_kind = T_HOST;
		return 0;
	}
	if (has_prefix(t, "@label:", &v)) {
		r->t_kind = T_LABEL;
		*why = "not a label name or #rrggbb";
		if (v.len >= sizeof(buf))
			return -1;
		tok_copy(buf, &v);
		if (tsr_label_parse(buf, &l) < 0)
			return -1;
		r->rgb = l.rgb;
		snprintf(r->what, sizeof(r->what), "%s", l.name);
		return 0;
	}
	if (has_prefix(t, "@tag:", &v)) {
		r->t_kind = T_TAG;
		*why = "tag is 1-31 of [A-Za-z0-9_.-]";
		if (!tag_ok(&v))
			return -1;
		tok_copy(r->what, &v);
		return 0;
	}
	if (t->s[0] != '@' && tsr_qube_name_validn(t->s, t->len)) {
		r->t_kind = T_QUBE;
		tok_copy(r->what, t);
		return 0;
	}
	return -1;
}

static int
add_rule(struct vmd_policy *pol, const struct rule *r)
{
	struct rule *p;
	size_t cap;

	if (pol->nrules == pol->cap) {
		cap = pol->cap ? pol->cap * 2 : 16;
		if ((p = realloc(pol->rules, cap * sizeof(*p))) == NULL)
			return -1;
		pol->rules = p;
		pol->cap = cap;
	}
	pol->rules[pol->nrules++] = *r;
	return 0;
}

static int
add_file(struct vmd_policy *pol, const char *name)
{
	char **p, *s;

	if ((s = strdup(name)) == NULL)
		return -1;
	if ((p = realloc(pol->files, (pol->nfiles + 1) * sizeof(*p))) == NULL) {
		free(s);
		return -1;
	}
	pol->files = p;
	pol->files[pol->nfiles++] = s;
	return 0;
}

/* One line, without its newline.  0, or -1 with err set. */
static int
parse_line(struct vmd_policy *pol, const char *name, int lineno,
    const unsigned char *p, size_t len, char *err, size_t errlen)
{
	static const char want[] = "want METHOD CALLER TARGET allow|deny";
	struct tok f[5];
	struct rule r;
	const char *why;
	char show1[SHOW_MAX + 4];
	size_t i, n = 0;

	if (len > VMD_POLICY_LINE_MAX)
		return lerr(err, errlen, name, lineno,
		    "line longer than %d bytes", VMD_POLICY_LINE_MAX);
	for (i = 0; i < len; i++) {
		if (p[i] == '\0')
			return lerr(err, errlen, name, lineno, "NUL byte");
		if (p[i] >= 0x80)
			return lerr(err, errlen, name, lineno,
			    "non-ASCII byte 0x%02x", p[i]);
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
			return lerr(err, errlen, name, lineno,
			    "control character 0x%02x", p[i]);
	}

	for (i = 0; i < len;) {
		size_t start;

		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i == len || p[i] == '#')
			break;
		if (n == 4)
			return lerr(err, errlen, name, lineno,
			    "too many fields: %s", want);
		start = i;
		while (i < len && p[i] != ' ' && p[i] != '\t')
			i++;
		f[n].s = (const char *)p + start;
		f[n].len = i - start;
		n++;
	}
	if (n == 0)
		return 0;
	if (n < 4)
		return lerr(err, errlen, name, lineno, "too few fields: %s",
		    want);

	memset(&r, 0, sizeof(r));
	r.file = pol->nfiles - 1;
	r.line = lineno;
	if (parse_method(&f[0], &r) < 0)
		return lerr(err, errlen, name, lineno,
		    "bad method '%s': "
		    "want NAME.NAME, NAME.* or *",
		    show(&f[0], show1, sizeof(show1)));
	if (parse_caller(&f[1], &r, &why) < 0)
		return lerr(err, errlen, name, lineno, "bad caller '%s': %s",
		    show(&f[1], show1, sizeof(show1)), why);
	if (parse_target(&f[2], &r, &why) < 0)
		return lerr(err, errlen, name, lineno, "bad target '%s': %s",
		    show(&f[2], show1, sizeof(show1)), why);
	if (tok_is(&f[3], "allow"))
		r.allow = 1;
	else if (tok_is(&f[3], "deny"))
		r.allow = 0;
	else
		return lerr(err, errlen, name, lineno,
		    "unknown action '%s': want allow or deny",
		    show(&f[3], show1, sizeof(show1)));
	if (pol->nrules >= RULES_MAX)
		return lerr(err, errlen, name, lineno, "more than %d rules",
		    RULES_MAX);
	if (add_rule(pol, &r) < 0)
		return lerr(err, errlen, name, 0, "out of memory");
	return 0;
}

/* Appends one file's rules to pol.  0, or -1 with err set. */
static int
parse_into(struct vmd_policy *pol, const char *name, const void *buf,
    size_t len, char *err, size_t errlen)
{
	const unsigned char *p = buf, *end = p + len, *nl;
	int lineno = 0;

	if (add_file(pol, name) < 0)
		return lerr(err, errlen, name, 0, "out of memory");
	while (p < end) {
		if (lineno == INT_MAX)
			return lerr(err, errlen, name, lineno,
			    "too many lines");
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (parse_line(pol, name, lineno, p,
			(size_t)((nl ? nl : end) - p), err, errlen) < 0)
			return -1;
		p = nl ? nl + 1 : end;
	}
	return 0;
}

static struct vmd_policy *
policy_new(const char *name, char *err, size_t errlen)
{
	struct vmd_policy *pol;

	if ((pol = calloc(1, sizeof(*pol))) == NULL)
		lerr(err, errlen, name, 0, "out of memory");
	return pol;
}

struct vmd_policy *
vmd_policy_load_buf(const char *name, const void *buf, size_t len, char *err,
    size_t errlen)
{
	struct vmd_policy *pol;

	if ((pol = policy_new(name, err, errlen)) == NULL)
		return NULL;
	if (parse_into(pol, name, buf, len, err, errlen) < 0) {
		vmd_policy_free(pol);
		return NULL;
	}
	return pol;
}

/* Policy file names: [0-9a-z_.-]+ ending in ".policy", not hidden. */
static int
policy_name(const char *s, int *valid)
{
	size_t n = strlen(s), i;

	*valid = 1;
	if (n <= 7 || strcmp(s + n - 7, ".policy") != 0 || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!lower(s[i]) && !digit(s[i]) && s[i] != '_' &&
		    s[i] != '.' && s[i] != '-')
			*valid = 0;
	return 1;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads a whole regular file of at most VMD_POLICY_FILE_MAX bytes. */
static int
read_file(const char *path, char **bufp, size_t *lenp, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd;

	/* O_NONBLOCK: a FIFO called x.policy must not hang the daemon. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return lerr(err, errlen, path, 0, "%s", strerror(errno));
	if (fstat(fd, &st) < 0) {
		lerr(err, errlen, path, 0, "%s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		lerr(err, errlen, path, 0, "not a regular file");
		goto fail;
	}
	if ((buf = malloc(VMD_POLICY_FILE_MAX + 1)) == NULL) {
		lerr(err, errlen, path, 0, "out of memory");
		goto fail;
	}
	for (;;) {
		n = read(fd, buf + len, VMD_POLICY_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			lerr(err, errlen, path, 0, "%s", strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > VMD_POLICY_FILE_MAX) {
			lerr(err, errlen, path, 0, "larger than %d bytes",
			    VMD_POLICY_FILE_MAX);
			goto fail;
		}
	}
	close(fd);
	*bufp = buf;
	*lenp = len;
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}

struct vmd_policy *
vmd_policy_load_dir(const char *dir, char *err, size_t errlen)
{
	struct vmd_policy *pol = NULL;
	struct dirent *de;
	DIR *d;
	char **names = NULL, **p, *path = NULL, *buf = NULL;
	size_t nnames = 0, i, len = 0;
	int valid;

	if ((d = opendir(dir)) == NULL) {
		lerr(err, errlen, dir, 0, "%s", strerror(errno));
		return NULL;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (!policy_name(de->d_name, &valid))
			continue;
		if (!valid) {
			lerr(err, errlen, dir, 0,
			    "policy file name with "
			    "characters outside [0-9a-z_.-]");
			goto out;
		}
		if ((p = realloc(names, (nnames + 1) * sizeof(*p))) == NULL)
			goto oom;
		names = p;
		if ((names[nnames] = strdup(de->d_name)) == NULL)
			goto oom;
		nnames++;
	}
	if (errno != 0) {
		lerr(err, errlen, dir, 0, "%s", strerror(errno));
		goto out;
	}
	if (nnames > 0)
		qsort(names, nnames, sizeof(*names), cmp_names);

	if ((pol = policy_new(dir, err, errlen)) == NULL)
		goto out;
	for (i = 0; i < nnames; i++) {
		if (asprintf(&path, "%s/%s", dir, names[i]) < 0) {
			path = NULL;
			goto oom;
		}
		if (read_file(path, &buf, &len, err, errlen) < 0 ||
		    parse_into(pol, path, buf, len, err, errlen) < 0)
			goto fail;
		free(buf);
		free(path);
		buf = path = NULL;
	}
	goto out;
oom:
	lerr(err, errlen, dir, 0, "out of memory");
fail:
	vmd_policy_free(pol);
	pol = NULL;
out:
	free(buf);
	free(path);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return pol;
}

/* --- matching --------------------------------------------------------- */

static int
in_list(const char *s, const char *const *list, size_t n)
{
	size_t i;

	if (list == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (list[i] != NULL && strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

static int
match_method(const struct rule *r, const char *method)
{
	size_t n;

	switch (r->m_kind) {
	case M_ANY:
		return 1;
	case M_EXACT:
		return strcmp(r->method, method) == 0;
	case M_PREFIX:
		n = strlen(r->method);
		return strncmp(r->method, method, n) == 0 && method[n] != '\0';
	}
	return 0;
}

static int
match_caller(const struct rule *r, const struct vmd_caller *c)
{
	switch (r->c_kind) {
	case C_ANY:
		return 1;
	case C_USER:
		return c->kind == VMD_CALLER_UNIX && c->user != NULL &&
		    strcmp(r->who, c->user) == 0;
	case C_GROUP:
		return c->kind == VMD_CALLER_UNIX &&
		    in_list(r->who, c->groups, c->ngroups);
	case C_CERT:
		return c->kind == VMD_CALLER_CERT && c->cn != NULL &&
		    strcmp(r->who, c->cn) == 0;
	case C_ROLE:
		return c->kind == VMD_CALLER_CERT && c->role == r->role;
	case C_LOGIN:
		return c->kind == VMD_CALLER_LOGIN && c->user != NULL &&
		    strcmp(r->who, c->user) == 0;
	}
	return 0;
}

static int
match_target(const struct rule *r, const struct vmd_target *t)
{
	int host = t == NULL || t->name == NULL;

	switch (r->t_kind) {
	case T_ANY:
		return 1;
	case T_HOST:
		return host;
	case T_QUBE:
		return !host && strcmp(r->what, t->name) == 0;
	case T_LABEL:
		return !host && (t->label.rgb & 0xffffff) == r->rgb;
	case T_TAG:
		return !host && in_list(r->what, t->tags, t->ntags);
	}
	return 0;
}

int
vmd_policy_check_where(const struct vmd_policy *pol, const char *method,
    const struct vmd_caller *caller, const struct vmd_target *target,
    struct vmd_policy_where *where)
{
	const struct rule *r;
	size_t i;

	if (where != NULL) {
		where->file = NULL;
		where->line = 0;
	}
	if (pol == NULL || method == NULL || caller == NULL)
		return 0;
	for (i = 0; i < pol->nrules; i++) {
		r = &pol->rules[i];
		if (match_method(r, method) && match_caller(r, caller) &&
		    match_target(r, target)) {
			if (where != NULL) {
				where->file = pol->files[r->file];
				where->line = r->line;
			}
			return r->allow;
		}
	}
	return 0;
}

int
vmd_policy_check(const struct vmd_policy *pol, const char *method,
    const struct vmd_caller *caller, const struct vmd_target *target,
    int *rule_line)
{
	struct vmd_policy_where w;
	int allow;

	allow = vmd_policy_check_where(pol, method, caller, target, &w);
	if (rule_line != NULL)
		*rule_line = w.line;
	return allow;
}
