#include "mlad/eval/Pot.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "mlad/eval/Metrics.h"

namespace mlad::eval {

namespace {

// Grimshaw's profile log-likelihood of the GPD at theta = gamma / sigma, with
// gamma(theta) = mean log(1 + theta y) and sigma = gamma / theta; theta = 0 is the exponential.
// Returns the log-likelihood and sets gamma and sigma; -inf where the parameters are invalid.
double profile(const std::vector<double>& y, double theta, double* gamma, double* sigma) {
    const double n = double(y.size());
    double meanY = 0;
    for (double v : y) meanY += v;
    meanY /= n;
    if (std::abs(theta) < 1e-12 / std::max(meanY, 1e-300)) {
        *gamma = 0;
        *sigma = meanY;
        return meanY > 0 ? -n * std::log(meanY) - n : -std::numeric_limits<double>::infinity();
    }
    double g = 0;
    for (double v : y) {
        const double a = 1.0 + theta * v;
        if (!(a > 0)) return -std::numeric_limits<double>::infinity();
        g += std::log(a);
    }
    g /= n;
    const double s = g / theta;
    if (!(s > 0) || g == 0) return -std::numeric_limits<double>::infinity();
    *gamma = g;
    *sigma = s;
    return -n * std::log(s) - n * (1.0 + g);
}

}  // namespace

double PotFit::threshold(double q) const {
    if (!(q > 0 && q < 1)) throw std::invalid_argument("POT risk must be in (0, 1)");
    const double r = q * double(n) / double(peaks);
    if (r >= 1.0) return initialThreshold;
    if (gamma == 0.0) return initialThreshold - sigma * std::log(r);
    return initialThreshold + sigma / gamma * (std::pow(r, -gamma) - 1.0);
}

PotFit fitPot(const std::vector<double>& scores, double initialQuantile) {
    if (!(initialQuantile > 0 && initialQuantile < 1))
        throw std::invalid_argument("POT: the initial quantile must be in (0, 1)");
    std::vector<double> finite;
    for (double s : scores) {
        if (std::isnan(s)) throw std::invalid_argument("POT: NaN score");
        if (std::isfinite(s)) finite.push_back(s);
    }
    if (finite.size() < 20)
        throw std::invalid_argument("POT needs at least 20 scores, got " +
                                    std::to_string(finite.size()));
    PotFit fit;
    fit.n = finite.size();
    // At least 10 peaks: small calibration sets lower the initial quantile to 1 - 10 / n, and
    // where ties at the top leave fewer, t moves down to the highest score that at least 10
    // scores exceed (log windows repeat: identical windows have identical scores).
    const double q0 = std::min(initialQuantile, 1.0 - 10.0 / double(fit.n));
    fit.initialThreshold = quantile(finite, q0);
    std::sort(finite.begin(), finite.end());
    auto above = [&](double t) {
        return size_t(finite.end() - std::upper_bound(finite.begin(), finite.end(), t));
    };
    if (above(fit.initialThreshold) < 10) {
        for (size_t i = finite.size() - 1; i-- > 0;) {
            if (above(finite[i]) >= 10) {
                fit.initialThreshold = finite[i];
                break;
            }
        }
    }
    std::vector<double> y;
    for (double s : finite)
        if (s > fit.initialThreshold) y.push_back(s - fit.initialThreshold);
    fit.peaks = y.size();
    if (y.size() < 5)
        throw std::invalid_argument(
            "POT needs at least 5 scores above its initial threshold, "
            "got " +
            std::to_string(y.size()) + " (too few scores or too many ties)");
    const double yMax = *std::max_element(y.begin(), y.end());
    const double yMin = *std::min_element(y.begin(), y.end());
    double yMean = 0;
    for (double v : y) yMean += v;
    yMean /= double(y.size());
    // Admissible theta: 1 + theta y > 0 for all y -> theta > -1 / yMax; Grimshaw's upper bound
    // 2 (mean - min) / min^2 (when min > 0), else a wide one.
    const double lo = -1.0 / yMax * (1.0 - 1e-9);
    const double hi = yMin > 0 ? 2.0 * (yMean - yMin) / (yMin * yMin) : 1e3 / yMean;
    double bestTheta = 0, g = 0, s = 0;
    double best = profile(y, 0.0, &g, &s);
    auto consider = [&](double theta) {
        double gg, ss;
        const double ll = profile(y, theta, &gg, &ss);
        if (ll > best) {
            best = ll;
            bestTheta = theta;
        }
    };
    // Log-spaced grids on both sides of 0.
    const int steps = 200;
    for (int k = 0; k <= steps; ++k) {
        const double f = std::pow(10.0, -8.0 + 8.0 * double(k) / steps);  // 1e-8 .. 1
        consider(lo * f);
        if (hi > 0) consider(hi * f);
    }
    // Golden-section refinement around the best grid point (the bracket: a factor 1.2 on
    // either side, clipped to the admissible range).
    if (bestTheta != 0.0) {
        double a = bestTheta > 0 ? bestTheta / 1.2 : std::max(lo, bestTheta * 1.2);
        double b = bestTheta > 0 ? std::min(hi, bestTheta * 1.2) : bestTheta / 1.2;
        const double phi = (std::sqrt(5.0) - 1.0) / 2.0;
        for (int it = 0; it < 60; ++it) {
            const double c = b - phi * (b - a), d = a + phi * (b - a);
            double gc, sc, gd, sd;
            if (profile(y, c, &gc, &sc) > profile(y, d, &gd, &sd))
                b = d;
            else
                a = c;
        }
        consider((a + b) / 2.0);
    }
    profile(y, bestTheta, &fit.gamma, &fit.sigma);
    return fit;
}

}  // namespace mlad::eval
