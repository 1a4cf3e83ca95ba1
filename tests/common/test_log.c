#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "../lib/tap.h"

/* Runs fn with stderr redirected to a buffer; returns what it wrote. */
static char *
capture(void (*fn)(void))
{
	static char out[4096];
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	fflush(stderr);
	dup2(fileno(tmp), 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return out;
}

static void
do_warnx(void)
{
	log_warnx("bad %s at %d", "thing", 7);
}
static void
do_warn(void)
{
	errno = ENOENT;
	log_warn("open %s", "f");
}
static void
do_debug(void)
{
	log_debug("hidden");
}
static void
do_info(void)
{
	log_info("shown");
}

int
main(void)
{
	char buf[64], small[8];

	log_init("tsr-test", 1, 0);
	is_str(capture(do_warnx), "tsr-test: bad thing at 7\n", "log_warnx");
	is_str(capture(do_warn),
	    "tsr-test: open f: No such file or directory\n",
	    "log_warn appends strerror");
	is_str(capture(do_debug), "", "log_debug hidden when not verbose");
	is_str(capture(do_info), "tsr-test: shown\n", "log_info");
	log_setverbose(1);
	is_str(capture(do_debug), "tsr-test: hidden\n",
	    "log_debug when verbose");

	is_str(log_escape(buf, sizeof(buf), "plain", 5), "plain",
	    "escape plain");
	is_str(log_escape(buf, sizeof(buf), "a\nb\x1b[31m\\", 9),
	    "a\\x0ab\\x1b[31m\\x5c", "escape control bytes and backslash");
	is_str(log_escape(buf, sizeof(buf), "a\0b", 3), "a\\x00b",
	    "escape NUL inside the length");
	is_str(log_escape(small, sizeof(small), "abcdefghij", 10), "abcd...",
	    "truncates with ...");
	is_str(log_escape(small, sizeof(small), "\xff\xff\xff", 3), "\\xff...",
	    "truncates escapes whole");
	return done_testing();
}
