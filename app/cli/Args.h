#pragma once
// Minimal command-line option parsing for the mlad CLI: --name value, --name=value, repeated
// options, flags and positional arguments. Unknown options are errors, never ignored.
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace mlad::cli {

class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class Args {
  public:
    /// valueOptions take a value; flags do not. Throws UsageError on unknown options.
    Args(int argc, char** argv, int first, const std::set<std::string>& valueOptions,
         const std::set<std::string>& flags) {
        for (int i = first; i < argc; ++i) {
            std::string a = argv[i];
            if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
                std::string name = a.substr(2), value;
                bool hasValue = false;
                if (auto eq = name.find('='); eq != std::string::npos) {
                    value = name.substr(eq + 1);
                    name = name.substr(0, eq);
                    hasValue = true;
                }
                if (flags.count(name)) {
                    if (hasValue) throw UsageError("--" + name + " takes no value");
                    flags_.insert(name);
                } else if (valueOptions.count(name)) {
                    if (!hasValue) {
                        if (i + 1 >= argc) throw UsageError("--" + name + " needs a value");
                        value = argv[++i];
                    }
                    values_[name].push_back(value);
                } else {
                    throw UsageError("unknown option --" + name);
                }
            } else {
                positional_.push_back(a);
            }
        }
    }
    bool flag(const std::string& n) const { return flags_.count(n) > 0; }
    bool has(const std::string& n) const { return values_.count(n) > 0; }
    std::string get(const std::string& n, const std::string& def = "") const {
        auto it = values_.find(n);
        return it == values_.end() ? def : it->second.back();
    }
    std::string require(const std::string& n) const {
        if (!has(n)) throw UsageError("missing --" + n);
        return get(n);
    }
    std::vector<std::string> all(const std::string& n) const {
        auto it = values_.find(n);
        return it == values_.end() ? std::vector<std::string>{} : it->second;
    }
    double getDouble(const std::string& n, double def) const {
        if (!has(n)) return def;
        try {
            size_t pos = 0;
            double v = std::stod(get(n), &pos);
            if (pos != get(n).size()) throw std::invalid_argument("");
            return v;
        } catch (const std::exception&) {
            throw UsageError("--" + n + " expects a number, got '" + get(n) + "'");
        }
    }
    long long getInt(const std::string& n, long long def) const {
        if (!has(n)) return def;
        try {
            size_t pos = 0;
            long long v = std::stoll(get(n), &pos);
            if (pos != get(n).size()) throw std::invalid_argument("");
            return v;
        } catch (const std::exception&) {
            throw UsageError("--" + n + " expects an integer, got '" + get(n) + "'");
        }
    }
    const std::vector<std::string>& positional() const { return positional_; }

  private:
    std::map<std::string, std::vector<std::string>> values_;
    std::set<std::string> flags_;
    std::vector<std::string> positional_;
};

}  // namespace mlad::cli
