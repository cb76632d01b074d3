// oneDNN kernels for SegFusion's wasm backend. Every function works in place on Float32Array views of
// the wasm heap that the JS side hands over (no copies, no layout changes: activations stay NHWC /
// NDHWC as tfjs lays them out); only filters are reordered, into and out of oneDNN's blocked layouts.
// Primitives are built once per shape and kept (oneDNN's own cache would still rebuild descriptors on
// every call). Shapes arrive as one Int32Array, spatially generic so 2D and 3D share the code:
//   conv:  [s, N, Ci, Co, in[s], kernel[s], out[s], stride[s], dilation[s], padBefore[s], padAfter[s]]
//   pool:  [s, N, C, in[s], kernel[s], out[s], stride[s], padBefore[s], padAfter[s]]
// with tfjs's conventions (dilation 1 = none); s is 2 or 3.
#include <napi.h>
#include <omp.h>

#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "oneapi/dnnl/dnnl.hpp"

using dnnl::algorithm;
using dnnl::memory;
using dnnl::prop_kind;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

dnnl::engine& cpu() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream& strm() {
  static dnnl::stream s(cpu());
  return s;
}

// The data pointer of a Float32Array or Int32Array, whether its buffer is an ArrayBuffer or the wasm
// heap's SharedArrayBuffer (node-addon-api's ArrayBuffer wrapper refuses shared buffers).
float* dataOf(const Napi::Value& v, size_t expected, const char* what) {
  napi_env env = v.Env();
  bool isTyped = false;
  napi_is_typedarray(env, v, &isTyped);
  if (!isTyped) throw Napi::TypeError::New(env, std::string(what) + " must be a Float32Array");
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr);
  if (type != napi_float32_array) throw Napi::TypeError::New(env, std::string(what) + " must be a Float32Array");
  if (length != expected) {
    throw Napi::RangeError::New(env, std::string(what) + " has " + std::to_string(length) + " elements, the shape needs " + std::to_string(expected));
  }
  return static_cast<float*>(data);
}

// The primitive caches and their weight buffers are shared by every JS thread that loads the addon
// (a worker thread trains while the main thread could predict): kernels run one at a time.
std::mutex kernelLock;

// Runs a kernel's body: oneDNN's errors and bad arguments become JS errors naming the kernel (the JS
// side then falls back to the kernel it replaced); errors already raised for JS pass as they are.
template <class Body>
Napi::Value guarded(const Napi::CallbackInfo& info, const char* what, Body body) {
  Napi::Env env = info.Env();
  std::lock_guard<std::mutex> lock(kernelLock);
  try {
    body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const dnnl::error& e) {
    throw Napi::Error::New(env, std::string("oneDNN ") + what + ": " + e.what());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string(what) + ": " + e.what());
  }
  return env.Undefined();
}

std::vector<int> intsOf(const Napi::Value& v) {
  Napi::Int32Array a = v.As<Napi::Int32Array>();
  return std::vector<int>(a.Data(), a.Data() + a.ElementLength());
}

memory::dim product(const memory::dims& d) {
  memory::dim p = 1;
  for (auto x : d) p *= x;
  return p;
}

struct ConvShape {
  int s;
  memory::dims src, weights, dst, bias, strides, dilates, padL, padR;
  tag act, filt;
  explicit ConvShape(const std::vector<int>& v) {
    s = v.at(0);
    if (s != 2 && s != 3) throw std::invalid_argument("spatial rank must be 2 or 3");
    if (v.size() != size_t(4 + 7 * s)) throw std::invalid_argument("conv shape array has the wrong length");
    const int n = v[1], ci = v[2], co = v[3];
    auto at = [&](int block, int i) { return memory::dim(v[4 + block * s + i]); };
    src = {n, ci};
    weights = {co, ci};
    dst = {n, co};
    for (int i = 0; i < s; i++) {
      src.push_back(at(0, i));
      weights.push_back(at(1, i));
      dst.push_back(at(2, i));
      strides.push_back(at(3, i));
      dilates.push_back(at(4, i) - 1);  // oneDNN counts the gaps, tfjs the step
      padL.push_back(at(5, i));
      padR.push_back(at(6, i));
    }
    bias = {co};
    act = s == 2 ? tag::nhwc : tag::ndhwc;
    filt = s == 2 ? tag::hwio : tag::dhwio;
  }
  memory::desc md(const memory::dims& d, tag t) const { return memory::desc(d, dt::f32, t); }
};

// Post-op codes shared with the JS side (nativeConvKernels.ts).
enum Activation { kLinear = 0, kRelu = 1, kRelu6 = 2, kLeakyRelu = 3, kElu = 4, kSigmoid = 5 };

struct ConvForward {
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward prim;
  memory::desc userWeights;
  std::unique_ptr<memory> weights;  // oneDNN's layout, refilled from the user's filter each call
  dnnl::reorder toBlocked;
};

struct ConvBackwardData {
  dnnl::convolution_backward_data::primitive_desc pd;
  dnnl::convolution_backward_data prim;
  memory::desc userWeights;
  std::unique_ptr<memory> weights;
  dnnl::reorder toBlocked;
};

struct ConvBackwardWeights {
  dnnl::convolution_backward_weights::primitive_desc pd;
  dnnl::convolution_backward_weights prim;
  std::unique_ptr<memory> diffWeights;
  dnnl::reorder toUser;
  memory::desc userWeights;
};

std::map<std::vector<int>, std::unique_ptr<ConvForward>> forwardCache;
std::map<std::vector<int>, std::unique_ptr<ConvBackwardData>> backwardDataCache;
std::map<std::vector<int>, std::unique_ptr<ConvBackwardWeights>> backwardWeightsCache;

dnnl::convolution_forward::primitive_desc forwardHint(const ConvShape& c, bool withBias, const dnnl::primitive_attr& attr) {
  memory::desc w(c.weights, dt::f32, tag::any);
  auto d = withBias ? dnnl::convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, c.md(c.src, c.act), w, c.md(c.bias, tag::x), c.md(c.dst, c.act), c.strides, c.dilates, c.padL, c.padR)
                    : dnnl::convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, c.md(c.src, c.act), w, c.md(c.dst, c.act), c.strides, c.dilates, c.padL, c.padR);
  return dnnl::convolution_forward::primitive_desc(d, attr, cpu());
}

dnnl::primitive_attr activationAttr(int activation, float alpha) {
  dnnl::primitive_attr attr;
  dnnl::post_ops ops;
  switch (activation) {
    case kLinear: break;
    case kRelu: ops.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f); break;
    case kRelu6: ops.append_eltwise(1.f, algorithm::eltwise_clip, 0.f, 6.f); break;
    case kLeakyRelu: ops.append_eltwise(1.f, algorithm::eltwise_relu, alpha, 0.f); break;
    case kElu: ops.append_eltwise(1.f, algorithm::eltwise_elu, 1.f, 0.f); break;
    case kSigmoid: ops.append_eltwise(1.f, algorithm::eltwise_logistic, 0.f, 0.f); break;
    default: throw std::invalid_argument("unknown activation code " + std::to_string(activation));
  }
  attr.set_post_ops(ops);
  return attr;
}

// conv2dForward(x, filter, bias | null, y, shape, activation, alpha)
Napi::Value ConvolutionForward(const Napi::CallbackInfo& info) {
  return guarded(info, "convolution forward", [&] {
  const auto shape = intsOf(info[4]);
  const ConvShape c(shape);
  const bool withBias = !info[2].IsNull() && !info[2].IsUndefined();
  const int activation = info[5].As<Napi::Number>().Int32Value();
  const float alpha = info[6].As<Napi::Number>().FloatValue();
  auto key = shape;
  key.push_back(withBias);
  key.push_back(activation);
  key.push_back(static_cast<int>(alpha * 1e6f));
  auto& entry = forwardCache[key];
  if (!entry) {
    auto e = std::make_unique<ConvForward>();
    e->pd = forwardHint(c, withBias, activationAttr(activation, alpha));
    e->prim = dnnl::convolution_forward(e->pd);
    e->userWeights = c.md(c.weights, c.filt);
    e->weights = std::make_unique<memory>(e->pd.weights_desc(), cpu());
    e->toBlocked = dnnl::reorder(dnnl::reorder::primitive_desc(cpu(), e->userWeights, cpu(), e->pd.weights_desc()));
    entry = std::move(e);
  }
  float* x = dataOf(info[0], product(c.src), "x");
  float* w = dataOf(info[1], product(c.weights), "filter");
  float* y = dataOf(info[3], product(c.dst), "y");
  memory userW(entry->userWeights, cpu(), w);
  entry->toBlocked.execute(strm(), userW, *entry->weights);
  memory src(c.md(c.src, c.act), cpu(), x), dst(c.md(c.dst, c.act), cpu(), y);
  std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, *entry->weights}, {DNNL_ARG_DST, dst}};
  if (withBias) args.insert({DNNL_ARG_BIAS, memory(c.md(c.bias, tag::x), cpu(), dataOf(info[2], product(c.bias), "bias"))});
  entry->prim.execute(strm(), args);
  strm().wait();
  });
}

// conv2dBackwardData(dy, filter, dx, shape): dx = the input gradient.
Napi::Value ConvolutionBackwardData(const Napi::CallbackInfo& info) {
  return guarded(info, "convolution backward data", [&] {
  const auto shape = intsOf(info[3]);
  const ConvShape c(shape);
  auto& entry = backwardDataCache[shape];
  if (!entry) {
    auto e = std::make_unique<ConvBackwardData>();
    memory::desc w(c.weights, dt::f32, tag::any);
    auto hint = forwardHint(c, false, dnnl::primitive_attr());
    auto d = dnnl::convolution_backward_data::desc(algorithm::convolution_direct, c.md(c.src, c.act), w, c.md(c.dst, c.act), c.strides, c.dilates, c.padL, c.padR);
    e->pd = dnnl::convolution_backward_data::primitive_desc(d, cpu(), hint);
    e->prim = dnnl::convolution_backward_data(e->pd);
    e->userWeights = c.md(c.weights, c.filt);
    e->weights = std::make_unique<memory>(e->pd.weights_desc(), cpu());
    e->toBlocked = dnnl::reorder(dnnl::reorder::primitive_desc(cpu(), e->userWeights, cpu(), e->pd.weights_desc()));
    entry = std::move(e);
  }
  float* dy = dataOf(info[0], product(c.dst), "dy");
  float* w = dataOf(info[1], product(c.weights), "filter");
  float* dx = dataOf(info[2], product(c.src), "dx");
  memory userW(entry->userWeights, cpu(), w);
  entry->toBlocked.execute(strm(), userW, *entry->weights);
  memory diffDst(c.md(c.dst, c.act), cpu(), dy), diffSrc(c.md(c.src, c.act), cpu(), dx);
  entry->prim.execute(strm(), {{DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_WEIGHTS, *entry->weights}, {DNNL_ARG_DIFF_SRC, diffSrc}});
  strm().wait();
  });
}

// conv2dBackwardWeights(x, dy, dw, shape): dw = the filter gradient, in the user's layout.
Napi::Value ConvolutionBackwardWeights(const Napi::CallbackInfo& info) {
  return guarded(info, "convolution backward weights", [&] {
  const auto shape = intsOf(info[3]);
  const ConvShape c(shape);
  auto& entry = backwardWeightsCache[shape];
  if (!entry) {
    auto e = std::make_unique<ConvBackwardWeights>();
    memory::desc w(c.weights, dt::f32, tag::any);
    auto hint = forwardHint(c, false, dnnl::primitive_attr());
    auto d = dnnl::convolution_backward_weights::desc(algorithm::convolution_direct, c.md(c.src, c.act), w, c.md(c.dst, c.act), c.strides, c.dilates, c.padL, c.padR);
    e->pd = dnnl::convolution_backward_weights::primitive_desc(d, cpu(), hint);
    e->prim = dnnl::convolution_backward_weights(e->pd);
    e->userWeights = c.md(c.weights, c.filt);
    e->diffWeights = std::make_unique<memory>(e->pd.diff_weights_desc(), cpu());
    e->toUser = dnnl::reorder(dnnl::reorder::primitive_desc(cpu(), e->pd.diff_weights_desc(), cpu(), e->userWeights));
    entry = std::move(e);
  }
  float* x = dataOf(info[0], product(c.src), "x");
  float* dy = dataOf(info[1], product(c.dst), "dy");
  float* dw = dataOf(info[2], product(c.weights), "dw");
  memory src(c.md(c.src, c.act), cpu(), x), diffDst(c.md(c.dst, c.act), cpu(), dy), userDw(entry->userWeights, cpu(), dw);
  entry->prim.execute(strm(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_DIFF_WEIGHTS, *entry->diffWeights}});
  entry->toUser.execute(strm(), *entry->diffWeights, userDw);
  strm().wait();
  });
}

struct PoolShape {
  int s;
  memory::dims src, dst, kernel, strides, dilation, padL, padR;
  tag act;
  explicit PoolShape(const std::vector<int>& v) {
    s = v.at(0);
    if (s != 2 && s != 3) throw std::invalid_argument("spatial rank must be 2 or 3");
    if (v.size() != size_t(3 + 6 * s)) throw std::invalid_argument("pool shape array has the wrong length");
    const int n = v[1], ch = v[2];
    auto at = [&](int block, int i) { return memory::dim(v[3 + block * s + i]); };
    src = {n, ch};
    dst = {n, ch};
    for (int i = 0; i < s; i++) {
      src.push_back(at(0, i));
      kernel.push_back(at(1, i));
      dst.push_back(at(2, i));
      strides.push_back(at(3, i));
      padL.push_back(at(4, i));
      padR.push_back(at(5, i));
      dilation.push_back(0);
    }
    act = s == 2 ? tag::nhwc : tag::ndhwc;
  }
  memory::desc md(const memory::dims& d) const { return memory::desc(d, dt::f32, act); }
  dnnl::pooling_v2_forward::desc fwd(prop_kind kind) const { return dnnl::pooling_v2_forward::desc(kind, algorithm::pooling_max, md(src), md(dst), strides, kernel, dilation, padL, padR); }
};

struct PoolForward {
  dnnl::pooling_v2_forward::primitive_desc pd;
  dnnl::pooling_v2_forward prim;
};

struct PoolBackward {
  dnnl::pooling_v2_forward::primitive_desc fwdPd;
  dnnl::pooling_v2_forward fwd;
  dnnl::pooling_v2_backward::primitive_desc pd;
  dnnl::pooling_v2_backward prim;
  std::unique_ptr<memory> workspace, scratchDst;
};

std::map<std::vector<int>, std::unique_ptr<PoolForward>> poolForwardCache;
std::map<std::vector<int>, std::unique_ptr<PoolBackward>> poolBackwardCache;

// maxPoolForward(x, y, shape)
Napi::Value MaxPoolForward(const Napi::CallbackInfo& info) {
  return guarded(info, "max pool", [&] {
  const auto shape = intsOf(info[2]);
  const PoolShape p(shape);
  auto& entry = poolForwardCache[shape];
  if (!entry) {
    auto e = std::make_unique<PoolForward>();
    e->pd = dnnl::pooling_v2_forward::primitive_desc(p.fwd(prop_kind::forward_inference), cpu());
    e->prim = dnnl::pooling_v2_forward(e->pd);
    entry = std::move(e);
  }
  memory src(p.md(p.src), cpu(), dataOf(info[0], product(p.src), "x")), dst(p.md(p.dst), cpu(), dataOf(info[1], product(p.dst), "y"));
  entry->prim.execute(strm(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  strm().wait();
  });
}

// maxPoolBackward(x, dy, dx, shape): tfjs's MaxPoolGrad gets the input, not oneDNN's workspace, so the
// forward pass is run again in training mode to record which element won each window.
Napi::Value MaxPoolBackward(const Napi::CallbackInfo& info) {
  return guarded(info, "max pool backward", [&] {
  const auto shape = intsOf(info[3]);
  const PoolShape p(shape);
  auto& entry = poolBackwardCache[shape];
  if (!entry) {
    auto e = std::make_unique<PoolBackward>();
    e->fwdPd = dnnl::pooling_v2_forward::primitive_desc(p.fwd(prop_kind::forward_training), cpu());
    e->fwd = dnnl::pooling_v2_forward(e->fwdPd);
    auto d = dnnl::pooling_v2_backward::desc(algorithm::pooling_max, p.md(p.src), p.md(p.dst), p.strides, p.kernel, p.dilation, p.padL, p.padR);
    e->pd = dnnl::pooling_v2_backward::primitive_desc(d, cpu(), e->fwdPd);
    e->prim = dnnl::pooling_v2_backward(e->pd);
    e->workspace = std::make_unique<memory>(e->fwdPd.workspace_desc(), cpu());
    e->scratchDst = std::make_unique<memory>(p.md(p.dst), cpu());
    entry = std::move(e);
  }
  memory src(p.md(p.src), cpu(), dataOf(info[0], product(p.src), "x"));
  memory diffDst(p.md(p.dst), cpu(), dataOf(info[1], product(p.dst), "dy"));
  memory diffSrc(p.md(p.src), cpu(), dataOf(info[2], product(p.src), "dx"));
  entry->fwd.execute(strm(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, *entry->scratchDst}, {DNNL_ARG_WORKSPACE, *entry->workspace}});
  entry->prim.execute(strm(), {{DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_WORKSPACE, *entry->workspace}, {DNNL_ARG_DIFF_SRC, diffSrc}});
  strm().wait();
  });
}

// Batch normalisation over every axis but the last (channels last), training-mode statistics (biased
// variance), scale γ and shift β. The shape is logical [N, C, spatial...]: rank 4 and 5 as nhwc / ndhwc,
// which oneDNN's jit kernels take; anything else flattened to [M, C] ("nc", a slower generic kernel).
struct BatchNorm {
  dnnl::batch_normalization_forward::primitive_desc fwdPd;
  dnnl::batch_normalization_forward fwd;
  dnnl::batch_normalization_backward::primitive_desc bwdPd;
  dnnl::batch_normalization_backward bwd;
};

std::map<std::pair<std::vector<int>, float>, std::unique_ptr<BatchNorm>> batchNormCache;

memory::desc batchNormData(const std::vector<int>& shape) {
  if (shape.size() != 2 && shape.size() != 4 && shape.size() != 5) throw std::invalid_argument("batch norm shape must be [M, C], [N, C, H, W] or [N, C, D, H, W]");
  for (int d : shape)
    if (d < 1) throw std::invalid_argument("batch norm dimensions must be positive");
  const memory::dims dims(shape.begin(), shape.end());
  return memory::desc(dims, dt::f32, shape.size() == 2 ? tag::nc : shape.size() == 4 ? tag::nhwc : tag::ndhwc);
}

BatchNorm& batchNormFor(const std::vector<int>& shape, float epsilon) {
  auto& entry = batchNormCache[{shape, epsilon}];
  if (!entry) {
    auto e = std::make_unique<BatchNorm>();
    memory::desc data = batchNormData(shape);
    const auto flags = dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
    e->fwdPd = dnnl::batch_normalization_forward::primitive_desc(dnnl::batch_normalization_forward::desc(prop_kind::forward_training, data, epsilon, flags), cpu());
    e->fwd = dnnl::batch_normalization_forward(e->fwdPd);
    e->bwdPd = dnnl::batch_normalization_backward::primitive_desc(dnnl::batch_normalization_backward::desc(prop_kind::backward, data, data, epsilon, flags), cpu(), e->fwdPd);
    e->bwd = dnnl::batch_normalization_backward(e->bwdPd);
    entry = std::move(e);
  }
  return *entry;
}

// batchNormForward(x, gamma, beta, y, mean, variance, shape, epsilon)
Napi::Value BatchNormForward(const Napi::CallbackInfo& info) {
  return guarded(info, "batch norm", [&] {
  const auto shape = intsOf(info[6]);
  const float epsilon = info[7].As<Napi::Number>().FloatValue();
  BatchNorm& bn = batchNormFor(shape, epsilon);
  const size_t c = shape[1], m = product(memory::dims(shape.begin(), shape.end())) / c;
  memory::desc data = batchNormData(shape), channel({shape[1]}, dt::f32, tag::x);
  memory x(data, cpu(), dataOf(info[0], m * c, "x")), y(data, cpu(), dataOf(info[3], m * c, "y"));
  memory gamma(channel, cpu(), dataOf(info[1], c, "gamma")), beta(channel, cpu(), dataOf(info[2], c, "beta"));
  memory mean(channel, cpu(), dataOf(info[4], c, "mean")), variance(channel, cpu(), dataOf(info[5], c, "variance"));
  bn.fwd.execute(strm(), {{DNNL_ARG_SRC, x}, {DNNL_ARG_SCALE, gamma}, {DNNL_ARG_SHIFT, beta}, {DNNL_ARG_DST, y}, {DNNL_ARG_MEAN, mean}, {DNNL_ARG_VARIANCE, variance}});
  strm().wait();
  });
}

// batchNormBackward(x, dy, mean, variance, gamma, beta, dx, dgamma, dbeta, shape, epsilon): the full
// gradient, through the batch statistics. oneDNN 2.6 asks for the shift too, although no gradient reads it.
Napi::Value BatchNormBackward(const Napi::CallbackInfo& info) {
  return guarded(info, "batch norm backward", [&] {
  const auto shape = intsOf(info[9]);
  const float epsilon = info[10].As<Napi::Number>().FloatValue();
  BatchNorm& bn = batchNormFor(shape, epsilon);
  const size_t c = shape[1], m = product(memory::dims(shape.begin(), shape.end())) / c;
  memory::desc data = batchNormData(shape), channel({shape[1]}, dt::f32, tag::x);
  memory x(data, cpu(), dataOf(info[0], m * c, "x")), dy(data, cpu(), dataOf(info[1], m * c, "dy")), dx(data, cpu(), dataOf(info[6], m * c, "dx"));
  memory mean(channel, cpu(), dataOf(info[2], c, "mean")), variance(channel, cpu(), dataOf(info[3], c, "variance"));
  memory gamma(channel, cpu(), dataOf(info[4], c, "gamma")), beta(channel, cpu(), dataOf(info[5], c, "beta"));
  memory dgamma(channel, cpu(), dataOf(info[7], c, "dgamma")), dbeta(channel, cpu(), dataOf(info[8], c, "dbeta"));
  bn.bwd.execute(strm(), {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_MEAN, mean}, {DNNL_ARG_VARIANCE, variance}, {DNNL_ARG_SCALE, gamma}, {DNNL_ARG_SHIFT, beta}, {DNNL_ARG_DIFF_SRC, dx}, {DNNL_ARG_DIFF_SCALE, dgamma}, {DNNL_ARG_DIFF_SHIFT, dbeta}});
  strm().wait();
  });
}

// batchNormInference(x, mean, variance, scale | null, offset | null, y, shape, epsilon): tfjs's
// FusedBatchNorm with given statistics (inference), y = (x − μ) / √(σ² + ε) · γ + β; a missing γ is 1,
// a missing β is 0.
std::map<std::pair<std::vector<int>, float>, std::unique_ptr<std::pair<dnnl::batch_normalization_forward::primitive_desc, dnnl::batch_normalization_forward>>> inferenceCache;

Napi::Value BatchNormInference(const Napi::CallbackInfo& info) {
  return guarded(info, "batch norm inference", [&] {
  const auto shape = intsOf(info[6]);
  const float epsilon = info[7].As<Napi::Number>().FloatValue();
  memory::desc data = batchNormData(shape), channel({shape[1]}, dt::f32, tag::x);
  auto& entry = inferenceCache[{shape, epsilon}];
  if (!entry) {
    const auto flags = dnnl::normalization_flags::use_global_stats | dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
    dnnl::batch_normalization_forward::primitive_desc pd(dnnl::batch_normalization_forward::desc(prop_kind::forward_inference, data, epsilon, flags), cpu());
    entry = std::make_unique<std::pair<dnnl::batch_normalization_forward::primitive_desc, dnnl::batch_normalization_forward>>(pd, dnnl::batch_normalization_forward(pd));
  }
  const size_t c = shape[1], n = product(memory::dims(shape.begin(), shape.end()));
  std::vector<float> ones, zeros;
  float* scale = nullptr;
  float* offset = nullptr;
  if (info[3].IsNull() || info[3].IsUndefined()) {
    ones.assign(c, 1.f);
    scale = ones.data();
  } else scale = dataOf(info[3], c, "scale");
  if (info[4].IsNull() || info[4].IsUndefined()) {
    zeros.assign(c, 0.f);
    offset = zeros.data();
  } else offset = dataOf(info[4], c, "offset");
  memory x(data, cpu(), dataOf(info[0], n, "x")), y(data, cpu(), dataOf(info[5], n, "y"));
  memory mean(channel, cpu(), dataOf(info[1], c, "mean")), variance(channel, cpu(), dataOf(info[2], c, "variance"));
  memory gamma(channel, cpu(), scale), beta(channel, cpu(), offset);
  entry->second.execute(strm(), {{DNNL_ARG_SRC, x}, {DNNL_ARG_MEAN, mean}, {DNNL_ARG_VARIANCE, variance}, {DNNL_ARG_SCALE, gamma}, {DNNL_ARG_SHIFT, beta}, {DNNL_ARG_DST, y}});
  strm().wait();
  });
}

// The length of a typed array argument (its element count).
size_t lengthOf(const Napi::Value& v) {
  napi_typedarray_type type;
  size_t length = 0;
  napi_get_typedarray_info(v.Env(), v, &type, &length, nullptr, nullptr, nullptr);
  return length;
}

// copyRows(src, srcStride, srcOffset, dst, dstStride, dstOffset, rows, width): `rows` rows of `width`
// floats between two row-major blocks (Concat and SplitV along the channels), one memcpy per row,
// rows shared by the OpenMP pool. Bounds are checked against both arrays before anything is copied.
Napi::Value CopyRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto at = [&](int i) { return static_cast<int64_t>(info[i].As<Napi::Number>().Int64Value()); };
  const int64_t srcStride = at(1), srcOffset = at(2), dstStride = at(4), dstOffset = at(5), rows = at(6), width = at(7);
  if (rows < 0 || width < 0 || srcOffset < 0 || dstOffset < 0 || srcStride < width || dstStride < width) throw Napi::RangeError::New(env, "copyRows: negative or overlapping row geometry");
  if (rows == 0 || width == 0) return env.Undefined();
  const size_t srcLength = lengthOf(info[0]), dstLength = lengthOf(info[3]);
  if (size_t(srcOffset + (rows - 1) * srcStride + width) > srcLength || size_t(dstOffset + (rows - 1) * dstStride + width) > dstLength) {
    throw Napi::RangeError::New(env, "copyRows: rows run past the end of an array");
  }
  const float* src = dataOf(info[0], srcLength, "src") + srcOffset;
  float* dst = dataOf(info[3], dstLength, "dst") + dstOffset;
  const size_t bytes = size_t(width) * sizeof(float);
#pragma omp parallel for if (rows * width > 65536) schedule(static)
  for (int64_t r = 0; r < rows; r++) std::memcpy(dst + r * dstStride, src + r * srcStride, bytes);
  return env.Undefined();
}

// Elementwise loops below share the OpenMP pool only when the tensor is large enough to pay for it, and
// are vectorised (simd, restrict): written as plain ternaries they compile to a branch per element,
// mispredicted half the time on activations (5 ns per element, slower than the wasm kernels).
constexpr int64_t kParallelFrom = 65536;

// body(i) for i in [0, n): vectorised, and spread over the OpenMP pool from kParallelFrom elements. The
// serial loop needs its own simd pragma: under `parallel for simd if(false)` GCC runs a scalar copy.
template <typename Body>
void elementwise(int64_t n, Body body) {
  if (n > kParallelFrom) {
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; i++) body(i);
  } else {
#pragma omp simd
    for (int64_t i = 0; i < n; i++) body(i);
  }
}

// body(i, c) over rows of `width`, i the element and c its column: for an operand that is one row
// (a per-channel vector), read by column without an index modulo per element.
template <typename Body>
void rowwise(int64_t rows, int64_t width, Body body) {
#pragma omp parallel for if (rows * width > kParallelFrom) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
#pragma omp simd
    for (int64_t c = 0; c < width; c++) body(r * width + c, c);
  }
}

// relu(x, y): y = x < 0 ? 0 : x (NaN and -0 pass through, as the wasm kernel does).
Napi::Value Relu(const Napi::CallbackInfo& info) {
  const size_t n = lengthOf(info[0]);
  const float* __restrict x = dataOf(info[0], n, "x");
  float* __restrict y = dataOf(info[1], n, "y");
  elementwise(int64_t(n), [=](int64_t i) { y[i] = x[i] < 0.f ? 0.f : x[i]; });
  return info.Env().Undefined();
}

// reluGrad(x, dy, dx): dx = dy * step(x), with step(x) = 1 above 0, NaN for NaN, else 0: tfjs's
// gradient (mul(dy, cast(step(x)))) in one pass, bit for bit (dy * 0 keeps the sign of dy's zero).
Napi::Value ReluGrad(const Napi::CallbackInfo& info) {
  const size_t n = lengthOf(info[0]);
  const float* __restrict x = dataOf(info[0], n, "x");
  const float* __restrict dy = dataOf(info[1], n, "dy");
  float* __restrict dx = dataOf(info[2], n, "dx");
  elementwise(int64_t(n), [=](int64_t i) {
    const float s = x[i] > 0.f ? 1.f : (x[i] != x[i] ? x[i] : 0.f);
    dx[i] = dy[i] * s;
  });
  return info.Env().Undefined();
}

// The row geometry of a kernel over rows: info[0]'s element count and the row width in info[2],
// which must divide it.
struct Rows {
  size_t n;
  int64_t width;
  int64_t rows;
};
Rows rowsOf(const Napi::CallbackInfo& info, const char* kernel) {
  const size_t n = lengthOf(info[0]);
  const int64_t width = info[2].As<Napi::Number>().Int64Value();
  if (width < 1 || n % size_t(width) != 0) throw Napi::RangeError::New(info.Env(), std::string(kernel) + ": width " + std::to_string(width) + " must divide the length " + std::to_string(n));
  return {n, width, int64_t(n) / width};
}

// softmax(x, y, width): softmax over each row of `width` contiguous floats (the last axis), with the
// row maximum subtracted first so that exp never overflows.
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  const auto [n, width, rows] = rowsOf(info, "softmax");
  const float* x = dataOf(info[0], n, "x");
  float* y = dataOf(info[1], n, "y");
#pragma omp parallel for if (int64_t(n) > kParallelFrom) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * width;
    float* yr = y + r * width;
    float max = xr[0];
    for (int64_t c = 1; c < width; c++) max = xr[c] > max ? xr[c] : max;
    float sum = 0.f;
    for (int64_t c = 0; c < width; c++) sum += (yr[c] = std::exp(xr[c] - max));
    for (int64_t c = 0; c < width; c++) yr[c] /= sum;
  }
  return info.Env().Undefined();
}

// binary(a, b, out, op, mode, width): out = a op b for op 0 add, 1 subtract, 2 multiply, where b (mode
// 1) or a (mode 3) is a vector along the last axis of `width`, or a scalar (modes 2 and 4), or both
// have out's shape (mode 0): the broadcasts of bias adds, per-class weights and scalars. IEEE float32
// operations, so the results are those of the wasm kernels.
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const size_t n = lengthOf(info[2]);
  const int op = info[3].As<Napi::Number>().Int32Value();
  const int mode = info[4].As<Napi::Number>().Int32Value();
  const int64_t width = info[5].As<Napi::Number>().Int64Value();
  if (op < 0 || op > 2 || mode < 0 || mode > 4 || width < 1 || n % size_t(width) != 0) throw Napi::RangeError::New(info.Env(), "binary: bad op, mode or width");
  const size_t an = mode == 3 ? size_t(width) : mode == 4 ? 1 : n;
  const size_t bn = mode == 1 ? size_t(width) : mode == 2 ? 1 : n;
  const float* __restrict a = dataOf(info[0], an, "a");
  const float* __restrict b = dataOf(info[1], bn, "b");
  float* __restrict out = dataOf(info[2], n, "out");
  const int64_t rows = int64_t(n) / width;
  auto run = [&](auto f) {
    switch (mode) {
      case 0: elementwise(int64_t(n), [=](int64_t i) { out[i] = f(a[i], b[i]); }); break;
      case 1: rowwise(rows, width, [=](int64_t i, int64_t c) { out[i] = f(a[i], b[c]); }); break;
      case 2: elementwise(int64_t(n), [=](int64_t i) { out[i] = f(a[i], b[0]); }); break;
      case 3: rowwise(rows, width, [=](int64_t i, int64_t c) { out[i] = f(a[c], b[i]); }); break;
      default: elementwise(int64_t(n), [=](int64_t i) { out[i] = f(a[0], b[i]); }); break;
    }
  };
  if (op == 0) run([](float x, float y) { return x + y; });
  else if (op == 1) run([](float x, float y) { return x - y; });
  else run([](float x, float y) { return x * y; });
  return info.Env().Undefined();
}

// sumRows(x, out, width): out[c] = Σ_r x[r·width + c], the sum over every axis but the last (bias and
// per-class gradients, loss sums). Each thread sums a contiguous block of rows in double; the blocks
// are added in thread order, so a fixed thread count gives the same result every time.
Napi::Value SumRows(const Napi::CallbackInfo& info) {
  const auto [n, width, rows] = rowsOf(info, "sumRows");
  const float* x = dataOf(info[0], n, "x");
  float* out = dataOf(info[1], size_t(width), "out");
  const int threads = int64_t(n) > kParallelFrom ? omp_get_max_threads() : 1;
  // Four accumulators per column and thread (rows r, r+1, r+2, r+3 into separate ones): with few
  // channels one chain of dependent additions per column would set the pace.
  constexpr int kLanes = 4;
  std::vector<double> partial(size_t(threads) * kLanes * width, 0.0);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    const int64_t from = rows * t / threads, to = rows * (t + 1) / threads;
    double* acc = partial.data() + size_t(t) * kLanes * width;
    for (int64_t r = from; r < to; r++) {
      const float* row = x + r * width;
      double* lane = acc + ((r - from) % kLanes) * width;
#pragma omp simd
      for (int64_t c = 0; c < width; c++) lane[c] += row[c];
    }
  }
  for (int64_t c = 0; c < width; c++) {
    double total = 0.0;
    for (int l = 0; l < threads * kLanes; l++) total += partial[size_t(l) * width + c];
    out[c] = float(total);
  }
  return info.Env().Undefined();
}

// powScalar(x, out, e): out = x^e (the focal loss's (1 − p)^γ and its gradient's x^(γ − 1)).
Napi::Value PowScalar(const Napi::CallbackInfo& info) {
  const size_t n = lengthOf(info[0]);
  const float* __restrict x = dataOf(info[0], n, "x");
  float* __restrict out = dataOf(info[1], n, "out");
  const float e = info[2].As<Napi::Number>().FloatValue();
  elementwise(int64_t(n), [=](int64_t i) { out[i] = std::pow(x[i], e); });
  return info.Env().Undefined();
}

// adamUpdate(value, m, v, grad, newValue, newM, newV, scalars): one Adam step (Kingma & Ba 2015) for
// one variable, in tfjs's AdamOptimizer's order of float32 operations so the result is bit for bit
// the same as its twelve-kernel chain:
//   m' = m b1 + g c1,  v' = v b2 + g² c2,  value' = (m'/a1) / (sqrt(v'/a2) + eps) · (−lr) + value,
// scalars = [b1, c1 = 1 − b1, b2, c2 = 1 − b2, a1 = 1 − b1^t, a2 = 1 − b2^t, eps, −lr], each rounded to
// float32 as tfjs rounds its scalar tensors.
Napi::Value AdamUpdate(const Napi::CallbackInfo& info) {
  const size_t n = lengthOf(info[0]);
  const float* __restrict value = dataOf(info[0], n, "value");
  const float* __restrict m = dataOf(info[1], n, "m");
  const float* __restrict v = dataOf(info[2], n, "v");
  const float* __restrict g = dataOf(info[3], n, "grad");
  float* __restrict newValue = dataOf(info[4], n, "newValue");
  float* __restrict newM = dataOf(info[5], n, "newM");
  float* __restrict newV = dataOf(info[6], n, "newV");
  const float* s = dataOf(info[7], 8, "scalars");
  const float b1 = s[0], c1 = s[1], b2 = s[2], c2 = s[3], a1 = s[4], a2 = s[5], eps = s[6], negLr = s[7];
  elementwise(int64_t(n), [=](int64_t i) {
    const float mi = m[i] * b1 + g[i] * c1;
    const float gg = g[i] * g[i];
    const float vi = v[i] * b2 + gg * c2;
    const float mHat = mi / a1;
    const float vHat = vi / a2;
    const float step = mHat / (std::sqrt(vHat) + eps);
    newM[i] = mi;
    newV[i] = vi;
    newValue[i] = step * negLr + value[i];
  });
  return info.Env().Undefined();
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  const int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1 || n > 256) throw Napi::RangeError::New(info.Env(), "threads must be in 1..256, got " + std::to_string(n));
  omp_set_num_threads(n);
  return info.Env().Undefined();
}

const char* isaName(dnnl_cpu_isa_t isa) {
  switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    default: return "other";
  }
}

// info(): the library version, the instruction set oneDNN dispatches to on this CPU, and the thread count.
Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const dnnl_version_t* v = dnnl_version();
  Napi::Object o = Napi::Object::New(env);
  o.Set("version", std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch));
  o.Set("isa", isaName(dnnl_get_effective_cpu_isa()));
  o.Set("threads", omp_get_max_threads());
  o.Set("cachedPrimitives", double(forwardCache.size() + backwardDataCache.size() + backwardWeightsCache.size() + poolForwardCache.size() + poolBackwardCache.size() + batchNormCache.size() + inferenceCache.size()));
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("convolutionForward", Napi::Function::New(env, ConvolutionForward));
  exports.Set("convolutionBackwardData", Napi::Function::New(env, ConvolutionBackwardData));
  exports.Set("convolutionBackwardWeights", Napi::Function::New(env, ConvolutionBackwardWeights));
  exports.Set("maxPoolForward", Napi::Function::New(env, MaxPoolForward));
  exports.Set("maxPoolBackward", Napi::Function::New(env, MaxPoolBackward));
  exports.Set("batchNormForward", Napi::Function::New(env, BatchNormForward));
  exports.Set("batchNormBackward", Napi::Function::New(env, BatchNormBackward));
  exports.Set("batchNormInference", Napi::Function::New(env, BatchNormInference));
  exports.Set("copyRows", Napi::Function::New(env, CopyRows));
  exports.Set("relu", Napi::Function::New(env, Relu));
  exports.Set("reluGrad", Napi::Function::New(env, ReluGrad));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("adamUpdate", Napi::Function::New(env, AdamUpdate));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("sumRows", Napi::Function::New(env, SumRows));
  exports.Set("powScalar", Napi::Function::New(env, PowScalar));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("info", Napi::Function::New(env, Info));
  return exports;
}

}  // namespace

NODE_API_MODULE(segfusion_dnnl, Init)
