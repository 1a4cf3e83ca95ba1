/* Hexadecimal (hex.h). */
#include <string.h>

#include "hex.h"

int
tsr_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *
tsr_hex_encode(const void *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
	return out;
}

int
tsr_hex_decode(const char *s, void *out, size_t n)
{
	unsigned char *b = out;
	size_t i;
	int hi, lo;

	if (strnlen(s, 2 * n + 1) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		hi = tsr_hex_digit(s[2 * i]);
		lo = tsr_hex_digit(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}
