#include "mlad/viz/AttentionMath.h"

#include <stdexcept>
#include <string>

namespace mlad::viz {

namespace {
void checkSizes(size_t have, int layers, int heads, int L, const char* what) {
    if (layers < 1 || heads < 1 || L < 1)
        throw std::invalid_argument(std::string(what) + ": layers, heads and length must be >= 1");
    const size_t want = size_t(layers) * size_t(heads) * size_t(L) * size_t(L);
    if (have != want)
        throw std::invalid_argument(std::string(what) + ": " + std::to_string(have) +
                                    " weights for " + std::to_string(want) + " cells");
}
}  // namespace

std::vector<float> headAverage(const std::vector<float>& weights, int layers, int heads, int L) {
    checkSizes(weights.size(), layers, heads, L, "headAverage");
    const size_t cells = size_t(L) * size_t(L);
    std::vector<float> out(size_t(layers) * cells, 0.0f);
    for (int l = 0; l < layers; ++l) {
        float* dst = out.data() + size_t(l) * cells;
        for (int h = 0; h < heads; ++h) {
            const float* src = weights.data() + (size_t(l) * size_t(heads) + size_t(h)) * cells;
            for (size_t c = 0; c < cells; ++c) dst[c] += src[c];
        }
        for (size_t c = 0; c < cells; ++c) dst[c] /= float(heads);
    }
    return out;
}

std::vector<float> attentionRollout(const std::vector<float>& averaged, int layers, int L) {
    checkSizes(averaged.size(), layers, 1, L, "attentionRollout");
    const size_t n = size_t(L), cells = n * n;
    std::vector<double> r(cells, 0.0), mix(cells), next(cells);
    for (size_t i = 0; i < n; ++i) r[i * n + i] = 1.0;  // R_0 = I
    std::vector<float> out(size_t(layers) * cells);
    for (int l = 0; l < layers; ++l) {
        const float* a = averaged.data() + size_t(l) * cells;
        for (size_t c = 0; c < cells; ++c) mix[c] = 0.5 * double(a[c]);
        for (size_t i = 0; i < n; ++i) mix[i * n + i] += 0.5;
        // next = mix * r (row i of the result mixes the rows of r)
        for (size_t i = 0; i < n; ++i) {
            double* row = next.data() + i * n;
            for (size_t j = 0; j < n; ++j) row[j] = 0.0;
            for (size_t k = 0; k < n; ++k) {
                const double m = mix[i * n + k];
                if (m == 0.0) continue;
                const double* rk = r.data() + k * n;
                for (size_t j = 0; j < n; ++j) row[j] += m * rk[j];
            }
        }
        r.swap(next);
        for (size_t c = 0; c < cells; ++c) out[size_t(l) * cells + c] = float(r[c]);
    }
    return out;
}

}  // namespace mlad::viz
