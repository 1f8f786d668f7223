#pragma once
// Small standalone SVG charts for reports written without Qt (the CLI's experiment reports):
// a horizontal bar chart with optional error bars, and a line chart. Text is XML-escaped; the
// documents open in any browser and render on GitHub.
#include <string>
#include <utility>
#include <vector>

namespace mlad::viz {

struct Bar {
    std::string label;
    double value = 0;
    double spread = 0;  ///< drawn as an error bar when > 0
};

/// Bars from 0 to `maxValue` (values outside are clamped; non-finite ones drawn as absent).
std::string barChartSvg(const std::string& title, const std::string& axisLabel,
                        const std::vector<Bar>& bars, double maxValue = 1.0);

struct Series {
    std::string name;
    std::vector<std::pair<double, double>> points;  ///< (x, y), in x order
};

/// Lines with point markers over [xMin, xMax] x [yMin, yMax] (from the data when equal).
std::string lineChartSvg(const std::string& title, const std::string& xLabel,
                         const std::string& yLabel, const std::vector<Series>& series,
                         double yMin = 0, double yMax = 1);

/// XML text escaping (&, <, >, ", ').
std::string xmlEscape(const std::string& s);

}  // namespace mlad::viz
