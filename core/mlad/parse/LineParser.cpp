#include "mlad/parse/LineParser.h"

#include <algorithm>
#include <stdexcept>

#include "mlad/util/Strings.h"

namespace mlad {

LineParser::LineParser(const Preset& preset)
    : preset_(preset),
      format_(preset.format),
      masker_(preset.masks),
      drain_(DrainOptions{preset.depth, preset.similarity, preset.maxChildren,
                          size_t(preset.maxTemplates), DrainOptions{}.maxLeafTemplates}),
      time_(preset.timeFormat) {
    if (format_.contentIndex() < 0)
        throw std::invalid_argument("format '" + preset.format + "' has no <Content> field");
    for (const auto& f : preset.timeFields) {
        int i = format_.fieldIndex(f);
        if (i < 0)
            throw std::invalid_argument("preset " + preset.name + ": time field <" + f +
                                        "> is not in the format");
        timeFields_.push_back(i);
    }
    if (preset.label.kind == LabelRule::Kind::Field) {
        labelField_ = format_.fieldIndex(preset.label.field);
        if (labelField_ < 0)
            throw std::invalid_argument("preset " + preset.name + ": label field <" +
                                        preset.label.field + "> is not in the format");
    }
}

bool LineParser::split(std::string_view rawLine, ParsedLine& out) const {
    out.line = trim(rawLine);
    out.cluster = -1;
    out.ts.reset();
    out.label = -1;
    if (!format_.match(out.line, out.spans)) {
        // "... KERNEL FATAL" with nothing after the level: accept it with an empty Content
        // rather than dropping an event that may matter (logparser drops it).
        if (!format_.emptyTailAllowed()) return false;
        std::string tail(out.line);
        tail.push_back(' ');
        if (!format_.match(tail, out.spans)) return false;
        const auto n = uint32_t(out.line.size());
        for (auto& sp : out.spans) {
            sp.begin = std::min(sp.begin, n);
            sp.end = std::min(sp.end, n);
        }
    }
    out.masked.assign(out.field(size_t(format_.contentIndex())));
    masker_.apply(out.masked);
    return true;
}

bool LineParser::parse(std::string_view rawLine, ParsedLine& out) {
    if (!split(rawLine, out)) return false;
    finish(out);
    return true;
}

void LineParser::finish(ParsedLine& out) {
    out.cluster = drain_.add(out.masked);
    if (!timeFields_.empty()) {
        if (timeFields_.size() == 1) {
            out.ts = time_.parse(out.field(size_t(timeFields_[0])));
        } else {
            timeScratch_.clear();
            for (size_t i = 0; i < timeFields_.size(); ++i) {
                if (i) timeScratch_.push_back(' ');
                timeScratch_.append(out.field(size_t(timeFields_[i])));
            }
            out.ts = time_.parse(timeScratch_);
        }
    }
    if (labelField_ >= 0)
        out.label = out.field(size_t(labelField_)) == preset_.label.normalValue ? 0 : 1;
}

}  // namespace mlad
