// SPDX-License-Identifier: GPL-2.0
// The kernel's entry into the receive path: an skb arrives on a vport.
// Included into kmod/core.cpp.
#include "datapath/dp_receive.h"
#include "kmod/skb_packet.h"
#include "platform/netdev.h"

extern "C" void ovsdp_vport_receive(void* v, void* skb)
{
    using namespace ovsdp;
    auto* vport = static_cast<Vport*>(v);
    SkbPacket pkt(skb);
    FlowKeyMetadata md;
    md.in_port = static_cast<u16>(vport->port_no);
    md.priority = pkt.priority();
    md.skb_mark = pkt.mark();
    if (dp_receive(vport, pkt, md, pkt.hash()))
        pkt.commit_headers();
    // Until the flow table and actions exist nothing consumes the packet.
    ovsdp_skb_free(skb);
}
