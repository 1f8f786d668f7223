#include "mlad/viz/Svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace mlad::viz {

namespace {

const char* const kColours[] = {"#1f4e79", "#c0392b", "#70ad47", "#ed7d31", "#7b3f9e", "#5b9bd5"};

std::string num(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.1f", v);
    return b;
}

std::string tick(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.3g", v);
    return b;
}

std::string header(int w, int h, const std::string& title) {
    std::ostringstream o;
    o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h
      << "\" viewBox=\"0 0 " << w << " " << h
      << "\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << w / 2 << "\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" "
      << "font-weight=\"bold\">" << xmlEscape(title) << "</text>\n";
    return o.str();
}

}  // namespace

std::string xmlEscape(const std::string& s) {
    std::string out;
    for (char c : s) switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&apos;";
                break;
            default:
                out.push_back(c);
        }
    return out;
}

std::string barChartSvg(const std::string& title, const std::string& axisLabel,
                        const std::vector<Bar>& bars, double maxValue) {
    if (!(maxValue > 0)) maxValue = 1;
    size_t longest = 8;
    for (const auto& b : bars) longest = std::max(longest, b.label.size());
    const int left = int(std::min<size_t>(longest, 40) * 7 + 16), plotW = 420, row = 22;
    const int top = 36, w = left + plotW + 70, h = top + int(bars.size()) * row + 50;
    std::ostringstream o;
    o << header(w, h, title);
    const auto xOf = [&](double v) {
        return left + plotW * std::clamp(v, 0.0, maxValue) / maxValue;
    };
    for (int t = 0; t <= 5; ++t) {
        const double v = maxValue * t / 5.0;
        const double x = xOf(v);
        o << "<line x1=\"" << num(x) << "\" y1=\"" << top << "\" x2=\"" << num(x) << "\" y2=\""
          << top + int(bars.size()) * row << "\" stroke=\"#ddd\"/>\n"
          << "<text x=\"" << num(x) << "\" y=\"" << top + int(bars.size()) * row + 16
          << "\" text-anchor=\"middle\">" << tick(v) << "</text>\n";
    }
    for (size_t i = 0; i < bars.size(); ++i) {
        const auto& b = bars[i];
        const int y = top + int(i) * row;
        o << "<text x=\"" << left - 6 << "\" y=\"" << y + 15 << "\" text-anchor=\"end\">"
          << xmlEscape(b.label.substr(0, 40)) << "</text>\n";
        if (!std::isfinite(b.value)) {
            o << "<text x=\"" << left + 4 << "\" y=\"" << y + 15 << "\" fill=\"#888\">n/a</text>\n";
            continue;
        }
        o << "<rect x=\"" << left << "\" y=\"" << y + 4 << "\" width=\"" << num(xOf(b.value) - left)
          << "\" height=\"" << row - 8 << "\" fill=\"" << kColours[0] << "\"><title>"
          << xmlEscape(b.label) << ": " << tick(b.value) << "</title></rect>\n"
          << "<text x=\"" << num(xOf(b.value) + 4 + (b.spread > 0 ? 8 : 0)) << "\" y=\"" << y + 15
          << "\">" << tick(b.value) << "</text>\n";
        if (b.spread > 0)
            o << "<line x1=\"" << num(xOf(b.value - b.spread)) << "\" y1=\"" << y + row / 2
              << "\" x2=\"" << num(xOf(b.value + b.spread)) << "\" y2=\"" << y + row / 2
              << "\" stroke=\"black\"/>\n";
    }
    o << "<text x=\"" << left + plotW / 2 << "\" y=\"" << h - 8 << "\" text-anchor=\"middle\">"
      << xmlEscape(axisLabel) << "</text>\n</svg>\n";
    return o.str();
}

std::string lineChartSvg(const std::string& title, const std::string& xLabel,
                         const std::string& yLabel, const std::vector<Series>& series, double yMin,
                         double yMax) {
    double xMin = 1e300, xMax = -1e300, lo = 1e300, hi = -1e300;
    for (const auto& s : series)
        for (const auto& [x, y] : s.points) {
            xMin = std::min(xMin, x), xMax = std::max(xMax, x);
            if (std::isfinite(y)) lo = std::min(lo, y), hi = std::max(hi, y);
        }
    if (!(xMax > xMin)) xMin -= 1, xMax += 1;
    if (!(yMax > yMin)) yMin = lo, yMax = hi;
    if (!(yMax > yMin)) yMin -= 1, yMax += 1;
    const int left = 60, top = 36, plotW = 480, plotH = 260;
    const int w = left + plotW + 150, h = top + plotH + 50;
    const auto px = [&](double x) { return left + plotW * (x - xMin) / (xMax - xMin); };
    const auto py = [&](double y) {
        return top + plotH * (1.0 - (std::clamp(y, yMin, yMax) - yMin) / (yMax - yMin));
    };
    std::ostringstream o;
    o << header(w, h, title);
    for (int t = 0; t <= 5; ++t) {
        const double y = yMin + (yMax - yMin) * t / 5.0, x = xMin + (xMax - xMin) * t / 5.0;
        o << "<line x1=\"" << left << "\" y1=\"" << num(py(y)) << "\" x2=\"" << left + plotW
          << "\" y2=\"" << num(py(y)) << "\" stroke=\"#ddd\"/>\n"
          << "<text x=\"" << left - 6 << "\" y=\"" << num(py(y) + 4) << "\" text-anchor=\"end\">"
          << tick(y) << "</text>\n"
          << "<text x=\"" << num(px(x)) << "\" y=\"" << top + plotH + 16
          << "\" text-anchor=\"middle\">" << tick(x) << "</text>\n";
    }
    for (size_t i = 0; i < series.size(); ++i) {
        const char* colour = kColours[i % (sizeof kColours / sizeof kColours[0])];
        std::string path;
        for (const auto& [x, y] : series[i].points)
            if (std::isfinite(y))
                path += (path.empty() ? "M" : " L") + num(px(x)) + " " + num(py(y));
        o << "<path d=\"" << path << "\" fill=\"none\" stroke=\"" << colour
          << "\" stroke-width=\"2\"/>\n";
        for (const auto& [x, y] : series[i].points)
            if (std::isfinite(y))
                o << "<circle cx=\"" << num(px(x)) << "\" cy=\"" << num(py(y))
                  << "\" r=\"3\" fill=\"" << colour << "\"><title>" << xmlEscape(series[i].name)
                  << " at " << tick(x) << ": " << tick(y) << "</title></circle>\n";
        o << "<rect x=\"" << left + plotW + 14 << "\" y=\"" << top + 8 + int(i) * 18
          << "\" width=\"12\" height=\"12\" fill=\"" << colour << "\"/>\n<text x=\""
          << left + plotW + 32 << "\" y=\"" << top + 18 + int(i) * 18 << "\">"
          << xmlEscape(series[i].name) << "</text>\n";
    }
    o << "<text x=\"" << left + plotW / 2 << "\" y=\"" << h - 8 << "\" text-anchor=\"middle\">"
      << xmlEscape(xLabel) << "</text>\n<text transform=\"translate(14," << top + plotH / 2
      << ") rotate(-90)\" text-anchor=\"middle\">" << xmlEscape(yLabel) << "</text>\n</svg>\n";
    return o.str();
}

}  // namespace mlad::viz
