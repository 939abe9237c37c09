// What steps may use besides their arguments: tools and backends chosen on the command line.
// One instance per run, read-only while steps run. A backend adds its settings here.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "engine/aws/credentials.h"

namespace ferry::engine {

struct Services {
  // kubectl or oc: --kubectl, $FERRY_KUBECTL, else found on PATH.
  std::string kubectl = "kubectl";
  // `approve`: --yes answers every gate yes; otherwise a human is asked.
  bool assume_yes = false;
  // Asks a human a yes/no question on the terminal. Empty when there is no terminal to ask on.
  std::function<std::optional<bool>(const std::string& question)> ask;
  // AWS (upload, presign, dns_wait): run-wide settings; a step's own `profile`, `region` and
  // `endpoint` override them. Credentials are looked up from `aws_env` (the process's
  // environment when unset) and the AWS files when a step runs.
  aws::AwsSettings aws;
  aws::EnvLookup aws_env;
};

}  // namespace ferry::engine
