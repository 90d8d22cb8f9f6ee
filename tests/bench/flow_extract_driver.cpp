// SPDX-License-Identifier: GPL-2.0
// flow_extract_driver <packet> <n>: n extractions of one benchmark packet, for
// instruction counts under callgrind (callgrind-extract.sh). With no
// arguments, lists the packet names.
#include "flow_bench_packets.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace ovsdp;
using namespace ovsdp::bench;

// Kept out of line so that it is the same code for every n.
static OVSDP_NOINLINE unsigned run(const BenchPacket& pkt, u8* buf, FlowKey& key, unsigned long n)
{
    unsigned sum = 0;
    for (unsigned long i = 0; i < n; i++) {
        Status s = extract_one(pkt, buf, key);
        sum += s.ok() + key.tp.src;
        __asm__ __volatile__("" : : "r"(&key) : "memory");
    }
    return sum;
}

int main(int argc, char** argv)
{
    std::vector<BenchPacket> packets = bench_packets();
    if (argc < 3) {
        for (const BenchPacket& p : packets)
            std::printf("%s\n", p.name);
        return argc == 1 ? 0 : 2;
    }
    for (const BenchPacket& p : packets) {
        if (std::strcmp(p.name, argv[1]) != 0)
            continue;
        std::vector<u8> buf = p.bytes;
        FlowKey key;
        std::memset(&key, 0, sizeof(key));
        unsigned sum = run(p, buf.data(), key, std::strtoul(argv[2], nullptr, 0));
        std::printf("%s %u\n", p.name, sum);
        return 0;
    }
    std::fprintf(stderr, "unknown packet %s\n", argv[1]);
    return 2;
}
