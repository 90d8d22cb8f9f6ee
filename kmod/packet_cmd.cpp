// SPDX-License-Identifier: GPL-2.0
// OVS_PACKET_CMD_EXECUTE (datapath/execute.h) over the kernel host.
// Included into kmod/core.cpp.
#include "datapath/execute.h"
#include "kmod/dp_env.h"

extern "C" int ovsdp_packet_cmd_execute(ovsdp_request* req)
{
    ovsdp::KernelHost host;
    return ovsdp::packet_cmd_execute(host, req);
}
