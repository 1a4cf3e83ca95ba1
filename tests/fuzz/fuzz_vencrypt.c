/*
 * tessera-render's VeNCrypt handshake (render-server/vencrypt.c), fed
 * from a buffer in chunks whose sizes the input picks; TLS "comes up"
 * whenever the machine asks for it.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../render-server/vencrypt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_vc vc;
	uint8_t out[64];
	size_t off = 0, used, outlen, chunk;
	enum rs_vc_status st;

	rs_vc_start(&vc, out, sizeof(out));
	while (off < size) {
		chunk = 1 + data[off] % 16;
		off++;
		if (chunk > size - off)
			chunk = size - off;
		st = rs_vc_input(&vc, data + off, chunk, &used, out, &outlen);
		if (used > chunk || outlen > RS_VC_OUT_MAX)
			__builtin_trap();
		off += used;
		if (st == RS_VC_TLS)
			st = rs_vc_tls_up(&vc);
		if (st == RS_VC_CREDS &&
		    (strlen(vc.user) > RS_VC_CRED_MAX ||
			strlen(vc.pass) > RS_VC_CRED_MAX))
			__builtin_trap();
		if (st == RS_VC_FAIL || st == RS_VC_CERT || st == RS_VC_CREDS)
			break;
		if (used == 0 && chunk > 0 && st == RS_VC_MORE)
			break;
	}
	rs_vc_clear(&vc);
	return 0;
}
