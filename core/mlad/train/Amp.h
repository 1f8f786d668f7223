#pragma once
// Mixed-precision training parts that LibTorch's C++ API leaves to the user: an autocast scope
// that compiles against LibTorch 1.13 (Debian) and 2.x (the CUDA machines), and a dynamic loss
// scaler (the scheme of PyTorch's GradScaler). Includes LibTorch: only train/ and the tests use it.
//
// How the trainer uses them (--amp): forward and loss of training and validation batches run in
// an AutocastScope on the training device (float16 on CUDA, bfloat16 on CPU); the loss is
// multiplied by the scale before backward; unscale() divides the gradients back and reports
// whether all are finite; a finite step is clipped and taken, a non-finite one skipped;
// update() then grows or backs off the scale. GMM re-estimation and scoring run at full
// precision (float32 network, float64 GMM).
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace mlad {

/// The reduced precision autocast runs matrix products in: float16 on CUDA, bfloat16 on CPU.
c10::ScalarType autocastDtype(c10::DeviceType device);

/// While alive (and enabled), operations on tensors of `device` run under LibTorch's autocast
/// with autocastDtype(device); the previous state (enabled flag, dtype) comes back on
/// destruction and the cast cache is cleared when the outermost scope ends. Autocast state is
/// per thread: create the scope on the thread that runs the forward pass.
class AutocastScope {
  public:
    AutocastScope(c10::DeviceType device, bool enabled);
    ~AutocastScope();
    AutocastScope(const AutocastScope&) = delete;
    AutocastScope& operator=(const AutocastScope&) = delete;

  private:
    c10::DeviceType device_;
    bool enabled_, wasEnabled_ = false;
    c10::ScalarType previousDtype_ = c10::ScalarType::Float;
};

/// Whether autocast is currently on for `device` on this thread.
bool autocastEnabled(c10::DeviceType device);

struct LossScalerOptions {
    double initScale = 65536.0;  ///< 2^16, PyTorch's default
    double growthFactor = 2.0;
    double backoffFactor = 0.5;
    int64_t growthInterval = 2000;  ///< finite steps in a row before the scale grows
};

/// Dynamic loss scaling for float16 gradients. With the default (power-of-two) factors the
/// scale is always a power of two, so scaling and unscaling are exact in binary floating point:
/// without overflow or underflow the unscaled gradients equal the unscaled-training ones bit for
/// bit.
class LossScaler {
  public:
    explicit LossScaler(LossScalerOptions options = {});

    /// loss * scale (keeps the graph; call backward on the result).
    torch::Tensor scale(const torch::Tensor& loss) const;

    /// Divides every defined gradient of params by the scale in place and returns whether all of
    /// them are finite (one host synchronisation).
    bool unscale(const std::vector<torch::Tensor>& params) const;

    /// After a finite step: counts it and multiplies the scale by growthFactor once
    /// growthInterval finite steps in a row have passed. After a non-finite (skipped) one:
    /// multiplies the scale by backoffFactor and restarts the count.
    void update(bool finite);

    double currentScale() const { return scale_; }
    int64_t growthTracker() const { return tracker_; }
    /// Skipped steps in a row (the trainer gives up when gradients never become finite).
    int64_t consecutiveSkips() const { return skips_; }

    /// For checkpoints: a resumed run continues with the same scale and count.
    void setState(double scale, int64_t growthTracker);

  private:
    LossScalerOptions opt_;
    double scale_;
    int64_t tracker_ = 0, skips_ = 0;
};

}  // namespace mlad
