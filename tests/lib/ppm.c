/*
 * Binary PPM screenshots (ppm.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "ppm.h"

uint32_t *
tsr_ppm_read(const char *path, int *w, int *h)
{
	FILE *f = fopen(path, "rb");
	uint32_t *pix = NULL;
	int maxv, c;
	size_t i, n;
	uint8_t rgb[3];

	if (f == NULL)
		return NULL;
	if (fgetc(f) != 'P' || fgetc(f) != '6')
		goto out;
	/* three numbers, with "#" comments anywhere before them */
	for (i = 0; i < 3; i++) {
		int *v = i == 0 ? w : i == 1 ? h : &maxv;

		while ((c = fgetc(f)) == ' ' || c == '\n' || c == '\t' ||
		    c == '\r' || c == '#')
			if (c == '#')
				while ((c = fgetc(f)) != '\n' && c != EOF)
					;
		if (c == EOF || ungetc(c, f) == EOF || fscanf(f, "%d", v) != 1)
			goto out;
	}
	if (maxv != 255 || *w <= 0 || *h <= 0 || *w > 16384 || *h > 16384)
		goto out;
	c = fgetc(f); /* the one whitespace before the pixels */
	n = (size_t)*w * *h;
	if ((pix = malloc(n * 4)) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if (fread(rgb, 1, 3, f) != 3) {
			free(pix);
			pix = NULL;
			goto out;
		}
		pix[i] =
		    (uint32_t)rgb[0] << 16 | (uint32_t)rgb[1] << 8 | rgb[2];
	}
out:
	fclose(f);
	return pix;
}
