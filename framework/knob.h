// Knobs: the typed, validated --set KEY=VALUE settings of a scenario, and the two errors
// a user can meet before a run starts (bad input, missing prerequisite).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace crashlab {

// Bad input from the user (unknown scenario, unknown knob, bad value): exit code 2.
// `key` names the knob or spec-file key at fault ("" if none), so a spec file can point
// at its line.
struct UsageError : std::runtime_error {
  explicit UsageError(const std::string& what, std::string key = "")
      : std::runtime_error(what), key(std::move(key)) {}
  std::string key;
};
// A prerequisite is missing (binary, privilege, FUSE): the scenario cannot run here.
struct PrerequisiteMissing : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A --set KEY=VALUE a scenario accepts.
struct Knob {
  enum class Type { kString, kInt, kBool, kChoice, kChoiceList };
  std::string name;
  std::string default_value;
  std::string help;
  Type type = Type::kString;
  std::vector<std::string> choices;          // kChoice, kChoiceList
  int64_t min = INT64_MIN, max = INT64_MAX;  // kInt
  // A fault's knob that only makes sense for stores with this capability ("" = any).
  std::string needs;
  // kString only, optional: "" if a value is fine, else what is expected.
  std::function<std::string(const std::string&)> check;

  static Knob Int(std::string name, int64_t def, std::string help, int64_t min = INT64_MIN,
                  int64_t max = INT64_MAX);
  static Knob Bool(std::string name, bool def, std::string help);
  static Knob Choice(std::string name, std::string def, std::vector<std::string> choices,
                     std::string help);
  // A comma-separated, non-empty list of distinct choices ("kill,pause").
  static Knob ChoiceList(std::string name, std::string def, std::vector<std::string> choices,
                         std::string help);
  static Knob String(std::string name, std::string def, std::string help);
  // Returns a copy offered only to stores with capability `cap`.
  Knob Needs(std::string cap) const;
  // Throws UsageError (key = name) naming the knob and what it accepts.
  void Validate(const std::string& value) const;
};

// Splits "a,b,c" (no empty items; whitespace around items is dropped).
std::vector<std::string> SplitList(const std::string& s);
std::string JoinList(const std::vector<std::string>& v, const char* sep = ", ");

// The validated knob values of one run (defaults filled in).
class Knobs {
 public:
  Knobs() = default;
  explicit Knobs(std::map<std::string, std::string> values) : values_(std::move(values)) {}
  const std::string& Get(const std::string& name) const;
  int64_t GetInt(const std::string& name) const;
  bool GetBool(const std::string& name) const;
  std::vector<std::string> GetList(const std::string& name) const;
  bool Has(const std::string& name) const { return values_.count(name) != 0; }
  const std::map<std::string, std::string>& All() const { return values_; }

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace crashlab
