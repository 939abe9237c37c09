// LeaseClient through the real kubectl against the sandbox's API simulator: taking, refusing,
// taking back, taking over, racing, renewing, releasing and waiting. Expiry runs on a FakeClock
// (the Lease's times are what ferry writes, so virtual time is the whole story).
#include "engine/kube/lease.h"

#include <gtest/gtest.h>

#include <latch>
#include <thread>

#include "tests/kube/sim.h"

namespace ferry::engine::kube {
namespace {

using engine::testing::Sim;
using namespace std::chrono_literals;

const std::string kHold = "hostedcluster/clusters/jdoe-hosted";

LeaseHolder run(const std::string& id) { return LeaseHolder{"jdoe", "bastion-1", "/runs/" + id, "0.9.0"}; }

// One cluster, and a FakeClock the Leases' times come from.
struct LeaseTest : ::testing::Test {
  Sim sim;
  FakeClock clock;
  LeaseClient client{sim.kubectl(), "default", clock};

  void SetUp() override {
    ASSERT_TRUE(engine::testing::require_kubectl());
    ASSERT_TRUE(sim.up());
  }
  // The Lease of `hold` as the cluster has it (null if there is none).
  json on_cluster(const std::string& hold = kHold) {
    json out;
    Status s = sim.kubectl("default").run_json({"get", "leases", lease_name(hold), "--ignore-not-found"},
                                               CancelToken(), "test get", &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::vector<json> items = items_of(out);
    return items.empty() ? json() : items.front();
  }
  std::string holder_on_cluster(const std::string& hold = kHold) {
    json l = on_cluster(hold);
    return l.is_null() ? "" : LeaseHolder::parse(l["spec"].value("holderIdentity", "")).run_dir;
  }
};

TEST_F(LeaseTest, AcquireCreatesTheLease) {
  Lease l;
  Status s = client.acquire(kHold, run("a"), 30s, CancelToken(), &l);
  ASSERT_TRUE(s.ok()) << s.ToString();
  const json got = on_cluster();
  ASSERT_FALSE(got.is_null());
  EXPECT_EQ(got["metadata"]["name"], "ferry-hostedcluster-clusters-jdoe-hosted-20094133");
  EXPECT_EQ(got["metadata"]["labels"]["app.kubernetes.io/managed-by"], "ferry");
  EXPECT_EQ(got["metadata"]["annotations"]["ferry.dev/hold"], kHold);
  EXPECT_EQ(json::parse(got["spec"]["holderIdentity"].get<std::string>()),
            json({{"user", "jdoe"}, {"host", "bastion-1"}, {"runDir", "/runs/a"}, {"version", "0.9.0"}}));
  const std::string now = format_micro_time(clock.unix_ms());
  EXPECT_EQ(got["spec"]["acquireTime"], now);
  EXPECT_EQ(got["spec"]["renewTime"], now);
  EXPECT_EQ(got["spec"]["leaseDurationSeconds"], 30);
  EXPECT_EQ(got["spec"]["leaseTransitions"], 0);
  EXPECT_EQ(l.resource_version, got["metadata"]["resourceVersion"]);
  EXPECT_EQ(l.uid, got["metadata"]["uid"]);
  EXPECT_EQ(l.hold, kHold);
}

TEST_F(LeaseTest, ASecondRunIsRefusedAndToldWhoHoldsItSinceWhen) {
  Lease a, b;
  ASSERT_TRUE(client.acquire(kHold, run("a"), 30s, CancelToken(), &a).ok());
  clock.advance(10s);
  Status s = client.acquire(kHold, run("b"), 30s, CancelToken(), &b);
  EXPECT_EQ(s.error_class(), ErrorClass::kLeaseHeld) << s.ToString();
  // FakeClock's wall clock starts at 1,700,000,000 s: 2023-11-14T22:13:20Z.
  EXPECT_EQ(s.message(),
            "hostedcluster/clusters/jdoe-hosted is held by another ferry run: jdoe on bastion-1, run /runs/a, ferry "
            "0.9.0, since 2023-11-14T22:13:20Z, last renewed 2023-11-14T22:13:20Z, valid until 2023-11-14T22:13:50Z "
            "(Lease ferry-hostedcluster-clusters-jdoe-hosted-20094133 in namespace default). Wait for that run to "
            "end (--wait-for-lease DURATION waits for it); if it crashed, `ferry resume` of its run directory takes "
            "its Leases back, and once it is no longer renewed anyone may take it over");
  EXPECT_EQ(on_cluster()["metadata"]["resourceVersion"], a.resource_version);  // nothing written
}

TEST_F(LeaseTest, TheSameRunTakesItsLeaseBack) {
  Lease first, again;
  ASSERT_TRUE(client.acquire(kHold, run("a"), 30s, CancelToken(), &first).ok());
  const std::string acquired = format_micro_time(clock.unix_ms());
  clock.advance(120s);  // a crash and a resume later, past its duration, by a newer ferry
  LeaseHolder resumed = run("a");
  resumed.version = "0.9.1";
  Status s = client.acquire(kHold, resumed, 30s, CancelToken(), &again);
  ASSERT_TRUE(s.ok()) << s.ToString();
  const json got = on_cluster();
  EXPECT_EQ(got["spec"]["acquireTime"], acquired);  // held by this run all along
  EXPECT_EQ(got["spec"]["renewTime"], format_micro_time(clock.unix_ms()));
  EXPECT_EQ(got["spec"]["leaseTransitions"], 0);
  EXPECT_EQ(LeaseHolder::parse(got["spec"]["holderIdentity"].get<std::string>()).version, "0.9.1");
  EXPECT_EQ(got["metadata"]["uid"], first.uid);
  EXPECT_NE(again.resource_version, first.resource_version);
}

TEST_F(LeaseTest, AnExpiredLeaseIsTakenOverAndItsFormerHolderCannotRenewOrReleaseIt) {
  Lease a, b;
  ASSERT_TRUE(client.acquire(kHold, run("a"), 2s, CancelToken(), &a).ok());
  clock.advance(1s);
  EXPECT_EQ(client.acquire(kHold, run("b"), 2s, CancelToken(), &b).error_class(), ErrorClass::kLeaseHeld);
  clock.advance(1500ms);  // 2.5 s after the last renewal of a 2 s Lease
  Status s = client.acquire(kHold, run("b"), 2s, CancelToken(), &b);
  ASSERT_TRUE(s.ok()) << s.ToString();
  json got = on_cluster();
  EXPECT_EQ(holder_on_cluster(), "/runs/b");
  EXPECT_EQ(got["spec"]["leaseTransitions"], 1);
  EXPECT_EQ(got["spec"]["acquireTime"], format_micro_time(clock.unix_ms()));

  // Run a comes back (it was only slow): its renewal says it lost the Lease, and to whom.
  s = client.renew(&a, CancelToken());
  EXPECT_EQ(s.error_class(), ErrorClass::kLeaseHeld) << s.ToString();
  EXPECT_NE(s.message().find("taken over by another ferry run (jdoe on bastion-1, run /runs/b, ferry 0.9.0"),
            std::string::npos)
      << s.message();
  // Its release leaves b's Lease alone.
  s = client.release(a, CancelToken());
  EXPECT_TRUE(s.ok()) << s.ToString();
  got = on_cluster();
  ASSERT_FALSE(got.is_null());
  EXPECT_EQ(holder_on_cluster(), "/runs/b");
  EXPECT_EQ(got["metadata"]["resourceVersion"], b.resource_version);
}

// Two runs start at once; whatever the interleaving of their kubectl calls, one gets it.
void race(LeaseClient& client, const std::string& hold, Status* sa, Status* sb) {
  std::latch start(2);
  Lease a, b;
  std::thread ta([&] {
    start.arrive_and_wait();
    *sa = client.acquire(hold, run("a"), 30s, CancelToken(), &a);
  });
  std::thread tb([&] {
    start.arrive_and_wait();
    *sb = client.acquire(hold, run("b"), 30s, CancelToken(), &b);
  });
  ta.join();
  tb.join();
}

TEST_F(LeaseTest, TwoRunsRacingForAFreeLeaseOneWins) {
  for (int i = 0; i < 5; ++i) {
    const std::string hold = kHold + "-" + std::to_string(i);
    Status sa, sb;
    race(client, hold, &sa, &sb);
    ASSERT_NE(sa.ok(), sb.ok()) << "a: " << sa.ToString() << "\nb: " << sb.ToString();
    const Status& loser = sa.ok() ? sb : sa;
    EXPECT_EQ(loser.error_class(), ErrorClass::kLeaseHeld) << loser.ToString();
    EXPECT_EQ(holder_on_cluster(hold), sa.ok() ? "/runs/a" : "/runs/b");
  }
}

TEST_F(LeaseTest, TwoRunsRacingToTakeOverAnExpiredLeaseOneWins) {
  for (int i = 0; i < 3; ++i) {
    const std::string hold = kHold + "-" + std::to_string(i);
    Lease crashed;
    ASSERT_TRUE(client.acquire(hold, run("crashed"), 2s, CancelToken(), &crashed).ok());
    clock.advance(5s);
    Status sa, sb;
    race(client, hold, &sa, &sb);
    ASSERT_NE(sa.ok(), sb.ok()) << "a: " << sa.ToString() << "\nb: " << sb.ToString();
    EXPECT_EQ((sa.ok() ? sb : sa).error_class(), ErrorClass::kLeaseHeld);
    EXPECT_EQ(holder_on_cluster(hold), sa.ok() ? "/runs/a" : "/runs/b");
    EXPECT_EQ(on_cluster(hold)["spec"]["leaseTransitions"], 1);  // taken over once, not twice
  }
}

TEST_F(LeaseTest, RenewMovesRenewTimeAndSurvivesAnotherWritersHarmlessChange) {
  Lease l;
  ASSERT_TRUE(client.acquire(kHold, run("a"), 30s, CancelToken(), &l).ok());
  const Lease before = l;
  clock.advance(10s);
  Status s = client.renew(&l, CancelToken());
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(l.renew_ms, clock.unix_ms());
  EXPECT_EQ(l.acquire_ms, before.acquire_ms);
  EXPECT_NE(l.resource_version, before.resource_version);
  EXPECT_EQ(on_cluster()["spec"]["renewTime"], format_micro_time(clock.unix_ms()));

  // Someone labels it: the renewal's write conflicts, it reads the Lease again, still ours, renews.
  CallResult c = sim.kubectl("default").run({"label", "lease", l.name, "team=sre"}, CancelToken(), "label");
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  clock.advance(10s);
  s = client.renew(&l, CancelToken());
  ASSERT_TRUE(s.ok()) << s.ToString();
  const json got = on_cluster();
  EXPECT_EQ(got["spec"]["renewTime"], format_micro_time(clock.unix_ms()));
  EXPECT_EQ(got["metadata"]["labels"]["team"], "sre");
}

TEST_F(LeaseTest, RenewOfADeletedLeaseSaysItIsLost) {
  Lease l;
  ASSERT_TRUE(client.acquire(kHold, run("a"), 30s, CancelToken(), &l).ok());
  ASSERT_TRUE(sim.kubectl("default").run({"delete", "lease", l.name}, CancelToken(), "delete").status.ok());
  Status s = client.renew(&l, CancelToken());
  EXPECT_EQ(s.error_class(), ErrorClass::kNotFound);
  EXPECT_EQ(s.message(), "lost the Lease of " + kHold + ": Lease " + l.name +
                             " in namespace default was deleted while this run held it (by hand?)");
}

TEST_F(LeaseTest, ReleaseDeletesItWhenStillOursEvenAtALaterVersion) {
  Lease l;
  ASSERT_TRUE(client.acquire(kHold, run("a"), 30s, CancelToken(), &l).ok());
  const Lease stale = l;
  ASSERT_TRUE(client.renew(&l, CancelToken()).ok());
  Status s = client.release(stale, CancelToken());  // a version behind: read again, still ours
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(on_cluster().is_null());
  EXPECT_TRUE(client.release(l, CancelToken()).ok());  // gone already: fine
  // and free for the next run
  Lease b;
  EXPECT_TRUE(client.acquire(kHold, run("b"), 30s, CancelToken(), &b).ok());
}

TEST_F(LeaseTest, AcquireWaitingGetsItWhenTheHolderReleases) {
  LeaseClient real(sim.kubectl(), "default");  // real time: the release comes from another thread
  Lease a, b;
  ASSERT_TRUE(real.acquire(kHold, run("a"), 300s, CancelToken(), &a).ok());
  std::thread releaser([&] {
    std::this_thread::sleep_for(1500ms);
    EXPECT_TRUE(real.release(a, CancelToken()).ok());
  });
  Status s = real.acquire_waiting(kHold, run("b"), 300s, Millis(120'000), CancelToken(), &b);
  releaser.join();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(holder_on_cluster(), "/runs/b");
  EXPECT_EQ(on_cluster()["spec"]["leaseTransitions"], 0);  // made anew after the release, not taken over
}

TEST_F(LeaseTest, AcquireWaitingTakesOverWhenTheHolderStopsRenewing) {
  Lease a, b;
  ASSERT_TRUE(client.acquire(kHold, run("a"), 5s, CancelToken(), &a).ok());
  Status s = client.acquire_waiting(kHold, run("b"), 5s, Millis(60'000), CancelToken(), &b);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(holder_on_cluster(), "/runs/b");
  EXPECT_EQ(on_cluster()["spec"]["leaseTransitions"], 1);
  // polled every second (the floor for a 5 s Lease) until just past its 5 s
  EXPECT_EQ(clock.sleeps(), std::vector<Millis>(6, Millis(1000)));
}

TEST_F(LeaseTest, AcquireWaitingGivesUpAfterWaitFor) {
  Lease a, b;
  ASSERT_TRUE(client.acquire(kHold, run("a"), 300s, CancelToken(), &a).ok());
  Status s = client.acquire_waiting(kHold, run("b"), 300s, Millis(12'000), CancelToken(), &b);
  EXPECT_EQ(s.error_class(), ErrorClass::kLeaseHeld);
  EXPECT_NE(s.message().find("held by another ferry run: jdoe on bastion-1, run /runs/a"), std::string::npos);
  EXPECT_NE(s.message().find(" (waited 12 s)"), std::string::npos) << s.message();
  // every 5 s (a tenth of 300 s is more than the most), the last sleep cut to the end of the wait
  EXPECT_EQ(clock.sleeps(), (std::vector<Millis>{Millis(5'000), Millis(5'000), Millis(2'000)}));
  EXPECT_EQ(holder_on_cluster(), "/runs/a");
}

TEST_F(LeaseTest, AcquireWaitingStopsWhenCancelled) {
  LeaseClient real(sim.kubectl(), "default");
  Lease a, b;
  ASSERT_TRUE(real.acquire(kHold, run("a"), 300s, CancelToken(), &a).ok());
  CancelToken cancel;
  std::thread stopper([&] {
    std::this_thread::sleep_for(1500ms);
    cancel.cancel(ErrorClass::kCancelled, "interrupted (Ctrl-C)");
  });
  Status s = real.acquire_waiting(kHold, run("b"), 300s, Millis(600'000), cancel, &b);
  stopper.join();
  EXPECT_EQ(s.error_class(), ErrorClass::kCancelled) << s.ToString();
  EXPECT_EQ(holder_on_cluster(), "/runs/a");
}

TEST_F(LeaseTest, ADurationUnderASecondIsRefused) {
  Lease l;
  Status s = client.acquire(kHold, run("a"), 0s, CancelToken(), &l);
  EXPECT_EQ(s.error_class(), ErrorClass::kInvalid);
  EXPECT_TRUE(on_cluster().is_null());
}

}  // namespace
}  // namespace ferry::engine::kube
