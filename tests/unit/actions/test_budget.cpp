// SPDX-License-Identifier: GPL-2.0
// The amplification budget of one top-level execution (actions/actions.h):
// outputs counted with the fragments they leave as at the MRU, recirculation
// fan-out, cheap actions, the -E2BIG that ends the execution, the report to
// the environment, a fresh budget per execution, and breathing between the
// outputs of an EXECUTE with packets that arrive meanwhile run on their own.
#include "act_test_util.h"

#include <memory>

using namespace ovsdp;
using namespace ovsdp::test;

namespace {

constexpr u32 kBudgetPackets = kActionBudget / kBudgetPacketCost;

Buf udp_frame(usize payload)
{
    Ip4 ip;
    return ipv4_packet(eth(kEthPIp), ip, udp(1000, 53, payload));
}

std::unique_ptr<Actions> outputs(u32 port, int n)
{
    auto a = std::make_unique<Actions>();
    for (int i = 0; i < n; i++)
        a->output(port);
    return a;
}

using Budget = ActionsTest;

TEST_F(Budget, OrdinaryListsStayFarBelowIt)
{
    // The largest list Open vSwitch can send: 8,190 outputs in 64 KB.
    Received r = receive(udp_frame(100));
    EXPECT_EQ(run(r, *outputs(2, 8190)), 0);
    EXPECT_EQ(env.of("output").size(), 8190u);
    EXPECT_TRUE(env.budget_reports.empty());
}

TEST_F(Budget, FragmentsAtTheMruCountAsPacketsAndTheOverspendingOutputEndsTheList)
{
    // 65,000 bytes at MRU 36: 8 payload bytes per fragment (the estimate),
    // 8,125 packets per output: 8 outputs fit in 65,536 packets, the 9th
    // does not.
    Received r = receive(udp_frame(65000 - 28 - 8));
    r.pkt.set_mru(36);
    EXPECT_EQ(run(r, *outputs(2, 4001)), -err::TOOBIG);
    EXPECT_EQ(env.of("output").size(), 8u);
    ASSERT_EQ(env.of("drop").size(), 1u) << "the packet itself, once";
    EXPECT_EQ(env.of("drop")[0]->arg, u32(err::TOOBIG));
    ASSERT_EQ(env.budget_reports.size(), 1u);
    EXPECT_EQ(env.budget_reports[0], 1u);
    EXPECT_EQ(env.events.size(), 9u) << "nothing ran after the budget was spent";
}

TEST_F(Budget, AnMruThePacketFitsCostsOnePacket)
{
    Received r = receive(udp_frame(1000));
    r.pkt.set_mru(1400);
    EXPECT_EQ(run(r, *outputs(2, 8190)), 0);
    EXPECT_EQ(env.of("output").size(), 8190u);
    EXPECT_TRUE(env.budget_reports.empty());
}

TEST_F(Budget, LegitimateFragmentationFloodsFit)
{
    // A 64 KB reassembled datagram (MRU 1500: 45 fragments) to 1,400 ports.
    Received r = receive(udp_frame(65000 - 28 - 8));
    r.pkt.set_mru(1500);
    EXPECT_EQ(run(r, *outputs(2, 1400)), 0);
    EXPECT_EQ(env.of("output").size(), 1400u);
    EXPECT_TRUE(env.budget_reports.empty());
}

TEST_F(Budget, ARecirculationFanOutIsCutShort)
{
    // Every pass recirculates 100 times. Recirculations run at once while
    // key copies last (3 levels) and are deferred below: 100^3 passes of 100
    // actions unbounded (upstream's limits allow as much).
    auto fan = [](u32 id) {
        auto a = std::make_unique<Actions>();
        for (int i = 0; i < 100; i++)
            a->recirc(id);
        return a;
    };
    int recircs = 0;
    env.on_recirc = [&](Pkt&& p, FlowKey& key) {
        recircs++;
        auto a = fan(key.recirc_id + 1);
        execute_actions(env, move(p), key, a->data(), a->size());
    };
    Received r = receive(udp_frame(100));
    EXPECT_EQ(run(r, *fan(1)), -err::TOOBIG);
    // Passes at the 4th level run 100 recirculations that cannot run at
    // once (the FIFO takes 9, the rest are dropped), each costing 17 units:
    // about 617 passes, then the budget ends it (instead of 10^6 passes).
    EXPECT_GT(recircs, 500);
    EXPECT_LE(u32(recircs), kActionBudget / (100 * (1 + kBudgetPacketCost)) + 100 + 9);
    EXPECT_EQ(env.budget_reports.size(), 1u);
    EXPECT_FALSE(env.of("drop").empty());
}

TEST_F(Budget, CheapActionsCountToo)
{
    // Passes of 1,000 hash actions and 40 recirculations: 40^3 passes, 66
    // million actions unbounded.
    int passes = 0;
    Actions wide;
    for (int i = 0; i < 1000; i++)
        wide.hash(i);
    for (int i = 0; i < 40; i++)
        wide.recirc(1);
    env.on_recirc = [&](Pkt&& p, FlowKey& key) {
        passes++;
        execute_actions(env, move(p), key, wide.data(), wide.size());
    };
    Received r = receive(udp_frame(100));
    EXPECT_EQ(run(r, wide), -err::TOOBIG);
    // A pass costs 1,040 units of actions and 40 x 16 of recirculations.
    // (and the 9 deferred passes the FIFO holds).
    EXPECT_LE(passes, int(kActionBudget / (1040 + 40 * kBudgetPacketCost)) + 1 + 9);
    EXPECT_GT(passes, 400);
    EXPECT_EQ(env.budget_reports.size(), 1u);
}

TEST_F(Budget, EveryTopLevelExecutionHasItsOwn)
{
    for (int i = 0; i < 3; i++) {
        Received r = receive(udp_frame(65000 - 28 - 8));
        r.pkt.set_mru(36);
        EXPECT_EQ(run(r, *outputs(2, 8)), 0) << i;
    }
    EXPECT_EQ(env.of("output").size(), 24u);
    EXPECT_TRUE(env.budget_reports.empty());
}

TEST_F(Budget, ReEntryThroughAPortSharesTheBudgetOfTheTopLevelPacket)
{
    // Port 7 loops back into the datapath, whose flow floods it 2,000 times:
    // without a budget 2,000^5 outputs.
    int outs = 0;
    auto flood = outputs(7, 2000);
    env.on_output = [&](Pkt&& p, u32, const FlowKey& key) {
        outs++;
        FlowKey k = key;
        execute_actions(env, move(p), k, flood->data(), flood->size());
    };
    Received r = receive(udp_frame(100));
    EXPECT_EQ(run(r, *flood), -err::TOOBIG);
    EXPECT_LE(u32(outs), kBudgetPackets);
    EXPECT_GT(u32(outs), kBudgetPackets / 2);
    EXPECT_EQ(env.budget_reports.size(), 1u);
}

TEST_F(Budget, ExecuteBreathesBetweenTopLevelOutputsAndPacketsArrivingMeanwhileRunOnTheirOwn)
{
    env.breathing = true;
    int arrivals = 0;
    env.on_breathe = [&] {
        // A softirq on this CPU: a packet received now is a top-level
        // execution with a fresh budget, above the frames of the list (and
        // one that cannot breathe: the kernel's receive path).
        env.breathing = false;
        EXPECT_EQ(env.action_state().level, 0);
        u32 top = env.action_state().frame_top;
        EXPECT_GE(top, 1u);
        Received in = receive(udp_frame(65000 - 28 - 8), 3);
        in.pkt.set_mru(36);
        auto o = outputs(4, 8);
        EXPECT_EQ(execute_actions(env, move(in.pkt), in.key, o->data(), o->size()), 0);
        EXPECT_EQ(env.action_state().frame_top, top);
        arrivals++;
        env.breathing = true;
    };
    Received r = receive(udp_frame(100));
    EXPECT_EQ(run(r, *outputs(2, 1000)), 0);
    // 1,000 outputs of 17 units, a breath every 1,024 units.
    EXPECT_EQ(env.breaths, 1000 * 17 / int(kBreatheEvery));
    EXPECT_EQ(arrivals, env.breaths);
    EXPECT_EQ(env.of("output").size(), 1000u + 8u * arrivals);
    EXPECT_TRUE(env.budget_reports.empty());
}

TEST_F(Budget, NoBreathWithAKeyCopyOrADeferredActionPendingOrForReceivedPackets)
{
    env.breathing = true;
    Received r = receive(udp_frame(100));
    // The outputs run in a clone on a key copy (level 2).
    EXPECT_EQ(run(r, Actions().clone(false, *outputs(2, 1000))), 0);
    EXPECT_EQ(env.breaths, 0);
    env.breathing = false;
    Received r2 = receive(udp_frame(100));
    EXPECT_EQ(run(r2, *outputs(2, 1000)), 0);
    EXPECT_EQ(env.breaths, 0);
}

} // namespace
