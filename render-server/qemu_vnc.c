/*
 * Our own SetEncodings to a QEMU display socket (see qemu_vnc.h).
 */
#include "qemu_vnc.h"

#define QEMU_VNC_MAX_ENC 16

rfbBool
rs_qemu_set_encodings(rfbClient *cl, const int32_t *enc, size_t n)
{
	uint8_t msg[4 + 4 * QEMU_VNC_MAX_ENC];
	uint32_t e;
	size_t i;

	if (n > QEMU_VNC_MAX_ENC)
		return FALSE;
	/* libvncclient sends the pixel format alone when it believes the
	 * server takes no SetEncodings */
	cl->supportedMessages.client2server[rfbSetEncodings / 8] &=
	    (uint8_t) ~(1u << (rfbSetEncodings % 8));
	msg[0] = rfbSetEncodings;
	msg[1] = 0;
	msg[2] = (uint8_t)(n >> 8);
	msg[3] = (uint8_t)n;
	for (i = 0; i < n; i++) {
		e = (uint32_t)enc[i];
		msg[4 + 4 * i] = (uint8_t)(e >> 24);
		msg[5 + 4 * i] = (uint8_t)(e >> 16);
		msg[6 + 4 * i] = (uint8_t)(e >> 8);
		msg[7 + 4 * i] = (uint8_t)e;
	}
	return WriteToRFBServer(cl, (const char *)msg,
	    (unsigned int)(4 + 4 * n));
}
