// Every step type the engine can run: one line each. Every type of the schema registry must be
// here (tests/engine/registry_test.cc checks it); the executor still fails a step of a type it
// cannot find with a clear error rather than crash.
#include "engine/steps/registry.h"

#include "engine/steps/aws_steps.h"
#include "engine/steps/kube_steps.h"
#include "engine/steps/local_steps.h"

namespace ferry::engine {

const StepImpl* find_step_impl(const std::string& type) {
  static const std::vector<StepImpl> impls = {
      noop_step(),
      shell_step(),
      wait_step(),
      approve_step(),
      upload_step(),
      presign_step(),
      dns_wait_step(),
      s3_check_step(),
      patch_step(),
      scale_step(),
      create_step(),
      delete_step(),
      exec_step(),
      snapshot_step(),
      apply_step(),
      backup_step(),
      restore_step(),
      assert_step(),
  };
  for (const StepImpl& impl : impls) {
    if (impl.type == type) return &impl;
  }
  return nullptr;
}

}  // namespace ferry::engine
