// LeaseRenewer on real time against the sandbox: it renews, stops on remove, and reports a Lease
// another run took over or someone deleted. Waits are generous polls, never a timing assertion.
#include "engine/kube/lease_renewer.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/kube/sim.h"

namespace ferry::engine::kube {
namespace {

using engine::testing::Sim;
using namespace std::chrono_literals;

const std::string kHold = "hostedcluster/clusters/jdoe-hosted";
const LeaseHolder kRun{"jdoe", "bastion-1", "/runs/a", "0.9.0"};

// What on_lost was called with.
struct Losses {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<std::string, Status>> seen;

  LeaseRenewer::LostFn fn() {
    return [this](const Lease& l, const Status& why) {
      std::lock_guard lock(mu);
      seen.emplace_back(l.hold, why);
      cv.notify_all();
    };
  }
  bool wait_for_one() {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 60s, [&] { return !seen.empty(); });
  }
};

struct RenewerTest : ::testing::Test {
  Sim sim;
  LeaseClient client{sim.kubectl(), "default"};

  void SetUp() override {
    ASSERT_TRUE(engine::testing::require_kubectl());
    ASSERT_TRUE(sim.up());
  }
  json on_cluster() {
    json out;
    Status s = sim.kubectl("default").run_json({"get", "leases", lease_name(kHold), "--ignore-not-found"},
                                               CancelToken(), "test get", &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::vector<json> items = items_of(out);
    return items.empty() ? json() : items.front();
  }
  // Polls the cluster for up to a minute until `done` holds for the Lease.
  bool eventually(const std::function<bool(const json&)>& done) {
    for (auto deadline = std::chrono::steady_clock::now() + 60s; std::chrono::steady_clock::now() < deadline;) {
      if (done(on_cluster())) return true;
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }
};

TEST_F(RenewerTest, RenewsUntilRemovedThenReleaseDeletesIt) {
  Lease l;
  ASSERT_TRUE(client.acquire(kHold, kRun, 3s, CancelToken(), &l).ok());
  const std::string first_renew = on_cluster()["spec"]["renewTime"];
  Losses losses;
  LeaseRenewer renewer(client, losses.fn());
  renewer.add(l);
  // (MicroTimes in UTC with six digits order as strings)
  ASSERT_TRUE(eventually([&](const json& got) { return got["spec"]["renewTime"] > first_renew; }))
      << "not renewed within a minute";

  std::optional<Lease> kept = renewer.remove(kHold);
  ASSERT_TRUE(kept.has_value());
  // nothing renews it any more: the version removed is the cluster's, now and a renewal period later
  EXPECT_EQ(on_cluster()["metadata"]["resourceVersion"], kept->resource_version);
  std::this_thread::sleep_for(2500ms);
  EXPECT_EQ(on_cluster()["metadata"]["resourceVersion"], kept->resource_version);
  EXPECT_FALSE(renewer.remove(kHold).has_value());

  Status s = client.release(*kept, CancelToken());
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(on_cluster().is_null());
  std::lock_guard lock(losses.mu);
  EXPECT_TRUE(losses.seen.empty());
}

TEST_F(RenewerTest, ALeaseTakenOverIsReportedOnceAndNoLongerRenewed) {
  Lease l;
  ASSERT_TRUE(client.acquire(kHold, kRun, 3s, CancelToken(), &l).ok());
  Losses losses;
  LeaseRenewer renewer(client, losses.fn());
  renewer.add(l);
  // Another run writes itself in (as a takeover would), on whatever version is current.
  const LeaseHolder other{"asmith", "bastion-2", "/runs/b", "0.9.0"};
  ASSERT_TRUE(eventually([&](const json& got) {
    json mine = got;
    mine["spec"]["holderIdentity"] = other.identity();
    return sim.kubectl("default").run({"replace", "-f", "-"}, CancelToken(), "take over", mine.dump()).status.ok();
  }));
  ASSERT_TRUE(losses.wait_for_one()) << "the loss was not reported within a minute";
  {
    std::lock_guard lock(losses.mu);
    ASSERT_EQ(losses.seen.size(), 1u);
    EXPECT_EQ(losses.seen[0].first, kHold);
    EXPECT_EQ(losses.seen[0].second.error_class(), ErrorClass::kLeaseHeld) << losses.seen[0].second.ToString();
    EXPECT_NE(losses.seen[0].second.message().find("asmith on bastion-2, run /runs/b"), std::string::npos)
        << losses.seen[0].second.message();
  }
  EXPECT_FALSE(renewer.remove(kHold).has_value());
  EXPECT_EQ(LeaseHolder::parse(on_cluster()["spec"]["holderIdentity"].get<std::string>()).run_dir, "/runs/b");
}

TEST_F(RenewerTest, ADeletedLeaseIsReported) {
  Lease l;
  ASSERT_TRUE(client.acquire(kHold, kRun, 3s, CancelToken(), &l).ok());
  Losses losses;
  LeaseRenewer renewer(client, losses.fn());
  renewer.add(l);
  ASSERT_TRUE(sim.kubectl("default").run({"delete", "lease", l.name}, CancelToken(), "delete").status.ok());
  ASSERT_TRUE(losses.wait_for_one()) << "the loss was not reported within a minute";
  std::lock_guard lock(losses.mu);
  EXPECT_EQ(losses.seen[0].second.error_class(), ErrorClass::kNotFound) << losses.seen[0].second.ToString();
  EXPECT_NE(losses.seen[0].second.message().find("was deleted while this run held it"), std::string::npos);
}

TEST_F(RenewerTest, StopKeepsTheLeasesForRelease) {
  Lease l;
  ASSERT_TRUE(client.acquire(kHold, kRun, 30s, CancelToken(), &l).ok());
  Losses losses;
  LeaseRenewer renewer(client, losses.fn());
  renewer.add(l);
  renewer.stop();
  std::optional<Lease> kept = renewer.remove(kHold);
  ASSERT_TRUE(kept.has_value());
  EXPECT_TRUE(client.release(*kept, CancelToken()).ok());
  EXPECT_TRUE(on_cluster().is_null());
}

}  // namespace
}  // namespace ferry::engine::kube
