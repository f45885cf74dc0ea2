// SVG chart helpers: escaping, number and duration labels, ticks, and the Chart drawing.
#include "framework/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace crashlab::svg {

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 if it is not one.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n = 0;
  uint32_t cp = 0;
  if (c < 0x80) return 1;
  if ((c & 0xe0) == 0xc0) {
    n = 2, cp = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3, cp = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4, cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3f);
  }
  const bool overlong = (n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
  const bool bad = cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff;
  return overlong || bad ? 0 : n;
}

template <typename Emit>
std::string Clean(std::string_view s, Emit emit) {
  std::string o;
  o.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8Length(s, i);
    if (n == 0) {
      o += "\xef\xbf\xbd";  // U+FFFD
      ++i;
      continue;
    }
    const char c = s[i];
    if (n == 1 && static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') {
      ++i;  // XML 1.0 allows no other control character, even escaped
      continue;
    }
    if (n == 1 && c == 0x7f) {
      ++i;
      continue;
    }
    if (n == 1) {
      emit(o, c);
    } else {
      o.append(s.substr(i, n));
    }
    i += n;
  }
  return o;
}

std::string Fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// Trims "2.50" to "2.5" and "3.0" to "3".
std::string Trim(std::string s) {
  if (s.find('.') == std::string::npos) return s;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::string Short(double v) { return Trim(Fmt(std::fabs(v) < 10 ? "%.2f" : "%.1f", v)); }

double NiceStep(double span, int n) {
  const double raw = span / std::max(1, n);
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * p >= raw) return m * p;
  }
  return 10 * p;
}

}  // namespace

std::string Escape(std::string_view s) {
  return Clean(s, [](std::string& o, char c) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      case '\'':
        o += "&#39;";
        break;
      default:
        o += c;
    }
  });
}

std::string CleanText(std::string_view s) {
  return Clean(s, [](std::string& o, char c) { o += c; });
}

std::string FormatDuration(double ms) {
  const double a = std::fabs(ms);
  if (a == 0) return "0";
  if (a < 1) return Short(ms * 1000) + " us";
  if (a < 1000) return Short(ms) + " ms";
  if (a < 180000) return Short(ms / 1000) + " s";
  const double min = std::trunc(ms / 60000);
  const double s = std::round(std::fabs(ms - min * 60000) / 1000);
  return Trim(Fmt("%.0f", min)) + " min" + (s > 0 ? " " + Trim(Fmt("%.0f", s)) + " s" : "");
}

std::string FormatCount(double v) {
  const double a = std::fabs(v);
  if (a >= 1e9) return Short(v / 1e9) + "G";
  if (a >= 1e6) return Short(v / 1e6) + "M";
  if (a >= 1e4) return Short(v / 1e3) + "k";
  return Short(v);
}

double Scale::operator()(double v) const {
  double f;
  if (log) {
    const double l = std::log10(std::max(lo, 1e-12)), h = std::log10(std::max(hi, lo * 10));
    f = (std::log10(std::max(v, lo)) - l) / (h - l);
  } else {
    f = hi > lo ? (v - lo) / (hi - lo) : 0;
  }
  return px0 + (px1 - px0) * std::clamp(f, -0.02, 1.02);
}

std::vector<Tick> LinearTicks(double lo, double hi, int n,
                              const std::function<std::string(double)>& fmt) {
  std::vector<Tick> out;
  if (!(hi > lo)) return {{lo, fmt(lo)}};
  const double step = NiceStep(hi - lo, n);
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    const double r = std::fabs(v) < step * 1e-9 ? 0 : v;
    out.push_back({r, fmt(r)});
  }
  return out;
}

std::vector<Tick> LogTicks(double lo, double hi, const std::function<std::string(double)>& fmt) {
  std::vector<Tick> out;
  lo = std::max(lo, 1e-12);
  const int d0 = static_cast<int>(std::floor(std::log10(lo)));
  const int d1 = static_cast<int>(std::ceil(std::log10(std::max(hi, lo))));
  const bool fine = d1 - d0 <= 2;
  for (int d = d0; d <= d1; ++d) {
    for (const double m : {1.0, 2.0, 5.0}) {
      if (m != 1 && !fine) continue;
      const double v = m * std::pow(10.0, d);
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push_back({v, fmt(v)});
    }
  }
  return out;
}

std::vector<Tick> TimeTicks(double lo_ms, double hi_ms, int n) {
  const double span = std::max(std::fabs(hi_ms), std::fabs(lo_ms));
  double unit = 1;
  const char* name = " ms";
  if (span >= 180000) {
    unit = 60000, name = " min";
  } else if (span >= 2000) {
    unit = 1000, name = " s";
  }
  auto ticks =
      LinearTicks(lo_ms / unit, hi_ms / unit, n, [&](double v) { return Short(v) + name; });
  for (auto& t : ticks) t.value *= unit;
  return ticks;
}

Chart::Chart(double width, double height, Scale x, Scale y)
    : width_(width), height_(height), x_(x), y_(y) {
  x_.px0 = kLeft;
  x_.px1 = width - kRight;
  y_.px0 = height - kBottom;
  y_.px1 = kTop;
}

namespace {
std::string N(double v) { return Trim(Fmt("%.1f", v)); }
}  // namespace

void Chart::XAxis(const std::vector<Tick>& ticks, const std::string& label) {
  const double y0 = y_.px0;
  body_ += "<g class=\"axis x\"><line x1=\"" + N(x_.px0) + "\" y1=\"" + N(y0) + "\" x2=\"" +
           N(x_.px1) + "\" y2=\"" + N(y0) + "\" stroke=\"#333\"/>";
  for (const auto& t : ticks) {
    const double px = x_(t.value);
    body_ += "<line x1=\"" + N(px) + "\" y1=\"" + N(y0) + "\" x2=\"" + N(px) + "\" y2=\"" +
             N(y0 + 4) + "\" stroke=\"#333\"/><line x1=\"" + N(px) + "\" y1=\"" + N(y_.px1) +
             "\" x2=\"" + N(px) + "\" y2=\"" + N(y0) + "\" stroke=\"#eee\"/><text x=\"" + N(px) +
             "\" y=\"" + N(y0 + 16) + "\" text-anchor=\"middle\">" + Escape(t.label) + "</text>";
  }
  body_ += "<text x=\"" + N((x_.px0 + x_.px1) / 2) + "\" y=\"" + N(height_ - 4) +
           "\" text-anchor=\"middle\" class=\"label\">" + Escape(label) + "</text></g>\n";
}

void Chart::YAxis(const std::vector<Tick>& ticks, const std::string& label) {
  const double x0 = x_.px0;
  body_ += "<g class=\"axis y\"><line x1=\"" + N(x0) + "\" y1=\"" + N(y_.px0) + "\" x2=\"" + N(x0) +
           "\" y2=\"" + N(y_.px1) + "\" stroke=\"#333\"/>";
  for (const auto& t : ticks) {
    const double py = y_(t.value);
    body_ += "<line x1=\"" + N(x0 - 4) + "\" y1=\"" + N(py) + "\" x2=\"" + N(x_.px1) + "\" y2=\"" +
             N(py) + "\" stroke=\"#eee\"/><text x=\"" + N(x0 - 6) + "\" y=\"" + N(py + 4) +
             "\" text-anchor=\"end\">" + Escape(t.label) + "</text>";
  }
  body_ += "<text transform=\"translate(12," + N((y_.px0 + y_.px1) / 2) +
           ") rotate(-90)\" text-anchor=\"middle\" class=\"label\">" + Escape(label) +
           "</text></g>\n";
}

void Chart::Band(double x0, double x1, const std::string& color, double opacity,
                 const std::string& title) {
  const double a = x_(x0), b = std::max(x_(x1), a + 1);
  body_ += "<rect class=\"band\" x=\"" + N(a) + "\" y=\"" + N(y_.px1) + "\" width=\"" + N(b - a) +
           "\" height=\"" + N(y_.px0 - y_.px1) + "\" fill=\"" + color + "\" fill-opacity=\"" +
           Trim(Fmt("%.2f", opacity)) + "\"><title>" + Escape(title) + "</title></rect>\n";
}

void Chart::VLine(double x, const std::string& color, const std::string& label) {
  const double px = x_(x);
  body_ += "<line x1=\"" + N(px) + "\" y1=\"" + N(y_.px1) + "\" x2=\"" + N(px) + "\" y2=\"" +
           N(y_.px0) + "\" stroke=\"" + color + "\" stroke-width=\"1.5\"/><text x=\"" + N(px + 3) +
           "\" y=\"" + N(y_.px1 + 10) + "\" fill=\"" + color + "\">" + Escape(label) + "</text>\n";
}

namespace {
void FlushPath(std::string& body, std::string& pts, const std::string& color, double width,
               const std::string& dash) {
  if (pts.empty()) return;
  body += "<polyline class=\"series\" fill=\"none\" stroke=\"" + color + "\" stroke-width=\"" +
          N(width) + "\"" + (dash.empty() ? "" : " stroke-dasharray=\"" + dash + "\"") +
          " points=\"" + pts + "\"/>\n";
  pts.clear();
}
}  // namespace

void Chart::Polyline(const std::vector<std::pair<double, double>>& points, const std::string& color,
                     double width, const std::string& dash) {
  std::string pts;
  for (const auto& [x, y] : points) {
    if (std::isnan(y)) {
      FlushPath(body_, pts, color, width, dash);
      continue;
    }
    pts += N(x_(x)) + "," + N(y_(y)) + " ";
  }
  FlushPath(body_, pts, color, width, dash);
}

void Chart::Steps(const std::vector<std::pair<double, double>>& points, double step,
                  const std::string& color, double width) {
  std::string pts;
  for (const auto& [x, y] : points) {
    if (std::isnan(y)) {
      FlushPath(body_, pts, color, width, "");
      continue;
    }
    const std::string py = N(y_(y));
    pts += N(x_(x)) + "," + py + " " + N(x_(x + step)) + "," + py + " ";
  }
  FlushPath(body_, pts, color, width, "");
}

void Chart::Dots(const std::vector<std::pair<double, double>>& points, const std::string& color,
                 double radius, const std::string& title) {
  body_ += "<g class=\"dots\" fill=\"" + color + "\" fill-opacity=\"0.8\">";
  if (!title.empty()) body_ += "<title>" + Escape(title) + "</title>";
  for (const auto& [x, y] : points) {
    body_ += "<circle cx=\"" + N(x_(x)) + "\" cy=\"" + N(y_(y)) + "\" r=\"" + N(radius) + "\"/>";
  }
  body_ += "</g>\n";
}

void Chart::Text(double px, double py, const std::string& text, const std::string& anchor) {
  body_ += "<text x=\"" + N(px) + "\" y=\"" + N(py) + "\" text-anchor=\"" + anchor + "\">" +
           Escape(text) + "</text>\n";
}

void Chart::Legend(const std::vector<std::pair<std::string, std::string>>& entries) {
  double px = x_.px0;
  for (const auto& [color, name] : entries) {
    body_ += "<rect x=\"" + N(px) + "\" y=\"6\" width=\"12\" height=\"10\" fill=\"" + color +
             "\"/><text x=\"" + N(px + 16) + "\" y=\"15\">" + Escape(name) + "</text>";
    px += 28 + 6.5 * static_cast<double>(name.size());
  }
  body_ += "\n";
}

std::string Chart::Render() const {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"" + N(width_) +
         "\" height=\"" + N(height_) + "\" viewBox=\"0 0 " + N(width_) + " " + N(height_) +
         "\" font-size=\"11\" font-family=\"sans-serif\">\n" + body_ + "</svg>\n";
}

}  // namespace crashlab::svg
