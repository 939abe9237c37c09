// exec through the real kubectl against the sandbox (the command runs as a local process in
// the pod's directory).
#include <gtest/gtest.h>

#include <fstream>

#include "tests/kube/step_harness.h"

namespace ferry::engine {
namespace {

using testing::Sim;
using testing::StepHarness;

json exec_args(json command) {
  return {{"namespace", "clusters-jdoe-hosted"}, {"pod", "etcd-0"}, {"container", "etcd"},
          {"command", std::move(command)}, {"max_output", 1048576}, {"accept_exit_codes", {0}}};
}

TEST(Exec, StdoutExitCodesAndStderrToTheLog) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  StepHarness ok(sim, "exec", exec_args({"sh", "-c", "echo out; echo err >&2"}));
  StepResult r = ok.run();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.outputs["stdout"], "out\n");
  EXPECT_EQ(r.outputs["exit_code"], 0);
  ASSERT_EQ(ok.logs.size(), 2u);
  EXPECT_EQ(ok.logs[0], "$ kubectl --kubeconfig " + sim.kubeconfig() +
                            " -n clusters-jdoe-hosted exec etcd-0 -c etcd -- sh -c 'echo out; echo err >&2'");
  EXPECT_EQ(ok.logs[1], "stderr of the command: err");

  StepHarness three(sim, "exec", exec_args({"sh", "-c", "echo partial; echo broke >&2; exit 3"}));
  r = three.run();
  EXPECT_EQ(r.status.error_class(), ErrorClass::kFailed);
  EXPECT_EQ(r.status.message(), "exec in pod etcd-0 in namespace clusters-jdoe-hosted: the command exited with status 3: "
                                "broke\ncommand terminated with exit code 3");
  EXPECT_EQ(r.outputs["exit_code"], 3);

  json accept = exec_args({"sh", "-c", "exit 3"});
  accept["accept_exit_codes"] = {0, 3};
  r = StepHarness(sim, "exec", accept).run();
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.outputs["exit_code"], 3);

  json no_pod = exec_args({"true"});
  no_pod["pod"] = "etcd-9";
  r = StepHarness(sim, "exec", no_pod).run();
  EXPECT_EQ(r.status.error_class(), ErrorClass::kNotFound) << r.status.ToString();
}

TEST(Exec, LargeStdoutCappedOrToAFile) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  // 8 MiB of output.
  json big = exec_args({"sh", "-c", "head -c 8388608 /dev/zero | tr '\\0' x"});
  StepResult r = StepHarness(sim, "exec", big).run();
  EXPECT_EQ(r.status.error_class(), ErrorClass::kInvalid);
  EXPECT_NE(r.status.message().find("more than max_output (1048576 bytes)"), std::string::npos) << r.status.message();

  big["stdout_file"] = "big.out";
  StepHarness h(sim, "exec", big);
  r = h.run();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  const std::string file = h.run_dir + "/big.out";
  EXPECT_EQ(std::filesystem::file_size(file), 8388608u);
  EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST(Exec, StdinFromAFileAndOnePoolPerPod) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  json args = exec_args({"sh", "-c", "wc -c"});
  args["stdin_file"] = "in.txt";
  StepHarness h(sim, "exec", args);
  std::ofstream(h.run_dir + "/in.txt") << "twelve bytes";
  StepResult r = h.run();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.outputs["stdout"], "12\n");
  StepContext ctx = h.context();
  EXPECT_EQ(h.impl().implicit_pool(ctx), "exec:source/clusters-jdoe-hosted/etcd-0");
}

}  // namespace
}  // namespace ferry::engine
