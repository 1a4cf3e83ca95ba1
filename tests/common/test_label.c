#include <string.h>

#include "label.h"
#include "../lib/tap.h"

int
main(void)
{
	static const struct {
		const char *name;
		unsigned rgb;
	} want[] = {
		{ "red", 0xcc0000 },
		{ "orange", 0xf57900 },
		{ "yellow", 0xedd400 },
		{ "green", 0x73d216 },
		{ "gray", 0x555555 },
		{ "blue", 0x3465a4 },
		{ "purple", 0x75507b },
		{ "black", 0x000000 },
	};
	static const char *bad[] = {
		"",
		"Red",
		"redd",
		"#",
		"#12345",
		"#1234567",
		"#12345g",
		"# 12345",
		"#-12345",
		"0x123456",
		"white",
		"red ",
		"#ffffff\n",
	};
	struct tsr_label l;
	char buf[8];
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		memset(&l, 0xff, sizeof(l));
		ok(tsr_label_parse(want[i].name, &l) == 0 &&
			l.rgb == want[i].rgb &&
			strcmp(l.name, want[i].name) == 0,
		    "label %s is #%06x", want[i].name, want[i].rgb);
		is_str(tsr_labels[i].name, want[i].name,
		    "table entry %zu is %s (Qubes' order)", i, want[i].name);
	}
	ok(tsr_label_parse("#A0b1C2", &l) == 0 && l.rgb == 0xa0b1c2 &&
		strcmp(l.name, "#a0b1c2") == 0,
	    "custom colour, stored lower case");
	ok(tsr_label_parse("#000000", &l) == 0 && l.rgb == 0, "custom black");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(tsr_label_parse(bad[i], &l) == -1, "rejects \"%s\"", bad[i]);
	ok(tsr_label_parse(NULL, &l) == -1, "rejects NULL");
	ok(tsr_label_lookup("blue") == &tsr_labels[5], "lookup blue");
	ok(tsr_label_lookup("#3465a4") == NULL, "lookup is for names only");
	is_str(tsr_label_hex(0x73d216, buf, sizeof(buf)), "#73d216", "hex");
	is_int(tsr_label_text_rgb(0xedd400), 0x000000, "black text on yellow");
	is_int(tsr_label_text_rgb(0xcc0000), 0xffffff, "white text on red");
	is_int(tsr_label_text_rgb(0x000000), 0xffffff, "white text on black");
	return done_testing();
}
