// Where ferry's AWS settings come from, in the order the AWS CLI uses: the plan's or command
// line's own settings, then the environment, then the shared credentials and config files.
// Errors name every place that was looked at, never a secret's value.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "engine/aws/s3_address.h"
#include "engine/aws/sigv4.h"

namespace ferry::aws {

// What a plan step or `ferry s3 --...` says; empty means "not said".
struct AwsSettings {
  std::string profile;       // --profile / `profile = ...`: the files only, env keys ignored
  std::string region;        // --region
  std::string endpoint_url;  // --endpoint-url: an S3-compatible store (path-style addressing)
  std::string ca_bundle;     // --ca-bundle: PEM file of CAs to trust instead of the system's
  std::optional<bool> path_style;  // default: on with a custom endpoint, off on AWS
};

// Reads an environment variable; injectable so tests do not touch the process's environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_env();

struct AwsConfig {
  Credentials credentials;
  std::string credentials_source;  // "environment (AWS_ACCESS_KEY_ID, ...)", "profile 'x' in /path"
  std::string profile;             // the profile in effect
  S3Endpoint s3;                   // region, endpoint, addressing
  std::string region;              // the same region, for other services
  std::string ca_bundle;
  std::map<std::string, std::string> service_endpoints;  // "route53" -> URL, from AWS_ENDPOINT_URL_ROUTE_53
};

// Resolves everything. false with *error (naming the files and variables looked at) when no
// credentials are found or a file is malformed.
bool resolve_aws_config(const AwsSettings& settings, const EnvLookup& env, AwsConfig* out, std::string* error);

// A parsed credentials or config file: section -> key -> value. Nested keys ("s3 =" followed by
// indented "addressing_style = path") are stored as "s3.addressing_style".
using IniFile = std::map<std::string, std::map<std::string, std::string>>;
// false with *error as "FILE:LINE: what is wrong" when a line is neither a section, a key =
// value, a comment nor blank.
bool parse_ini(const std::string& text, const std::string& filename, IniFile* out, std::string* error);

}  // namespace ferry::aws
