// Knob validation and typed access to knob values.
#include "framework/knob.h"

#include <algorithm>
#include <charconv>
#include <optional>

namespace crashlab {

namespace {
std::optional<int64_t> ParseInt(const std::string& s) {
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}
std::optional<bool> ParseBool(const std::string& s) {
  if (s == "1" || s == "true" || s == "on" || s == "yes") return true;
  if (s == "0" || s == "false" || s == "off" || s == "no") return false;
  return std::nullopt;
}
Knob Make(std::string name, std::string def, std::string help, Knob::Type type) {
  Knob k;
  k.name = std::move(name);
  k.default_value = std::move(def);
  k.help = std::move(help);
  k.type = type;
  return k;
}
}  // namespace

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    std::string item = s.substr(start, end - start);
    const auto b = item.find_first_not_of(" \t");
    const auto e = item.find_last_not_of(" \t");
    out.push_back(b == std::string::npos ? "" : item.substr(b, e - b + 1));
    start = end + 1;
  }
  return out;
}

std::string JoinList(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

Knob Knob::Int(std::string name, int64_t def, std::string help, int64_t min, int64_t max) {
  Knob k = Make(std::move(name), std::to_string(def), std::move(help), Type::kInt);
  k.min = min;
  k.max = max;
  return k;
}
Knob Knob::Bool(std::string name, bool def, std::string help) {
  return Make(std::move(name), def ? "true" : "false", std::move(help), Type::kBool);
}
Knob Knob::Choice(std::string name, std::string def, std::vector<std::string> choices,
                  std::string help) {
  Knob k = Make(std::move(name), std::move(def), std::move(help), Type::kChoice);
  k.choices = std::move(choices);
  return k;
}
Knob Knob::ChoiceList(std::string name, std::string def, std::vector<std::string> choices,
                      std::string help) {
  Knob k = Make(std::move(name), std::move(def), std::move(help), Type::kChoiceList);
  k.choices = std::move(choices);
  return k;
}
Knob Knob::String(std::string name, std::string def, std::string help) {
  return Make(std::move(name), std::move(def), std::move(help), Type::kString);
}
Knob Knob::Needs(std::string cap) const {
  Knob k = *this;
  k.needs = std::move(cap);
  return k;
}

void Knob::Validate(const std::string& value) const {
  const auto bad = [&](const std::string& expected) {
    return UsageError("bad value '" + value + "' for " + name + ": expected " + expected, name);
  };
  const auto is_choice = [&](const std::string& v) {
    return std::find(choices.begin(), choices.end(), v) != choices.end();
  };
  switch (type) {
    case Type::kString:
      if (check) {
        if (const std::string expected = check(value); !expected.empty()) throw bad(expected);
      }
      return;
    case Type::kBool:
      if (!ParseBool(value)) throw bad("true or false");
      return;
    case Type::kInt: {
      auto v = ParseInt(value);
      if (!v || *v < min || *v > max) {
        std::string range = min == INT64_MIN
                                ? ""
                                : " in [" + std::to_string(min) + ", " +
                                      (max == INT64_MAX ? "..." : std::to_string(max)) + "]";
        throw bad("an integer" + range);
      }
      return;
    }
    case Type::kChoice:
      if (!is_choice(value)) throw bad("one of " + JoinList(choices));
      return;
    case Type::kChoiceList: {
      const auto items = SplitList(value);
      for (size_t i = 0; i < items.size(); ++i) {
        if (!is_choice(items[i]) || std::find(items.begin(), items.begin() + static_cast<long>(i),
                                              items[i]) != items.begin() + static_cast<long>(i)) {
          throw bad("a comma-separated list of distinct " + JoinList(choices, "|"));
        }
      }
      return;
    }
  }
}

const std::string& Knobs::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw std::logic_error("scenario asked for undeclared knob " + name);
  return it->second;
}
int64_t Knobs::GetInt(const std::string& name) const {
  auto v = ParseInt(Get(name));
  if (!v) throw std::logic_error("knob " + name + " is not an integer");
  return *v;
}
bool Knobs::GetBool(const std::string& name) const {
  auto v = ParseBool(Get(name));
  if (!v) throw std::logic_error("knob " + name + " is not a boolean");
  return *v;
}
std::vector<std::string> Knobs::GetList(const std::string& name) const {
  return SplitList(Get(name));
}

}  // namespace crashlab
