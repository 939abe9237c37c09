// The retry policy and cancel tokens on their own (the executor's tests use them only through a
// run).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "engine/base/cancel.h"
#include "engine/run/retry_policy.h"

namespace ferry::engine {
namespace {

using nlohmann::json;

// The policy as the IR holds it, parsed when the IR is made or read.
dsl::RetryPolicy policy(const json& retry) {
  std::string error;
  auto p = dsl::parse_retry_policy(retry, &error);
  EXPECT_TRUE(p) << error;
  return p.value_or(dsl::RetryPolicy{});
}

TEST(RetryPolicy, DefaultsAreOneAttemptAndTheTransientClasses) {
  dsl::RetryPolicy p = policy(nullptr);
  EXPECT_EQ(p.attempts, 1);
  EXPECT_TRUE(retries(p, ErrorClass::kTransient));
  EXPECT_TRUE(retries(p, ErrorClass::kTimeout));
  EXPECT_FALSE(retries(p, ErrorClass::kInvalid));
  EXPECT_EQ(dsl::SharedRetry().policy().attempts, 1);  // a step built without a policy
}

TEST(RetryPolicy, ExponentialDoublesUpToItsMaxWithoutJitter) {
  dsl::RetryPolicy p =
      policy(json{{"attempts", 6}, {"jitter", false}, {"backoff", {{"kind", "exponential"}, {"initial", "1s"}, {"max", "5s"}}}});
  std::mt19937_64 rng(1);
  EXPECT_EQ(p.attempts, 6);
  EXPECT_EQ(retry_delay(p, 1, rng), Millis(1000));
  EXPECT_EQ(retry_delay(p, 2, rng), Millis(2000));
  EXPECT_EQ(retry_delay(p, 3, rng), Millis(4000));
  EXPECT_EQ(retry_delay(p, 4, rng), Millis(5000));
  EXPECT_EQ(retry_delay(p, 60, rng), Millis(5000));  // no overflow far out
}

TEST(RetryPolicy, ConstantBackoffAndTheClassesNamed) {
  dsl::RetryPolicy p = policy(json{{"attempts", 0},
                                   {"jitter", false},
                                   {"backoff", {{"kind", "constant"}, {"interval", "250ms"}}},
                                   {"on", {"conflict", "no-such-class"}}});
  std::mt19937_64 rng(1);
  EXPECT_EQ(p.attempts, 1);  // never fewer than one
  EXPECT_EQ(retry_delay(p, 1, rng), Millis(250));
  EXPECT_EQ(retry_delay(p, 7, rng), Millis(250));
  EXPECT_TRUE(retries(p, ErrorClass::kConflict));
  EXPECT_FALSE(retries(p, ErrorClass::kTransient));
}

TEST(RetryPolicy, EqualJitterKeepsHalfTheDelay) {
  dsl::RetryPolicy p = policy(json{{"backoff", {{"kind", "constant"}, {"interval", "10s"}}}});
  std::mt19937_64 rng(7);
  bool varied = false;
  Millis first = retry_delay(p, 1, rng);
  for (int i = 0; i < 200; ++i) {
    Millis d = retry_delay(p, 1, rng);
    EXPECT_GE(d, Millis(5000));
    EXPECT_LE(d, Millis(10000));
    varied = varied || d != first;
  }
  EXPECT_TRUE(varied);
}

TEST(RetryPolicy, AValueThatIsNotAPolicySaysWhichField) {
  std::string error;
  EXPECT_FALSE(dsl::parse_retry_policy(json{{"backoff", {{"kind", "constant"}, {"interval", "soon"}}}}, &error));
  EXPECT_EQ(error, "retry backoff interval \"soon\" is not a duration");
  EXPECT_FALSE(dsl::parse_retry_policy(json{{"attempts", "3"}}, &error));
  EXPECT_EQ(error, "retry attempts \"3\" is not an integer");
  EXPECT_FALSE(dsl::parse_retry_policy(json{{"backoff", {{"kind", "linear"}}}}, &error));
  EXPECT_NE(error.find("neither exponential nor constant"), std::string::npos);
  EXPECT_FALSE(dsl::parse_retry_policy(json{{"on", "transient"}}, &error));
  EXPECT_FALSE(dsl::parse_retry_policy(json::array(), &error));
}

TEST(CancelToken, TheFirstCancelWinsAndReachesChildrenNotParents) {
  CancelToken run;
  CancelToken step = run.child();
  CancelToken other = run.child();
  step.cancel(ErrorClass::kTimeout, "the step's timeout");
  EXPECT_TRUE(step.cancelled());
  EXPECT_FALSE(run.cancelled());
  EXPECT_FALSE(other.cancelled());
  run.cancel(ErrorClass::kCancelled, "Ctrl-C");
  EXPECT_TRUE(other.cancelled());
  EXPECT_EQ(other.status().error_class(), ErrorClass::kCancelled);
  // step was cancelled first, for its own reason
  EXPECT_EQ(step.status().error_class(), ErrorClass::kTimeout);
  EXPECT_NE(step.status().message().find("the step's timeout"), std::string::npos);
  CancelToken late = run.child();  // a child of a cancelled token is born cancelled
  EXPECT_TRUE(late.cancelled());
}

TEST(CancelToken, AWaitEndsAtCancellationOrAtItsDeadline) {
  CancelToken t;
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(t.wait_until(start + std::chrono::milliseconds(20)));
  std::thread canceller([&t] { t.cancel(ErrorClass::kCancelled, "stop"); });
  EXPECT_TRUE(t.wait_until(std::chrono::steady_clock::now() + std::chrono::hours(1)));
  canceller.join();
}

}  // namespace
}  // namespace ferry::engine
