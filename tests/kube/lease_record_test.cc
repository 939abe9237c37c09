// Leases without a cluster: the name a hold maps to, the holder identity, MicroTime, expiry.
#include "engine/kube/lease_record.h"

#include <gtest/gtest.h>

#include <regex>

namespace ferry::engine::kube {
namespace {

bool is_dns1123_label(const std::string& s) {
  static const std::regex label("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
  return s.size() <= 63 && std::regex_match(s, label);
}

TEST(LeaseName, ReadableThenAHashOfTheExactHold) {
  // Pinned: two ferry versions must map a hold to the same Lease, or they would not exclude each other.
  EXPECT_EQ(lease_name("hostedcluster/clusters/jdoe-hosted"), "ferry-hostedcluster-clusters-jdoe-hosted-20094133");
  EXPECT_EQ(lease_name("hostedcluster/clusters/jdoe-hosted"), lease_name("hostedcluster/clusters/jdoe-hosted"));
}

TEST(LeaseName, HoldsThatReadAlikeGetDistinctNames) {
  const std::string a = lease_name("hostedcluster/a-b/c");
  const std::string b = lease_name("hostedcluster/a/b-c");
  EXPECT_EQ(a.substr(0, a.size() - 8), b.substr(0, b.size() - 8));  // the readable part is the same
  EXPECT_NE(a, b);
  EXPECT_NE(lease_name("bucket/Backups"), lease_name("bucket/backups"));
}

TEST(LeaseName, InvalidCharactersBecomeOneDash) {
  const std::string n = lease_name("HostedCluster//Clusters/JDoe_Hosted.v2 ü");
  EXPECT_TRUE(is_dns1123_label(n)) << n;
  EXPECT_EQ(n.substr(0, n.size() - 9), "ferry-hostedcluster-clusters-jdoe-hosted-v2");
  const std::string only_symbols = lease_name("/_/");
  EXPECT_TRUE(is_dns1123_label(only_symbols)) << only_symbols;
  EXPECT_EQ(only_symbols.size(), std::string("ferry-").size() + 8);
  EXPECT_TRUE(is_dns1123_label(lease_name(""))) << lease_name("");
}

TEST(LeaseName, LongHoldsAreCutToALabelAndStayDistinct) {
  const std::string base = "hostedcluster/" + std::string(80, 'n') + "/" + std::string(200, 'x');
  const std::string a = lease_name(base + "-a");
  const std::string b = lease_name(base + "-b");
  EXPECT_EQ(a.size(), 63u);
  EXPECT_TRUE(is_dns1123_label(a)) << a;
  EXPECT_TRUE(is_dns1123_label(b)) << b;
  EXPECT_NE(a, b);
  // a cut that lands on a dash does not leave "--" before the hash
  const std::string dashy = lease_name(std::string(47, 'a') + "/" + std::string(40, 'b'));
  EXPECT_TRUE(is_dns1123_label(dashy)) << dashy;
  EXPECT_EQ(dashy.find("--"), std::string::npos) << dashy;
}

TEST(LeaseHolder, IdentityRoundTripsAndSameRunIgnoresTheVersion) {
  LeaseHolder h{"jdoe", "bastion-1", "/home/jdoe/.ferry/runs/20261126T120000Z-controlplane", "0.9.0"};
  const std::string identity = h.identity();
  EXPECT_EQ(json::parse(identity),
            json({{"user", "jdoe"}, {"host", "bastion-1"}, {"runDir", h.run_dir}, {"version", "0.9.0"}}));
  LeaseHolder back = LeaseHolder::parse(identity);
  EXPECT_EQ(back.identity(), identity);
  EXPECT_TRUE(back.same_run(h));
  LeaseHolder newer = h;
  newer.version = "0.9.1";
  EXPECT_TRUE(newer.same_run(h));
  LeaseHolder other_run = h;
  other_run.run_dir += "-2";
  EXPECT_FALSE(other_run.same_run(h));
  LeaseHolder other_host = h;
  other_host.host = "bastion-2";
  EXPECT_FALSE(other_host.same_run(h));
  EXPECT_EQ(h.describe(), "jdoe on bastion-1, run /home/jdoe/.ferry/runs/20261126T120000Z-controlplane, ferry 0.9.0");
}

TEST(LeaseHolder, AnIdentityNotFerrysIsShownAsIs) {
  LeaseHolder h = LeaseHolder::parse("kube-controller-manager_5f1c");
  EXPECT_EQ(h.user, "kube-controller-manager_5f1c");
  EXPECT_EQ(h.describe(), "\"kube-controller-manager_5f1c\" (not a ferry run)");
  EXPECT_FALSE(h.same_run(LeaseHolder{"kube-controller-manager_5f1c", "h", "/r", "1"}));
  EXPECT_FALSE(LeaseHolder{}.same_run(LeaseHolder{}));  // no holder is nobody's run
}

TEST(MicroTime, SixFractionDigitsInUtc) {
  EXPECT_EQ(format_micro_time(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_micro_time(1795694400250), "2026-11-26T12:00:00.250000Z");
  EXPECT_EQ(format_utc_seconds(1795694400250), "2026-11-26T12:00:00Z");
  EXPECT_EQ(parse_micro_time("2026-11-26T12:00:00.250000Z"), 1795694400250);
  EXPECT_EQ(parse_micro_time("2026-11-26T14:00:00.25+02:00"), 1795694400250);
  EXPECT_EQ(parse_micro_time("2026-11-26T12:00:00Z"), 1795694400000);
  for (const char* bad : {"", "2026-11-26", "2026-11-26T12:00:00", "2026-11-26T12:00:00.Z", "2026-13-26T12:00:00Z",
                          "2026-11-26T12:00:00.25+0200", "yesterday"}) {
    EXPECT_FALSE(parse_micro_time(bad).has_value()) << bad;
  }
}

Lease lease_at(int64_t renew_ms, int64_t duration_s) {
  Lease l;
  l.holder = LeaseHolder{"jdoe", "bastion-1", "/r", "0.9.0"};
  l.duration_s = duration_s;
  l.acquire_ms = renew_ms - 60'000;
  l.renew_ms = renew_ms;
  return l;
}

TEST(Lease, ExpiresItsDurationAfterTheLastRenewal) {
  const Lease l = lease_at(1'000'000, 30);
  EXPECT_EQ(l.valid_until_ms(), 1'030'000);
  EXPECT_FALSE(l.expired(1'000'000));
  EXPECT_FALSE(l.expired(1'030'000));
  EXPECT_TRUE(l.expired(1'030'001));
  Lease no_holder = l;
  no_holder.holder = LeaseHolder{};
  EXPECT_TRUE(no_holder.expired(1'000'000));
  Lease never_renewed = l;
  never_renewed.renew_ms.reset();
  EXPECT_EQ(never_renewed.valid_until_ms(), 970'000);  // from its acquireTime
  never_renewed.acquire_ms.reset();
  EXPECT_TRUE(never_renewed.expired(0));
}

TEST(Lease, ReadFromTheObjectWritten) {
  const LeaseHolder h{"jdoe", "bastion-1", "/r", "0.9.0"};
  json object = new_lease_object("hostedcluster/clusters/jdoe-hosted", "default", h, 30, 1795694400250);
  EXPECT_EQ(object["metadata"]["labels"], json({{"app.kubernetes.io/managed-by", "ferry"}}));
  EXPECT_EQ(object["spec"]["renewTime"], "2026-11-26T12:00:00.250000Z");
  object["metadata"]["uid"] = "u-1";
  object["metadata"]["resourceVersion"] = "42";
  Lease l;
  std::string error;
  ASSERT_TRUE(lease_from_object(object, &l, &error)) << error;
  EXPECT_EQ(l.hold, "hostedcluster/clusters/jdoe-hosted");
  EXPECT_EQ(l.name, lease_name(l.hold));
  EXPECT_EQ(l.label(), "Lease " + l.name + " in namespace default");
  EXPECT_EQ((std::vector<std::string>{l.uid, l.resource_version}), (std::vector<std::string>{"u-1", "42"}));
  EXPECT_TRUE(l.holder.same_run(h));
  EXPECT_EQ(l.duration_s, 30);
  EXPECT_EQ(l.acquire_ms, 1795694400250);
  EXPECT_EQ(l.renew_ms, 1795694400250);
  EXPECT_EQ(l.transitions, 0);

  object["spec"]["renewTime"] = "soon";
  EXPECT_FALSE(lease_from_object(object, &l, &error));
  EXPECT_NE(error.find("spec.renewTime is not a time"), std::string::npos) << error;
  EXPECT_FALSE(lease_from_object(json{{"kind", "ConfigMap"}}, &l, &error));
}

}  // namespace
}  // namespace ferry::engine::kube
