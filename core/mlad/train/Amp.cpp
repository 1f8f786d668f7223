#include "mlad/train/Amp.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <cmath>
#include <stdexcept>

// LibTorch 2.4 replaced the per-backend autocast calls (set_enabled for CUDA, set_cpu_enabled,
// set_autocast_gpu_dtype, ...) by calls that take the device type; the old ones are deprecated
// there. Debian 12 ships 1.13, the CUDA machines 2.x: pick by version.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define MLAD_AUTOCAST_BY_DEVICE 1
#else
#define MLAD_AUTOCAST_BY_DEVICE 0
#endif

namespace mlad {

namespace {

void requireSupported(c10::DeviceType device) {
    if (device != c10::DeviceType::CUDA && device != c10::DeviceType::CPU)
        throw std::invalid_argument("mixed precision: only CPU and CUDA are supported");
}

bool enabledOn(c10::DeviceType device) {
#if MLAD_AUTOCAST_BY_DEVICE
    return at::autocast::is_autocast_enabled(device);
#else
    return device == c10::DeviceType::CUDA ? at::autocast::is_enabled()
                                           : at::autocast::is_cpu_enabled();
#endif
}

void setEnabledOn(c10::DeviceType device, bool on) {
#if MLAD_AUTOCAST_BY_DEVICE
    at::autocast::set_autocast_enabled(device, on);
#else
    if (device == c10::DeviceType::CUDA)
        at::autocast::set_enabled(on);
    else
        at::autocast::set_cpu_enabled(on);
#endif
}

c10::ScalarType dtypeOn(c10::DeviceType device) {
#if MLAD_AUTOCAST_BY_DEVICE
    return at::autocast::get_autocast_dtype(device);
#else
    return device == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype()
                                           : at::autocast::get_autocast_cpu_dtype();
#endif
}

void setDtypeOn(c10::DeviceType device, c10::ScalarType dtype) {
#if MLAD_AUTOCAST_BY_DEVICE
    at::autocast::set_autocast_dtype(device, dtype);
#else
    if (device == c10::DeviceType::CUDA)
        at::autocast::set_autocast_gpu_dtype(dtype);
    else
        at::autocast::set_autocast_cpu_dtype(dtype);
#endif
}

}  // namespace

c10::ScalarType autocastDtype(c10::DeviceType device) {
    requireSupported(device);
    return device == c10::DeviceType::CUDA ? c10::ScalarType::Half : c10::ScalarType::BFloat16;
}

bool autocastEnabled(c10::DeviceType device) {
    requireSupported(device);
    return enabledOn(device);
}

AutocastScope::AutocastScope(c10::DeviceType device, bool enabled)
    : device_(device), enabled_(enabled) {
    if (!enabled_) return;
    requireSupported(device_);
    wasEnabled_ = enabledOn(device_);
    previousDtype_ = dtypeOn(device_);
    setDtypeOn(device_, autocastDtype(device_));
    setEnabledOn(device_, true);
    at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
    if (!enabled_) return;
    // The cache holds the low-precision copies of the weights made in this scope; like
    // torch.autocast, drop it when the outermost scope closes (weights change every step).
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    setEnabledOn(device_, wasEnabled_);
    setDtypeOn(device_, previousDtype_);
}

LossScaler::LossScaler(LossScalerOptions options) : opt_(options), scale_(options.initScale) {
    if (!(opt_.initScale > 0) || !std::isfinite(opt_.initScale) || !(opt_.growthFactor > 1) ||
        !(opt_.backoffFactor > 0 && opt_.backoffFactor < 1) || opt_.growthInterval < 1)
        throw std::invalid_argument(
            "LossScaler: need initScale > 0, growthFactor > 1, 0 < backoffFactor < 1, "
            "growthInterval >= 1");
}

torch::Tensor LossScaler::scale(const torch::Tensor& loss) const {
    return loss * scale_;
}

bool LossScaler::unscale(const std::vector<torch::Tensor>& params) const {
    torch::NoGradGuard noGrad;
    const double inverse = 1.0 / scale_;
    std::vector<torch::Tensor> finite;
    for (const auto& p : params) {
        torch::Tensor g = p.grad();
        if (!g.defined()) continue;
        g.mul_(inverse);
        finite.push_back(torch::isfinite(g).all());
    }
    if (finite.empty()) return true;
    return torch::stack(finite).all().item<bool>();
}

void LossScaler::update(bool finite) {
    if (!finite) {
        scale_ *= opt_.backoffFactor;
        tracker_ = 0;
        ++skips_;
        return;
    }
    skips_ = 0;
    if (++tracker_ >= opt_.growthInterval) {
        const double grown = scale_ * opt_.growthFactor;
        if (std::isfinite(grown)) scale_ = grown;
        tracker_ = 0;
    }
}

void LossScaler::setState(double scale, int64_t growthTracker) {
    if (!(scale > 0) || !std::isfinite(scale) || growthTracker < 0)
        throw std::invalid_argument("LossScaler::setState: scale must be positive and finite");
    scale_ = scale;
    tracker_ = growthTracker;
    skips_ = 0;
}

}  // namespace mlad
