#include "engine/aws/credentials.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace ferry::aws {
namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::string get(const EnvLookup& env, const std::string& name) { return env(name).value_or(""); }

// Reads `path` into *ini. Returns false if the file does not exist (not an error: the caller
// reports where it looked); sets *error if it exists but cannot be parsed.
bool load_ini(const std::string& path, IniFile* ini, std::string* error) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_ini(ss.str(), path, ini, error);
}

std::string home_file(const EnvLookup& env, const std::string& override_var, const std::string& rel) {
  std::string p = get(env, override_var);
  if (!p.empty()) {
    if (p.rfind("~/", 0) == 0) p = get(env, "HOME") + p.substr(1);
    return p;
  }
  return get(env, "HOME") + "/.aws/" + rel;
}

const std::map<std::string, std::string>* section(const IniFile& ini, const std::string& name) {
  auto it = ini.find(name);
  return it == ini.end() ? nullptr : &it->second;
}

std::string value(const std::map<std::string, std::string>* sec, const std::string& key) {
  if (sec == nullptr) return "";
  auto it = sec->find(key);
  return it == sec->end() ? "" : it->second;
}

// Takes keys from a profile section. false with *error when it has one key of the pair only.
bool credentials_from(const std::map<std::string, std::string>* sec, const std::string& where, Credentials* out,
                      bool* found, std::string* error) {
  *found = false;
  std::string id = value(sec, "aws_access_key_id");
  std::string secret = value(sec, "aws_secret_access_key");
  if (id.empty() && secret.empty()) return true;
  if (id.empty() || secret.empty()) {
    *error = where + " has " + (id.empty() ? "aws_secret_access_key but no aws_access_key_id"
                                           : "aws_access_key_id but no aws_secret_access_key");
    return false;
  }
  *out = Credentials{id, secret, value(sec, "aws_session_token")};
  *found = true;
  return true;
}

}  // namespace

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

bool parse_ini(const std::string& text, const std::string& filename, IniFile* out, std::string* error) {
  std::istringstream in(text);
  std::string line, current, parent;
  bool in_section = false;
  for (int n = 1; std::getline(in, line); ++n) {
    std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    const bool indented = line[0] == ' ' || line[0] == '\t';
    if (t.front() == '[') {
      if (t.back() != ']') {
        *error = filename + ":" + std::to_string(n) + ": a section header must end with ']'";
        return false;
      }
      current = trim(t.substr(1, t.size() - 2));
      (*out)[current];
      in_section = true;
      parent.clear();
      continue;
    }
    size_t eq = t.find('=');
    if (eq == std::string::npos) {
      *error = filename + ":" + std::to_string(n) + ": expected 'key = value' or '[section]'";
      return false;
    }
    if (!in_section) {
      *error = filename + ":" + std::to_string(n) + ": 'key = value' before any [section]";
      return false;
    }
    std::string key = trim(t.substr(0, eq));
    std::string val = trim(t.substr(eq + 1));
    if (indented && !parent.empty()) {
      (*out)[current][parent + "." + key] = val;
      continue;
    }
    parent = val.empty() ? key : "";  // "s3 =" opens a nested block
    (*out)[current][key] = val;
  }
  return true;
}

bool resolve_aws_config(const AwsSettings& settings, const EnvLookup& env, AwsConfig* out, std::string* error) {
  error->clear();
  const std::string creds_path = home_file(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
  const std::string config_path = home_file(env, "AWS_CONFIG_FILE", "config");
  IniFile creds_ini, config_ini;
  const bool have_creds_file = load_ini(creds_path, &creds_ini, error);
  if (!error->empty()) return false;
  const bool have_config_file = load_ini(config_path, &config_ini, error);
  if (!error->empty()) return false;

  out->profile = !settings.profile.empty() ? settings.profile : get(env, "AWS_PROFILE");
  const bool explicit_profile = !settings.profile.empty();
  if (out->profile.empty()) out->profile = "default";
  const auto* creds_sec = section(creds_ini, out->profile);
  const auto* config_sec =
      section(config_ini, out->profile == "default" ? "default" : "profile " + out->profile);
  if (config_sec == nullptr && out->profile != "default") config_sec = section(config_ini, out->profile);

  // Credentials: environment (unless a profile was named explicitly, as the AWS CLI does), then
  // the credentials file, then the config file.
  bool found = false;
  std::string id = get(env, "AWS_ACCESS_KEY_ID"), secret = get(env, "AWS_SECRET_ACCESS_KEY");
  if (!explicit_profile && (!id.empty() || !secret.empty())) {
    if (id.empty() || secret.empty()) {
      *error = std::string("the environment has ") +
               (id.empty() ? "AWS_SECRET_ACCESS_KEY but not AWS_ACCESS_KEY_ID"
                           : "AWS_ACCESS_KEY_ID but not AWS_SECRET_ACCESS_KEY") +
               "; set both, or unset both to use the credentials file";
      return false;
    }
    out->credentials = Credentials{id, secret, get(env, "AWS_SESSION_TOKEN")};
    out->credentials_source = "environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)";
    found = true;
  }
  if (!found) {
    std::string where = "profile '" + out->profile + "' in " + creds_path;
    if (!credentials_from(creds_sec, where, &out->credentials, &found, error)) return false;
    if (found) out->credentials_source = where;
  }
  if (!found) {
    std::string where = "profile '" + out->profile + "' in " + config_path;
    if (!credentials_from(config_sec, where, &out->credentials, &found, error)) return false;
    if (found) out->credentials_source = where;
  }
  if (!found) {
    std::string looked;
    if (explicit_profile) {
      looked = "the environment was not used because a profile was named; ";
    } else {
      looked = "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set; ";
    }
    looked += have_creds_file ? (creds_sec ? "profile '" + out->profile + "' in " + creds_path + " has no keys"
                                           : creds_path + " has no profile '" + out->profile + "'")
                              : creds_path + " does not exist";
    looked += "; ";
    looked += have_config_file ? (config_sec ? "profile '" + out->profile + "' in " + config_path + " has no keys"
                                             : config_path + " has no profile '" + out->profile + "'")
                               : config_path + " does not exist";
    *error = "no AWS credentials found: " + looked +
             " (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile that has them)";
    return false;
  }

  // Region: settings, AWS_REGION, AWS_DEFAULT_REGION, the profile's config, us-east-1.
  out->region = settings.region;
  if (out->region.empty()) out->region = get(env, "AWS_REGION");
  if (out->region.empty()) out->region = get(env, "AWS_DEFAULT_REGION");
  if (out->region.empty()) out->region = value(config_sec, "region");
  if (out->region.empty()) out->region = "us-east-1";

  out->s3.region = out->region;
  out->s3.endpoint_url = settings.endpoint_url;
  if (out->s3.endpoint_url.empty()) out->s3.endpoint_url = get(env, "AWS_ENDPOINT_URL_S3");
  if (out->s3.endpoint_url.empty()) out->s3.endpoint_url = get(env, "AWS_ENDPOINT_URL");
  if (out->s3.endpoint_url.empty()) out->s3.endpoint_url = value(config_sec, "endpoint_url");
  if (settings.path_style) {
    out->s3.path_style = *settings.path_style;
  } else {
    std::string style = value(config_sec, "s3.addressing_style");
    out->s3.path_style = style == "path" || (style != "virtual" && !out->s3.endpoint_url.empty());
  }
  std::string r53 = get(env, "AWS_ENDPOINT_URL_ROUTE_53");
  if (r53.empty()) r53 = get(env, "AWS_ENDPOINT_URL");
  if (!r53.empty()) out->service_endpoints["route53"] = r53;

  out->ca_bundle = settings.ca_bundle;
  if (out->ca_bundle.empty()) out->ca_bundle = get(env, "AWS_CA_BUNDLE");
  if (out->ca_bundle.empty()) out->ca_bundle = value(config_sec, "ca_bundle");
  return true;
}

}  // namespace ferry::aws
