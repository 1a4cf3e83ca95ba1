# The RDP output of tessera-render (FreeRDP 2.11 server).  Included by
# render-server/rules.mk (and by tests/rdp/rules.mk when that is absent).
#
#   RDP_SRCS     sources of the RDP output
#   RDP_OBJS     their objects in $(B)/obj
#   RDP_CFLAGS   compiler flags they need (added to render_server_CFLAGS)
#   RDP_LIBS     libraries a program linking RDP_OBJS needs
ifndef RDP_MK_INCLUDED
RDP_MK_INCLUDED := 1

RDP_SRCS   := render-server/rdp.c render-server/rdp_keys.c render-server/rdp_frame.c
RDP_OBJS   := $(RDP_SRCS:%.c=$(B)/obj/%.o)
RDP_CFLAGS := $(shell pkg-config --cflags freerdp-server2 freerdp2 winpr2 2>/dev/null)
RDP_LIBS   := $(shell pkg-config --libs freerdp-server2 freerdp2 winpr2 2>/dev/null) -lpthread

render_server_CFLAGS += $(RDP_CFLAGS)

endif
