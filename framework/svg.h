// Small self-contained SVG chart helpers (axes with readable ticks, linear and log
// scales, step lines, polylines, dots, shaded bands, legends) for the HTML reports. Knows
// nothing of crashlab: reusable by any report page.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crashlab::svg {

// Text made safe for XML/HTML text and attributes: &<>"' escaped, invalid UTF-8 bytes
// replaced by U+FFFD, control characters other than tab and newline dropped.
std::string Escape(std::string_view s);
// `s` as valid UTF-8 without characters XML 1.0 forbids (the same replacements as
// Escape, without escaping markup).
std::string CleanText(std::string_view s);

// A duration for a label: "850 us", "12.5 ms", "3.2 s", "2 min 5 s".
std::string FormatDuration(double ms);
// A number with few digits: 1234567 -> "1.2M", 0.25 -> "0.25".
std::string FormatCount(double v);

// Maps data values in [lo, hi] onto pixels [px0, px1] (px1 < px0 for a y axis),
// linearly or on log10 (values <= 0 clamp to lo).
struct Scale {
  double lo = 0, hi = 1, px0 = 0, px1 = 1;
  bool log = false;
  double operator()(double v) const;
};

struct Tick {
  double value = 0;
  std::string label;
};
// About `n` ticks at 1-2-5 steps covering [lo, hi], labelled with `fmt`.
std::vector<Tick> LinearTicks(double lo, double hi, int n,
                              const std::function<std::string(double)>& fmt);
// Ticks at powers of ten in [lo, hi] (and 2x, 5x when the range spans few decades).
std::vector<Tick> LogTicks(double lo, double hi, const std::function<std::string(double)>& fmt);
// Ticks for a time axis in ms whose labels use the unit that suits the span: ms below
// 2 s, s below 3 min, min above.
std::vector<Tick> TimeTicks(double lo_ms, double hi_ms, int n);

// Keeps at most `max_points` of `points`, evenly spread (first and last kept).
template <typename T>
std::vector<T> Downsample(const std::vector<T>& points, size_t max_points) {
  if (points.size() <= max_points || max_points < 2) return points;
  std::vector<T> out;
  out.reserve(max_points);
  const double step = static_cast<double>(points.size() - 1) / static_cast<double>(max_points - 1);
  for (size_t i = 0; i < max_points; ++i)
    out.push_back(points[static_cast<size_t>(i * step + 0.5)]);
  return out;
}

// One chart: a plot area with margins, two scales, and the elements drawn on it, in
// order. Coordinates passed to the drawing calls are data values.
class Chart {
 public:
  Chart(double width, double height, Scale x, Scale y);

  const Scale& x() const { return x_; }
  const Scale& y() const { return y_; }
  void XAxis(const std::vector<Tick>& ticks, const std::string& label);
  void YAxis(const std::vector<Tick>& ticks, const std::string& label);
  // A vertical band from x0 to x1 (at least one pixel wide) with a tooltip.
  void Band(double x0, double x1, const std::string& color, double opacity,
            const std::string& title);
  void VLine(double x, const std::string& color, const std::string& label);
  // A line through the points; a NaN y breaks it.
  void Polyline(const std::vector<std::pair<double, double>>& points, const std::string& color,
                double width = 1.5, const std::string& dash = "");
  // Step line: value v[i] holds over [x[i], x[i] + step); a NaN value breaks it.
  void Steps(const std::vector<std::pair<double, double>>& points, double step,
             const std::string& color, double width = 1.5);
  void Dots(const std::vector<std::pair<double, double>>& points, const std::string& color,
            double radius = 2.5, const std::string& title = "");
  void Text(double px, double py, const std::string& text, const std::string& anchor = "start");
  // Legend entries (colour, name) in a row above the plot.
  void Legend(const std::vector<std::pair<std::string, std::string>>& entries);
  // The <svg> element.
  std::string Render() const;

  static constexpr double kLeft = 64, kRight = 16, kTop = 24, kBottom = 40;

 private:
  double width_, height_;
  Scale x_, y_;
  std::string body_;
};

}  // namespace crashlab::svg
