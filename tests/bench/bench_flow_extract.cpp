// SPDX-License-Identifier: GPL-2.0
// Flow key extraction, ns per packet (Google Benchmark). Instructions per
// packet come from callgrind-extract.sh, which runs flow_extract_driver.
#include "flow_bench_packets.h"

#include <benchmark/benchmark.h>

#include <cstdlib>

using namespace ovsdp;
using namespace ovsdp::bench;

static void BM_FlowExtract(benchmark::State& state, const BenchPacket& pkt)
{
    std::vector<u8> buf = pkt.bytes;
    FlowKey key;
    std::memset(&key, 0, sizeof(key));
    for (auto _ : state) {
        Status s = extract_one(pkt, buf.data(), key);
        benchmark::DoNotOptimize(s);
        benchmark::DoNotOptimize(key);
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations());
}

int main(int argc, char** argv)
{
    static const std::vector<BenchPacket> packets = bench_packets();
    for (const BenchPacket& p : packets)
        benchmark::RegisterBenchmark((std::string("FlowExtract/") + p.name).c_str(), BM_FlowExtract, p);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
