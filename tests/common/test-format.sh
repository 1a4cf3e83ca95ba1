#!/usr/bin/env bash
# Every C source and header of the project is in the house style that
# .clang-format describes (make format rewrites a file that strays).
source "$TSR_ROOT/tests/lib/tap.sh"

cd "$TSR_ROOT" || exit 1
if ! files=$(git ls-files '*.c' '*.h' 2>/dev/null) || [ -z "$files" ]; then
	fail "the sources are listed by git"
	done_testing
	exit 1
fi
for f in $files; do
	if clang-format "$f" | cmp -s - "$f"; then
		pass "$f is formatted"
	else
		fail "$f is formatted (make format)"
		clang-format "$f" | diff -u "$f" - | head -n 20 | sed 's/^/# /'
	fi
done
done_testing
