#include "engine/kube/lease_record.h"

#include <cctype>
#include <cstdio>
#include <ctime>

#include "engine/base/identity.h"

namespace ferry::engine::kube {
namespace {

constexpr size_t kMaxName = 63;  // a DNS-1123 label
constexpr std::string_view kPrefix = "ferry-";

// FNV-1a, 32 bits: small, stable across machines and compilers (std::hash is neither promised).
// Not a defence against anyone: whoever can write Leases can delete them.
uint32_t fnv1a(std::string_view s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

bool digits(std::string_view s, size_t at, size_t n, int* out) {
  if (at + n > s.size()) return false;
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// "2026-11-26T12:00:00" and the milliseconds (for format_micro_time's fraction).
std::string utc_seconds_text(int64_t unix_ms, int64_t* ms) {
  int64_t secs = unix_ms / 1000;
  *ms = unix_ms % 1000;
  if (*ms < 0) {
    *ms += 1000;
    secs -= 1;
  }
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

}  // namespace

std::string lease_name(std::string_view hold) {
  std::string readable;
  for (char ch : hold) {
    const unsigned char c = static_cast<unsigned char>(std::tolower(static_cast<unsigned char>(ch)));
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      readable += static_cast<char>(c);
    } else if (!readable.empty() && readable.back() != '-') {
      readable += '-';
    }
  }
  char hash[9];
  std::snprintf(hash, sizeof hash, "%08x", fnv1a(hold));
  const size_t room = kMaxName - kPrefix.size() - 1 - 8;
  if (readable.size() > room) readable.resize(room);
  while (!readable.empty() && readable.back() == '-') readable.pop_back();
  return std::string(kPrefix) + readable + (readable.empty() ? "" : "-") + hash;
}

LeaseHolder LeaseHolder::here(std::string run_dir, std::string version) {
  return LeaseHolder{user_name(), host_name(), std::move(run_dir), std::move(version)};
}

LeaseHolder LeaseHolder::parse(std::string_view identity) {
  const json j = json::parse(identity, nullptr, false);
  if (!j.is_object() || !j.contains("user") || !j["user"].is_string()) return LeaseHolder{std::string(identity), "", "", ""};
  auto text = [&](const char* key) { return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : ""; };
  return LeaseHolder{text("user"), text("host"), text("runDir"), text("version")};
}

std::string LeaseHolder::identity() const {
  return json{{"user", user}, {"host", host}, {"runDir", run_dir}, {"version", version}}.dump();
}

bool LeaseHolder::same_run(const LeaseHolder& other) const {
  return !user.empty() && user == other.user && host == other.host && run_dir == other.run_dir;
}

std::string LeaseHolder::describe() const {
  if (host.empty() && run_dir.empty() && version.empty()) return "\"" + user + "\" (not a ferry run)";
  return user + " on " + (host.empty() ? "an unnamed host" : host) + ", run " + run_dir + ", ferry " + version;
}

std::optional<int64_t> Lease::valid_until_ms() const {
  const std::optional<int64_t> from = renew_ms ? renew_ms : acquire_ms;
  if (!from) return std::nullopt;
  return *from + duration_s * 1000;
}

bool Lease::expired(int64_t now_ms) const {
  if (holder.user.empty()) return true;
  const std::optional<int64_t> until = valid_until_ms();
  return !until || *until < now_ms;
}

std::string Lease::label() const { return "Lease " + name + " in namespace " + ns; }

bool lease_from_object(const json& object, Lease* out, std::string* error) {
  if (!object.is_object() || object.value("kind", "") != "Lease") {
    *error = "not a Lease: " + object.dump().substr(0, 200);
    return false;
  }
  const json md = object.value("metadata", json::object());
  const json spec = object.value("spec", json::object());
  Lease l;
  l.name = md.value("name", "");
  l.ns = md.value("namespace", "");
  l.uid = md.value("uid", "");
  l.resource_version = md.value("resourceVersion", "");
  l.hold = md.value("annotations", json::object()).value(kHoldAnnotation, "");
  const std::string identity = spec.value("holderIdentity", "");
  if (!identity.empty()) l.holder = LeaseHolder::parse(identity);
  l.duration_s = spec.value("leaseDurationSeconds", int64_t{0});
  l.transitions = spec.value("leaseTransitions", int64_t{0});
  for (auto [key, field] : {std::pair{"acquireTime", &l.acquire_ms}, std::pair{"renewTime", &l.renew_ms}}) {
    if (!spec.contains(key) || spec[key].is_null()) continue;
    *field = spec[key].is_string() ? parse_micro_time(spec[key].get<std::string>()) : std::nullopt;
    if (!*field) {
      *error = l.label() + ": spec." + key + " is not a time: " + spec[key].dump();
      return false;
    }
  }
  l.object = object;
  *out = std::move(l);
  return true;
}

json new_lease_object(const std::string& hold, const std::string& ns, const LeaseHolder& holder, int64_t duration_s,
                      int64_t now_ms) {
  const std::string now = format_micro_time(now_ms);
  return {{"apiVersion", "coordination.k8s.io/v1"},
          {"kind", "Lease"},
          {"metadata",
           {{"name", lease_name(hold)},
            {"namespace", ns},
            {"labels", {{kLeaseLabel, kLeaseLabelValue}}},
            {"annotations", {{kHoldAnnotation, hold}}}}},
          {"spec",
           {{"holderIdentity", holder.identity()},
            {"leaseDurationSeconds", duration_s},
            {"acquireTime", now},
            {"renewTime", now},
            {"leaseTransitions", 0}}}};
}

std::string format_micro_time(int64_t unix_ms) {
  int64_t ms = 0;
  std::string text = utc_seconds_text(unix_ms, &ms);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%03d000Z", static_cast<int>(ms));
  return text + frac;
}

std::string format_utc_seconds(int64_t unix_ms) {
  int64_t ms = 0;
  return utc_seconds_text(unix_ms, &ms) + "Z";
}

std::optional<int64_t> parse_micro_time(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)
  int y, mo, d, h, mi, sec;
  if (!digits(s, 0, 4, &y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, &mo) || s[7] != '-' ||
      !digits(s, 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, &h) || s[13] != ':' ||
      !digits(s, 14, 2, &mi) || s[16] != ':' || !digits(s, 17, 2, &sec)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  size_t at = 19;
  int64_t ms = 0;
  if (at < s.size() && s[at] == '.') {
    size_t n = 0;
    int64_t scale = 100;
    for (++at; at < s.size() && std::isdigit(static_cast<unsigned char>(s[at])); ++at, ++n) {
      ms += (s[at] - '0') * scale;
      scale /= 10;
    }
    if (n == 0) return std::nullopt;
  }
  int64_t offset_min = 0;
  if (at + 1 == s.size() && (s[at] == 'Z' || s[at] == 'z')) {
    // UTC
  } else if (at + 6 == s.size() && (s[at] == '+' || s[at] == '-') && s[at + 3] == ':') {
    int oh, om;
    if (!digits(s, at + 1, 2, &oh) || !digits(s, at + 4, 2, &om)) return std::nullopt;
    offset_min = (s[at] == '+' ? 1 : -1) * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return (static_cast<int64_t>(timegm(&tm)) - offset_min * 60) * 1000 + ms;
}

}  // namespace ferry::engine::kube
