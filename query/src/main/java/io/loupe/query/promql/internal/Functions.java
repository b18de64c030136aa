package io.loupe.query.promql.internal;

import static io.loupe.query.promql.internal.Data.ABSENT;
import static io.loupe.query.promql.internal.Data.present;

import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.query.promql.QueryException;
import io.loupe.query.promql.internal.Data.Mat;
import io.loupe.query.promql.internal.Data.RangeSeries;
import io.loupe.query.promql.internal.Data.Result;
import io.loupe.query.promql.internal.Data.Scal;
import io.loupe.query.promql.internal.Data.Str;
import io.loupe.query.promql.internal.Data.Vec;
import io.loupe.query.promql.internal.Evaluator.Ctx;
import io.loupe.query.promql.parser.Expr;
import io.loupe.query.promql.parser.Printer;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** PromQL functions. Range functions run over primitive arrays, one window per step, moved with two cursors. */
final class Functions {
  private Functions() {}

  /** A function of the samples {@code [lo, hi)} of one series in the window {@code (start, end]}. */
  @FunctionalInterface
  interface RangeFn {
    double apply(long[] ts, double[] vs, int lo, int hi, long start, long end, int step);
  }

  static Result call(Evaluator ev, Expr.Call call, Ctx c) {
    String name = call.func().name();
    List<Expr> args = call.args();
    switch (name) {
      case "time": {
        double[] v = new double[c.n];
        for (int i = 0; i < c.n; i++) {
          v[i] = c.time(i) / 1000.0;
        }
        return new Scal(v);
      }
      case "step", "range", "start", "end": {
        double x = switch (name) {
          case "step" -> ev.isInstant ? 0 : ev.qStep / 1000.0;
          case "range" -> (ev.qEnd - ev.qStart) / 1000.0;
          case "start" -> ev.qStart / 1000.0;
          default -> ev.qEnd / 1000.0;
        };
        double[] v = new double[c.n];
        Arrays.fill(v, x);
        return new Scal(v);
      }
      case "min_of", "max_of": {
        double[] a = ((Scal) ev.eval(args.get(0), c)).v;
        double[] b = ((Scal) ev.eval(args.get(1), c)).v;
        double[] v = new double[c.n];
        for (int i = 0; i < c.n; i++) {
          v[i] = Double.isNaN(a[i]) || Double.isNaN(b[i]) ? Double.NaN
              : name.equals("min_of") ? Math.min(a[i], b[i]) : Math.max(a[i], b[i]);
        }
        return new Scal(v);
      }
      case "pi": {
        double[] v = new double[c.n];
        Arrays.fill(v, Math.PI);
        return new Scal(v);
      }
      case "vector": {
        Scal s = (Scal) ev.eval(args.get(0), c);
        List<Data.Series> l = new ArrayList<>();
        l.add(new Data.Series(Labels.EMPTY, s.v.clone(), false));
        return new Vec(l);
      }
      case "scalar": {
        Vec v = (Vec) ev.eval(args.get(0), c);
        double[] o = new double[c.n];
        for (int i = 0; i < c.n; i++) {
          int cnt = 0;
          double x = Double.NaN;
          for (Data.Series s : v.series) {
            if (present(s.v[i])) {
              cnt++;
              x = s.v[i];
            }
          }
          o[i] = cnt == 1 ? x : Double.NaN;
        }
        return new Scal(o);
      }
      case "absent":
        return absent(ev, args.get(0), c);
      case "timestamp": {
        Expr a = args.get(0);
        while (a instanceof Expr.Paren p) {
          a = p.expr();
        }
        if (a instanceof Expr.VectorSelector vs) {
          Vec v = ev.selectVector(vs, c, true);
          v.series.forEach(s -> s.dropName = true);
          return v;
        }
        Vec v = (Vec) ev.eval(a, c);
        for (Data.Series s : v.series) {
          for (int i = 0; i < c.n; i++) {
            if (present(s.v[i])) {
              s.v[i] = c.time(i) / 1000.0;
            }
          }
          s.dropName = true;
        }
        return v;
      }
      case "info":
        return info(ev, args, c);
      case "label_replace":
        return labelReplace(ev, args, c);
      case "label_join":
        return labelJoin(ev, args, c);
      case "sort", "sort_desc":
        sortWarning(ev, c);
        return sort(ev, args, c, name.equals("sort_desc"));
      case "sort_by_label", "sort_by_label_desc":
        sortWarning(ev, c);
        return sortByLabel(ev, args, c, name.endsWith("_desc"));
      case "histogram_quantile":
        return histogramQuantile(ev, args, c, false);
      case "histogram_fraction":
        return histogramQuantile(ev, args, c, true);
      case "histogram_count", "histogram_sum", "histogram_avg", "histogram_stddev", "histogram_stdvar": {
        ev.eval(args.get(0), c); // float samples are not native histograms: nothing to report
        return Vec.empty();
      }
      case "round": {
        double[] to = args.size() > 1 ? ((Scal) ev.eval(args.get(1), c)).v : null;
        Vec v = (Vec) ev.eval(args.get(0), c);
        for (Data.Series s : v.series) {
          for (int i = 0; i < c.n; i++) {
            if (present(s.v[i])) {
              double inv = to == null ? 1 : 1.0 / to[i];
              s.v[i] = Math.floor(s.v[i] * inv + 0.5) / inv;
            }
          }
          s.dropName = true;
        }
        return v;
      }
      case "clamp", "clamp_min", "clamp_max": {
        double[] lo = null;
        double[] hi = null;
        if (name.equals("clamp")) {
          lo = ((Scal) ev.eval(args.get(1), c)).v;
          hi = ((Scal) ev.eval(args.get(2), c)).v;
        } else if (name.equals("clamp_min")) {
          lo = ((Scal) ev.eval(args.get(1), c)).v;
        } else {
          hi = ((Scal) ev.eval(args.get(1), c)).v;
        }
        Vec v = (Vec) ev.eval(args.get(0), c);
        List<Data.Series> out = new ArrayList<>();
        for (Data.Series s : v.series) {
          for (int i = 0; i < c.n; i++) {
            if (!present(s.v[i])) {
              continue;
            }
            if (lo != null && hi != null && hi[i] < lo[i]) {
              s.v[i] = ABSENT; // clamp with max < min yields nothing
              continue;
            }
            double x = s.v[i];
            if (lo != null) {
              x = Double.isNaN(lo[i]) ? Double.NaN : Math.max(lo[i], x);
            }
            if (hi != null) {
              x = Double.isNaN(hi[i]) ? Double.NaN : Math.min(hi[i], x);
            }
            s.v[i] = x;
          }
          s.dropName = true;
          if (s.any()) {
            out.add(s);
          }
        }
        return new Vec(out);
      }
      case "day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute", "month", "year":
        return date(ev, name, args, c);
      default:
        break;
    }
    DoubleUnaryOperator math = mathFn(name);
    if (math != null) {
      Vec v = (Vec) ev.eval(args.get(0), c);
      for (Data.Series s : v.series) {
        for (int i = 0; i < c.n; i++) {
          if (present(s.v[i])) {
            s.v[i] = math.applyAsDouble(s.v[i]);
          }
        }
        s.dropName = true;
      }
      return v;
    }
    return rangeFunction(ev, name, args, c);
  }

  private static DoubleUnaryOperator mathFn(String name) {
    return switch (name) {
      case "abs" -> Math::abs;
      case "ceil" -> Math::ceil;
      case "floor" -> Math::floor;
      case "exp" -> Math::exp;
      case "sqrt" -> Math::sqrt;
      case "ln" -> Math::log;
      case "log2" -> x -> Math.log(x) / Math.log(2);
      case "log10" -> Math::log10;
      case "sgn" -> x -> Double.isNaN(x) ? x : Math.signum(x);
      case "deg" -> x -> x * 180 / Math.PI;
      case "rad" -> x -> x * Math.PI / 180;
      case "sin" -> Math::sin;
      case "cos" -> Math::cos;
      case "tan" -> Math::tan;
      case "asin" -> Math::asin;
      case "acos" -> Math::acos;
      case "atan" -> Math::atan;
      case "sinh" -> Math::sinh;
      case "cosh" -> Math::cosh;
      case "tanh" -> Math::tanh;
      case "asinh" -> x -> Double.isInfinite(x) ? x : Math.copySign(Math.log(Math.abs(x) + Math.sqrt(x * x + 1)), x);
      case "acosh" -> x -> x < 1 ? Double.NaN : Double.isInfinite(x) ? x : Math.log(x + Math.sqrt(x * x - 1));
      case "atanh" -> x -> Math.abs(x) > 1 ? Double.NaN : 0.5 * Math.log((1 + x) / (1 - x));
      default -> null;
    };
  }

  // ---- range functions

  private static Result rangeFunction(Evaluator ev, String name, List<Expr> args, Ctx c) {
    double[] p0 = null;
    double[] p1 = null;
    int matIdx = 0;
    if (name.equals("quantile_over_time")) {
      p0 = ((Scal) ev.eval(args.get(0), c)).v;
      matIdx = 1;
    } else if (name.equals("predict_linear")) {
      p0 = ((Scal) ev.eval(args.get(1), c)).v;
    } else if (name.equals("double_exponential_smoothing")) {
      p0 = ((Scal) ev.eval(args.get(1), c)).v;
      p1 = ((Scal) ev.eval(args.get(2), c)).v;
      for (int i = 0; i < c.n; i++) {
        if (p0[i] <= 0 || p0[i] >= 1) {
          throw Evaluator.execError("invalid smoothing factor. Expected: 0 < sf < 1, got: " + goF(p0[i]));
        }
        if (p1[i] <= 0 || p1[i] >= 1) {
          throw Evaluator.execError("invalid trend factor. Expected: 0 < tf < 1, got: " + goF(p1[i]));
        }
      }
    }
    Mat m = (Mat) ev.evalMatrixArg(args.get(matIdx), c);
    if (m.ext != Expr.Ext.NONE) {
      return extended(ev, name, m, c);
    }
    if (name.equals("absent_over_time")) {
      return absentOverTime(m, args.get(0), c);
    }
    final double[] q0 = p0;
    final double[] q1 = p1;
    final double rangeSecs = m.range / 1000.0;
    // Whether the current series has a counter reset anywhere: without one, rate/increase need not scan each window
    // for resets (the scan was ~30% of sum by (mode) (rate(node_cpu_seconds_total[5m])) over 6k series).
    final boolean[] resets = {true};
    boolean keepName = name.equals("last_over_time") || name.equals("first_over_time");
    RangeFn fn = switch (name) {
      case "rate" -> (ts, vs, lo, hi, s, e, i) -> extrapolated(ts, vs, lo, hi, s, e, true, resets[0], true,
          rangeSecs);
      case "increase" -> (ts, vs, lo, hi, s, e, i) -> extrapolated(ts, vs, lo, hi, s, e, true, resets[0], false,
          rangeSecs);
      case "delta" -> (ts, vs, lo, hi, s, e, i) -> extrapolated(ts, vs, lo, hi, s, e, false, false, false,
          rangeSecs);
      case "irate" -> (ts, vs, lo, hi, s, e, i) -> instantDelta(ts, vs, lo, hi, true);
      case "idelta" -> (ts, vs, lo, hi, s, e, i) -> instantDelta(ts, vs, lo, hi, false);
      case "count_over_time" -> (ts, vs, lo, hi, s, e, i) -> hi - lo;
      case "present_over_time" -> (ts, vs, lo, hi, s, e, i) -> 1;
      case "last_over_time" -> (ts, vs, lo, hi, s, e, i) -> vs[hi - 1];
      case "first_over_time" -> (ts, vs, lo, hi, s, e, i) -> vs[lo];
      case "ts_of_last_over_time" -> (ts, vs, lo, hi, s, e, i) -> ts[hi - 1] / 1000.0;
      case "ts_of_first_over_time" -> (ts, vs, lo, hi, s, e, i) -> ts[lo] / 1000.0;
      case "sum_over_time" -> Functions::sumOverTime;
      case "avg_over_time" -> Functions::avgOverTime;
      case "min_over_time" -> (ts, vs, lo, hi, s, e, i) -> vs[extremeIndex(vs, lo, hi, false, false)];
      case "max_over_time" -> (ts, vs, lo, hi, s, e, i) -> vs[extremeIndex(vs, lo, hi, true, false)];
      case "ts_of_min_over_time" -> (ts, vs, lo, hi, s, e, i) -> ts[extremeIndex(vs, lo, hi, false, true)] / 1000.0;
      case "ts_of_max_over_time" -> (ts, vs, lo, hi, s, e, i) -> ts[extremeIndex(vs, lo, hi, true, true)] / 1000.0;
      case "stddev_over_time" -> (ts, vs, lo, hi, s, e, i) -> Math.sqrt(variance(vs, lo, hi));
      case "stdvar_over_time" -> (ts, vs, lo, hi, s, e, i) -> variance(vs, lo, hi);
      case "changes" -> (ts, vs, lo, hi, s, e, i) -> {
        int n = 0;
        for (int k = lo + 1; k < hi; k++) {
          double a = vs[k - 1];
          double b = vs[k];
          if (!(a == b || (Double.isNaN(a) && Double.isNaN(b)))) {
            n++;
          }
        }
        return n;
      };
      case "resets" -> (ts, vs, lo, hi, s, e, i) -> {
        int n = 0;
        for (int k = lo + 1; k < hi; k++) {
          if (vs[k] < vs[k - 1]) {
            n++;
          }
        }
        return n;
      };
      case "deriv" -> (ts, vs, lo, hi, s, e, i) -> {
        if (hi - lo < 2) {
          return ABSENT;
        }
        return linearRegression(ts, vs, lo, hi, ts[lo])[0];
      };
      case "predict_linear" -> (ts, vs, lo, hi, s, e, i) -> {
        if (hi - lo < 2) {
          return ABSENT;
        }
        double[] r = linearRegression(ts, vs, lo, hi, c.time(i));
        return r[1] + r[0] * q0[i];
      };
      case "quantile_over_time" -> (ts, vs, lo, hi, s, e, i) -> quantile(q0[i], Arrays.copyOfRange(vs, lo, hi),
          hi - lo);
      case "mad_over_time" -> (ts, vs, lo, hi, s, e, i) -> {
        double[] w = Arrays.copyOfRange(vs, lo, hi);
        double med = quantile(0.5, w.clone(), w.length);
        for (int k = 0; k < w.length; k++) {
          w[k] = Math.abs(w[k] - med);
        }
        return quantile(0.5, w, w.length);
      };
      case "double_exponential_smoothing" -> (ts, vs, lo, hi, s, e, i) -> {
        int l = hi - lo;
        if (l < 2) {
          return ABSENT;
        }
        double sf = q0[i];
        double tf = q1[i];
        double s0 = 0;
        double s1 = vs[lo];
        double b = vs[lo + 1] - vs[lo];
        for (int k = 1; k < l; k++) {
          double x = sf * vs[lo + k];
          if (k - 1 != 0) {
            b = tf * (s1 - s0) + (1 - tf) * b;
          }
          double y = (1 - sf) * (s1 + b);
          s0 = s1;
          s1 = x + y;
        }
        return s1;
      };
      default -> throw new QueryException(QueryException.ErrorType.BAD_DATA, "function \"" + name
          + "\" is not supported");
    };
    Expr matArg = args.get(matIdx);
    while (matArg instanceof Expr.Paren p) {
      matArg = p.expr();
    }
    boolean counter = name.equals("rate") || name.equals("increase");
    boolean counterCheck = counter && matArg instanceof Expr.MatrixSelector;
    List<Data.Series> out = new ArrayList<>(m.series.size());
    for (RangeSeries rs : m.series) {
      if (counter) {
        resets[0] = hasReset(rs.vs, rs.n);
      }
      double[] o = new double[c.n];
      boolean any = false;
      int lo = 0;
      int hi = 0;
      for (int i = 0; i < c.n; i++) {
        if ((i & 255) == 0) {
          ev.check();
        }
        long we = m.windowEnd[i];
        long ws = we - m.range;
        while (lo < rs.n && rs.ts[lo] <= ws) {
          lo++;
        }
        if (hi < lo) {
          hi = lo;
        }
        while (hi < rs.n && rs.ts[hi] <= we) {
          hi++;
        }
        if (hi > lo) {
          double r = fn.apply(rs.ts, rs.vs, lo, hi, ws, we, i);
          o[i] = r;
          any |= present(r);
        } else {
          o[i] = ABSENT;
        }
      }
      if (any) {
        ev.addSamples(c.n);
        out.add(new Data.Series(rs.labels, o, keepName ? rs.dropName : true));
        if (counterCheck) {
          String metric = rs.labels.metricName();
          if (!metric.isEmpty() && !metric.endsWith("_total") && !metric.endsWith("_sum")
              && !metric.endsWith("_count") && !metric.endsWith("_bucket")) {
            ev.info("metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \""
                + metric + "\"");
          }
        }
        if (q0 != null && name.equals("quantile_over_time")) {
          for (int i = 0; i < c.n; i++) {
            if (present(o[i]) && (Double.isNaN(q0[i]) || q0[i] < 0 || q0[i] > 1)) {
              ev.warn("quantile value should be between 0 and 1, got " + goG(q0[i]));
              break;
            }
          }
        }
      }
    }
    return new Vec(out);
  }

  /** Go's %g for the values annotations print. */
  static String goG(double v) {
    return Printer.formatNumber(v);
  }

  static double interpolate(long t1, double y1, long t2, double y2, long t, boolean counter) {
    if (counter && y2 < y1) {
      y1 = 0;
    }
    return y1 + (y2 - y1) * (double) (t - t1) / (double) (t2 - t1);
  }

  /** rate/increase/delta/changes/resets over anchored or smoothed range selectors. */
  private static Vec extended(Evaluator ev, String name, Mat m, Ctx c) {
    boolean smoothed = m.ext == Expr.Ext.SMOOTHED;
    java.util.Set<String> allowed = smoothed ? java.util.Set.of("delta", "increase", "rate")
        : java.util.Set.of("changes", "delta", "increase", "rate", "resets");
    if (!allowed.contains(name)) {
      throw Evaluator.execError((smoothed ? "smoothed" : "anchored") + " modifier can only be used with: "
          + String.join(", ", new java.util.TreeSet<>(allowed)) + " - not with " + name);
    }
    double rangeSecs = m.range / 1000.0;
    List<Data.Series> out = new ArrayList<>(m.series.size());
    for (RangeSeries rs : m.series) {
      double[] o = new double[c.n];
      boolean any = false;
      int lo = 0;
      int hi = 0;
      for (int i = 0; i < c.n; i++) {
        long rangeEnd = m.windowEnd[i];
        long rangeStart = rangeEnd - m.range;
        long ws = rangeStart - m.extra;
        long we = smoothed ? rangeEnd + m.extra : rangeEnd;
        while (lo < rs.n && rs.ts[lo] <= ws) {
          lo++;
        }
        if (hi < lo) {
          hi = lo;
        }
        while (hi < rs.n && rs.ts[hi] <= we) {
          hi++;
        }
        o[i] = hi > lo ? switch (name) {
          case "rate" -> extendedRate(rs.ts, rs.vs, lo, hi, rangeStart, rangeEnd, smoothed, true, true, rangeSecs);
          case "increase" -> extendedRate(rs.ts, rs.vs, lo, hi, rangeStart, rangeEnd, smoothed, true, false,
              rangeSecs);
          case "delta" -> extendedRate(rs.ts, rs.vs, lo, hi, rangeStart, rangeEnd, smoothed, false, false,
              rangeSecs);
          default -> anchoredCount(rs.ts, rs.vs, lo, hi, rangeStart, name.equals("resets"));
        } : ABSENT;
        any |= present(o[i]);
      }
      if (any) {
        out.add(new Data.Series(rs.labels, o, true));
      }
    }
    return new Vec(out);
  }

  private static double extendedRate(long[] ts, double[] vs, int lo, int hi, long rangeStart, long rangeEnd,
      boolean smoothed, boolean counter, boolean rate, double rangeSecs) {
    int last = hi - 1;
    int k = lo;
    while (k < last && ts[k] <= rangeStart) {
      k++;
    }
    int first = Math.max(lo, k - 1);
    if (smoothed) {
      int k2 = lo;
      while (k2 < last && ts[k2] < rangeEnd) {
        k2++;
      }
      last = k2;
    }
    if (ts[last] <= rangeStart) {
      return ABSENT;
    }
    if (smoothed && ts[first] > rangeEnd) {
      return ABSENT;
    }
    double left = smoothed && ts[first] < rangeStart
        ? interpolate(ts[first], vs[first], ts[first + 1], vs[first + 1], rangeStart, counter) : vs[first];
    double right = smoothed && last > lo && ts[last] > rangeEnd
        ? interpolate(ts[last - 1], vs[last - 1], ts[last], vs[last], rangeEnd, counter) : vs[last];
    double result = right - left;
    if (counter) {
      int f1 = ts[first] <= rangeStart ? first + 1 : first;
      int l1 = ts[last] >= rangeEnd ? last - 1 : last;
      double corr = 0;
      double prev = left;
      for (int j = f1; j <= l1; j++) {
        if (vs[j] < prev) {
          corr += prev;
        }
        prev = vs[j];
      }
      if (right < prev) {
        corr += prev;
      }
      result += corr;
    }
    return rate ? result / rangeSecs : result;
  }

  /** changes/resets over an anchored range: counted from the last sample at or before the range start. */
  private static double anchoredCount(long[] ts, double[] vs, int lo, int hi, long rangeStart, boolean resets) {
    int le = lo - 1;
    while (le + 1 < hi && ts[le + 1] <= rangeStart) {
      le++;
    }
    if (le + 1 >= hi) {
      return ABSENT; // nothing after the range start
    }
    int start = le < lo ? lo : le;
    int n = 0;
    for (int k = start + 1; k < hi; k++) {
      double a = vs[k - 1];
      double b = vs[k];
      if (resets ? b < a : !(a == b || (Double.isNaN(a) && Double.isNaN(b)))) {
        n++;
      }
    }
    return n;
  }

  private static String goF(double v) {
    return String.format("%f", v);
  }

  /** Whether a counter drops anywhere in {@code vs[0..n)}. */
  static boolean hasReset(double[] vs, int n) {
    for (int k = 1; k < n; k++) {
      if (vs[k] < vs[k - 1]) {
        return true;
      }
    }
    return false;
  }

  /**
   * rate/increase/delta over {@code [lo, hi)} as Prometheus extrapolates them; {@code scanResets} false promises that
   * the counter has no reset in the window, which skips the scan (the result is the same).
   */
  static double extrapolated(long[] ts, double[] vs, int lo, int hi, long rangeStart, long rangeEnd,
      boolean counter, boolean scanResets, boolean rate, double rangeSecs) {
    int n = hi - lo;
    if (n < 2) {
      return ABSENT;
    }
    double first = vs[lo];
    double last = vs[hi - 1];
    double result = last - first;
    if (counter && scanResets) {
      double prev = first;
      for (int k = lo + 1; k < hi; k++) {
        double cur = vs[k];
        if (cur < prev) {
          result += prev;
        }
        prev = cur;
      }
    }
    double durationToStart = (ts[lo] - rangeStart) / 1000.0;
    double durationToEnd = (rangeEnd - ts[hi - 1]) / 1000.0;
    double sampledInterval = (ts[hi - 1] - ts[lo]) / 1000.0;
    double avgBetween = sampledInterval / (n - 1);
    double threshold = avgBetween * 1.1;
    if (durationToStart >= threshold) {
      durationToStart = avgBetween / 2;
    }
    if (counter && result > 0 && first >= 0) {
      double durationToZero = sampledInterval * (first / result);
      if (durationToZero < durationToStart) {
        durationToStart = durationToZero;
      }
    }
    if (durationToEnd >= threshold) {
      durationToEnd = avgBetween / 2;
    }
    double factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
    if (rate) {
      factor /= rangeSecs;
    }
    return result * factor;
  }

  private static double instantDelta(long[] ts, double[] vs, int lo, int hi, boolean rate) {
    if (hi - lo < 2) {
      return ABSENT;
    }
    double last = vs[hi - 1];
    double prev = vs[hi - 2];
    double result = rate && last < prev ? last : last - prev;
    long interval = ts[hi - 1] - ts[hi - 2];
    if (interval == 0) {
      return ABSENT;
    }
    return rate ? result / (interval / 1000.0) : result;
  }

  private static double sumOverTime(long[] ts, double[] vs, int lo, int hi, long s, long e, int i) {
    double sum = 0;
    double c = 0;
    for (int k = lo; k < hi; k++) {
      double inc = vs[k];
      double t = sum + inc;
      if (Double.isInfinite(t)) {
        c = 0;
      } else if (Math.abs(sum) >= Math.abs(inc)) {
        c += (sum - t) + inc;
      } else {
        c += (inc - t) + sum;
      }
      sum = t;
    }
    return Double.isInfinite(sum) ? sum : sum + c;
  }

  private static double avgOverTime(long[] ts, double[] vs, int lo, int hi, long s, long e, int i) {
    double sum = 0;
    double c = 0;
    double mean = 0;
    double count = 0;
    boolean incremental = false;
    for (int k = lo; k < hi; k++) {
      double f = vs[k];
      count = k - lo + 1;
      if (!incremental) {
        double t = sum + f;
        if (count == 1 || !Double.isInfinite(t)) {
          if (Double.isInfinite(t)) {
            c = 0;
          } else if (Math.abs(sum) >= Math.abs(f)) {
            c += (sum - t) + f;
          } else {
            c += (f - t) + sum;
          }
          sum = t;
          continue;
        }
        incremental = true;
        mean = sum / (count - 1);
        c /= count - 1;
      }
      double q = (count - 1) / count;
      double m = q * mean;
      double cc = q * c;
      double inc = f / count;
      double t = m + inc;
      if (Double.isInfinite(t)) {
        cc = 0;
      } else if (Math.abs(m) >= Math.abs(inc)) {
        cc += (m - t) + inc;
      } else {
        cc += (inc - t) + m;
      }
      mean = t;
      c = cc;
    }
    if (incremental) {
      return mean + c;
    }
    if (count == 1) {
      return sum;
    }
    return Double.isInfinite(sum) ? sum / count : sum / count + c / count;
  }

  private static int extremeIndex(double[] vs, int lo, int hi, boolean max, boolean lastOnTie) {
    int best = lo;
    for (int k = lo + 1; k < hi; k++) {
      double b = vs[best];
      double f = vs[k];
      boolean better = max ? (f > b) : (f < b);
      if (better || (Double.isNaN(b) && !Double.isNaN(f)) || (lastOnTie && f == b)) {
        best = k;
      }
    }
    return best;
  }

  private static double variance(double[] vs, int lo, int hi) {
    double count = 0;
    double mean = 0;
    double cMean = 0;
    double aux = 0;
    double cAux = 0;
    for (int k = lo; k < hi; k++) {
      double f = vs[k];
      count++;
      double delta = f - (mean + cMean);
      double[] r = kahan(delta / count, mean, cMean);
      mean = r[0];
      cMean = r[1];
      r = kahan(delta * (f - (mean + cMean)), aux, cAux);
      aux = r[0];
      cAux = r[1];
    }
    return (aux + cAux) / count;
  }

  private static double[] kahan(double inc, double sum, double c) {
    double t = sum + inc;
    if (Double.isInfinite(t)) {
      c = 0;
    } else if (Math.abs(sum) >= Math.abs(inc)) {
      c += (sum - t) + inc;
    } else {
      c += (inc - t) + sum;
    }
    return new double[] {t, c};
  }

  /** Slope and intercept (at {@code interceptTime}) of the least-squares line through the samples. */
  static double[] linearRegression(long[] ts, double[] vs, int lo, int hi, long interceptTime) {
    double n = 0;
    double sumX = 0;
    double cX = 0;
    double sumY = 0;
    double cY = 0;
    double sumXY = 0;
    double cXY = 0;
    double sumX2 = 0;
    double cX2 = 0;
    double initY = vs[lo];
    boolean constY = true;
    for (int k = lo; k < hi; k++) {
      double y = vs[k];
      if (constY && k > lo && y != initY) {
        constY = false;
      }
      n++;
      double x = (ts[k] - interceptTime) / 1e3;
      double[] r = kahan(x, sumX, cX);
      sumX = r[0];
      cX = r[1];
      r = kahan(y, sumY, cY);
      sumY = r[0];
      cY = r[1];
      r = kahan(x * y, sumXY, cXY);
      sumXY = r[0];
      cXY = r[1];
      r = kahan(x * x, sumX2, cX2);
      sumX2 = r[0];
      cX2 = r[1];
    }
    if (constY) {
      if (Double.isInfinite(initY)) {
        return new double[] {Double.NaN, Double.NaN};
      }
      return new double[] {0, initY};
    }
    sumX += cX;
    sumY += cY;
    sumXY += cXY;
    sumX2 += cX2;
    double covXY = sumXY - sumX * sumY / n;
    double varX = sumX2 - sumX * sumX / n;
    double slope = covXY / varX;
    double intercept = sumY / n - slope * sumX / n;
    return new double[] {slope, intercept};
  }

  /** Prometheus's quantile: linear interpolation between the closest ranks; sorts {@code v[0, n)}. */
  static double quantile(double q, double[] v, int n) {
    if (n == 0 || Double.isNaN(q)) {
      return Double.NaN;
    }
    if (q < 0) {
      return Double.NEGATIVE_INFINITY;
    }
    if (q > 1) {
      return Double.POSITIVE_INFINITY;
    }
    sortNaNFirst(v, n);
    double rank = q * (n - 1);
    double lower = Math.max(0, Math.floor(rank));
    double upper = Math.min(n - 1, lower + 1);
    double weight = rank - Math.floor(rank);
    return v[(int) lower] * (1 - weight) + v[(int) upper] * weight;
  }

  /** Sorts {@code v[0, n)} ascending with NaNs first, the order Prometheus's quantile sees. */
  static void sortNaNFirst(double[] v, int n) {
    Arrays.sort(v, 0, n); // Java puts NaN last
    int nan = 0;
    while (nan < n && Double.isNaN(v[n - 1 - nan])) {
      nan++;
    }
    if (nan > 0 && nan < n) {
      System.arraycopy(v, 0, v, nan, n - nan);
      Arrays.fill(v, 0, nan, Double.NaN);
    }
  }

  // ---- absent

  private static Labels absentLabels(Expr arg) {
    while (arg instanceof Expr.Paren p) {
      arg = p.expr();
    }
    List<Matcher> ms;
    if (arg instanceof Expr.VectorSelector vs) {
      ms = vs.matchers();
    } else if (arg instanceof Expr.MatrixSelector m) {
      ms = m.selector().matchers();
    } else {
      return Labels.EMPTY;
    }
    Map<String, String> eq = new LinkedHashMap<>();
    Map<String, Integer> seen = new HashMap<>();
    for (Matcher m : ms) {
      seen.merge(m.name(), 1, Integer::sum);
    }
    for (Matcher m : ms) {
      if (m.type() == Matcher.Type.EQUAL && !m.name().equals(Labels.METRIC_NAME) && seen.get(m.name()) == 1) {
        eq.put(m.name(), m.value());
      }
    }
    return Labels.fromMap(eq);
  }

  private static Vec absent(Evaluator ev, Expr arg, Ctx c) {
    Vec v = (Vec) ev.eval(arg, c);
    double[] o = new double[c.n];
    boolean any = false;
    for (int i = 0; i < c.n; i++) {
      boolean has = false;
      for (Data.Series s : v.series) {
        if (present(s.v[i])) {
          has = true;
          break;
        }
      }
      o[i] = has ? ABSENT : 1;
      any |= !has;
    }
    List<Data.Series> out = new ArrayList<>();
    if (any) {
      out.add(new Data.Series(absentLabels(arg), o, false));
    }
    return new Vec(out);
  }

  private static Vec absentOverTime(Mat m, Expr arg, Ctx c) {
    double[] o = new double[c.n];
    boolean any = false;
    int[] lo = new int[m.series.size()];
    for (int i = 0; i < c.n; i++) {
      long we = m.windowEnd[i];
      long ws = we - m.range;
      boolean has = false;
      for (int k = 0; k < m.series.size(); k++) {
        RangeSeries rs = m.series.get(k);
        while (lo[k] < rs.n && rs.ts[lo[k]] <= ws) {
          lo[k]++;
        }
        if (lo[k] < rs.n && rs.ts[lo[k]] <= we) {
          has = true;
        }
      }
      o[i] = has ? ABSENT : 1;
      any |= !has;
    }
    List<Data.Series> out = new ArrayList<>();
    if (any) {
      out.add(new Data.Series(absentLabels(arg), o, false));
    }
    return new Vec(out);
  }

  // ---- info()

  private static final List<String> IDENTIFYING = List.of("instance", "job");

  private static Expr.VectorSelector firstSelector(Expr e) {
    if (e instanceof Expr.VectorSelector vs) {
      return vs;
    } else if (e instanceof Expr.MatrixSelector m) {
      return m.selector();
    } else if (e instanceof Expr.Paren p) {
      return firstSelector(p.expr());
    } else if (e instanceof Expr.Unary u) {
      return firstSelector(u.expr());
    } else if (e instanceof Expr.Binary b) {
      Expr.VectorSelector l = firstSelector(b.lhs());
      return l != null ? l : firstSelector(b.rhs());
    } else if (e instanceof Expr.Aggregate a) {
      return firstSelector(a.expr());
    } else if (e instanceof Expr.Call c) {
      for (Expr x : c.args()) {
        Expr.VectorSelector v = firstSelector(x);
        if (v != null) {
          return v;
        }
      }
    } else if (e instanceof Expr.Subquery s) {
      return firstSelector(s.expr());
    }
    return null;
  }

  /**
   * Experimental {@code info(v, {selector})}: adds the data labels of matching info series (default
   * {@code target_info}), joined on the identifying labels instance and job, at each step.
   */
  private static Result info(Evaluator ev, List<Expr> args, Ctx c) {
    List<Matcher> nameMatchers = new ArrayList<>();
    List<Matcher> dataMatchers = new ArrayList<>();
    if (args.size() > 1) {
      Expr sel = args.get(1);
      while (sel instanceof Expr.Paren p) {
        sel = p.expr();
      }
      if (!(sel instanceof Expr.VectorSelector vs)) {
        throw Evaluator.execError("info(): the second argument must be a series selector");
      }
      for (Matcher m : vs.matchers()) {
        (m.name().equals(Labels.METRIC_NAME) ? nameMatchers : dataMatchers).add(m);
      }
    }
    if (nameMatchers.isEmpty()) {
      nameMatchers.add(Matcher.equal(Labels.METRIC_NAME, "target_info"));
    } else if (nameMatchers.stream().noneMatch(m -> m.type() == Matcher.Type.EQUAL
        || m.type() == Matcher.Type.REGEX)) {
      nameMatchers.add(0, Matcher.regex(Labels.METRIC_NAME, ".+_info")); // only negative matchers: *_info metrics
    }
    Vec base = (Vec) ev.eval(args.get(0), c);
    List<Matcher> infoSel = new ArrayList<>(nameMatchers);
    infoSel.add(Matcher.regex(Labels.METRIC_NAME, ".+"));
    // info series are read at the time of the base selector: its @ and offset apply to them too
    Expr.VectorSelector first = firstSelector(args.get(0));
    Expr.VectorSelector infoVs = first == null ? new Expr.VectorSelector("", infoSel, 0, Expr.At.NONE, 0)
        : new Expr.VectorSelector("", infoSel, first.offsetMs(), first.at(), first.atMs());
    Vec infos = ev.selectVector(infoVs, c, false);
    Vec infoTs = ev.selectVector(infoVs, c, true);
    boolean emptyOk = dataMatchers.stream().allMatch(Matcher::matchesEmpty);
    Map<Labels, Data.Series> outs = new LinkedHashMap<>();
    for (Data.Series b : base.series) {
      // a base series that is itself one of the selected info metrics is passed through
      boolean isInfo = nameMatchers.stream().allMatch(m -> m.matches(b.labels.metricName()));
      List<String> ids = new ArrayList<>();
      for (String l : IDENTIFYING) {
        if (b.labels.has(l)) {
          ids.add(l);
        }
      }
      for (int i = 0; i < c.n; i++) {
        if (!present(b.v[i])) {
          continue;
        }
        Labels result = b.labels;
        if (!isInfo && !ids.isEmpty()) {
          Map<String, Integer> pickedByName = new HashMap<>();
          for (int k = 0; k < infos.series.size(); k++) {
            Data.Series s = infos.series.get(k);
            if (!present(s.v[i])) {
              continue;
            }
            boolean match = true;
            for (String l : ids) {
              if (!s.labels.get(l).equals(b.labels.get(l))) {
                match = false;
                break;
              }
            }
            for (int d = 0; match && d < dataMatchers.size(); d++) {
              Matcher m = dataMatchers.get(d);
              match = m.matches(s.labels.get(m.name()));
            }
            if (!match) {
              continue;
            }
            Integer prev = pickedByName.get(s.labels.metricName());
            if (prev == null || infoTs.series.get(k).v[i] > infoTs.series.get(prev).v[i]) {
              pickedByName.put(s.labels.metricName(), k);
            }
          }
          if (pickedByName.isEmpty()) {
            if (!emptyOk) {
              continue;
            }
          } else {
            Map<String, String> added = new HashMap<>();
            Labels.Builder lb = b.labels.toBuilder();
            for (int k : pickedByName.values()) {
              Labels il = infos.series.get(k).labels;
              for (int li = 0; li < il.size(); li++) {
                String n = il.name(li);
                String v = il.value(li);
                if (n.equals(Labels.METRIC_NAME) || IDENTIFYING.contains(n) || b.labels.has(n)) {
                  continue;
                }
                if (!dataMatchers.isEmpty() && dataMatchers.stream().noneMatch(m -> m.name().equals(n))) {
                  continue;
                }
                String prev = added.put(n, v);
                if (prev != null && !prev.equals(v)) {
                  throw Evaluator.execError("conflicting label: " + n + " has values " + prev + " and " + v
                      + " from different info metrics");
                }
                lb.set(n, v);
              }
            }
            result = lb.build();
          }
        }
        Data.Series o = outs.computeIfAbsent(result, l -> new Data.Series(l, Data.absentArray(c.n), b.dropName));
        if (present(o.v[i])) {
          throw Evaluator.execError("vector cannot contain metrics with the same labelset");
        }
        o.v[i] = b.v[i];
      }
    }
    return new Vec(new ArrayList<>(outs.values()));
  }

  // ---- labels

  private static String str(Evaluator ev, Expr e, Ctx c) {
    return ((Str) ev.eval(e, c)).s;
  }

  private static Result labelReplace(Evaluator ev, List<Expr> args, Ctx c) {
    String dst = str(ev, args.get(1), c);
    String repl = str(ev, args.get(2), c);
    String src = str(ev, args.get(3), c);
    String re = str(ev, args.get(4), c);
    Pattern p;
    try {
      p = Pattern.compile("^(?s:" + re + ")$");
    } catch (PatternSyntaxException e) {
      throw Evaluator.execError("invalid regular expression in label_replace(): " + re);
    }
    if (!Aggregations.validLabelName(dst)) {
      throw Evaluator.execError("invalid destination label name in label_replace(): " + dst);
    }
    Vec v = (Vec) ev.eval(args.get(0), c);
    for (Data.Series s : v.series) {
      java.util.regex.Matcher m = p.matcher(s.labels.get(src));
      if (m.matches()) {
        String res = expand(repl, m);
        s.labels = s.labels.toBuilder().set(dst, res).build();
        if (dst.equals(Labels.METRIC_NAME)) {
          s.dropName = false;
        }
      }
    }
    return merge(v, c);
  }

  /** Go's regexp Expand: $1, ${1}, $name, ${name}, $$. */
  static String expand(String tmpl, java.util.regex.Matcher m) {
    StringBuilder sb = new StringBuilder();
    int i = 0;
    while (i < tmpl.length()) {
      char ch = tmpl.charAt(i);
      if (ch != '$' || i + 1 >= tmpl.length()) {
        sb.append(ch);
        i++;
        continue;
      }
      char nx = tmpl.charAt(i + 1);
      if (nx == '$') {
        sb.append('$');
        i += 2;
        continue;
      }
      String name;
      int end;
      if (nx == '{') {
        int close = tmpl.indexOf('}', i + 2);
        if (close < 0) {
          sb.append(ch);
          i++;
          continue;
        }
        name = tmpl.substring(i + 2, close);
        end = close + 1;
      } else {
        int j = i + 1;
        while (j < tmpl.length() && (Character.isLetterOrDigit(tmpl.charAt(j)) || tmpl.charAt(j) == '_')) {
          j++;
        }
        if (j == i + 1) {
          sb.append(ch);
          i++;
          continue;
        }
        name = tmpl.substring(i + 1, j);
        end = j;
      }
      String val = "";
      if (!name.isEmpty() && name.chars().allMatch(Character::isDigit)) {
        try {
          int g = Integer.parseInt(name);
          if (g <= m.groupCount() && m.group(g) != null) {
            val = m.group(g);
          }
        } catch (NumberFormatException e) {
          val = "";
        }
      } else {
        try {
          String gv = m.group(name);
          val = gv == null ? "" : gv;
        } catch (IllegalArgumentException e) {
          val = "";
        }
      }
      sb.append(val);
      i = end;
    }
    return sb.toString();
  }

  private static Result labelJoin(Evaluator ev, List<Expr> args, Ctx c) {
    String dst = str(ev, args.get(1), c);
    String sep = str(ev, args.get(2), c);
    List<String> srcs = new ArrayList<>();
    for (int i = 3; i < args.size(); i++) {
      String s = str(ev, args.get(i), c);
      if (!Aggregations.validLabelName(s)) {
        throw Evaluator.execError("invalid source label name in label_join(): " + s);
      }
      srcs.add(s);
    }
    if (!Aggregations.validLabelName(dst)) {
      throw Evaluator.execError("invalid destination label name in label_join(): " + dst);
    }
    Vec v = (Vec) ev.eval(args.get(0), c);
    for (Data.Series s : v.series) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < srcs.size(); i++) {
        if (i > 0) {
          sb.append(sep);
        }
        sb.append(s.labels.get(srcs.get(i)));
      }
      s.labels = s.labels.toBuilder().set(dst, sb.toString()).build();
      if (dst.equals(Labels.METRIC_NAME)) {
        s.dropName = false;
      }
    }
    return merge(v, c);
  }

  /** Merges series that now share a label set; fails when two have a value at the same step. */
  private static Vec merge(Vec v, Ctx c) {
    Map<Labels, Data.Series> by = new HashMap<>();
    List<Data.Series> out = new ArrayList<>();
    for (Data.Series s : v.series) {
      Data.Series prev = by.get(s.labels);
      if (prev == null) {
        by.put(s.labels, s);
        out.add(s);
        continue;
      }
      for (int i = 0; i < c.n; i++) {
        if (present(s.v[i])) {
          if (present(prev.v[i])) {
            throw Evaluator.execError("vector cannot contain metrics with the same labelset");
          }
          prev.v[i] = s.v[i];
        }
      }
      prev.dropName |= s.dropName;
    }
    return new Vec(out);
  }

  // ---- sort

  private static void sortWarning(Evaluator ev, Ctx c) {
    if (c.n > 1) {
      ev.warn("sort is ineffective for range queries since results are always ordered by labels");
    }
  }

  private static Result sort(Evaluator ev, List<Expr> args, Ctx c, boolean desc) {
    Vec v = (Vec) ev.eval(args.get(0), c);
    if (c.n != 1) {
      return v; // ordering only exists for instant results
    }
    List<Data.Series> l = new ArrayList<>(v.series);
    l.sort((a, b) -> {
      double x = a.v[0];
      double y = b.v[0];
      boolean nx = Double.isNaN(x);
      boolean ny = Double.isNaN(y);
      if (nx || ny) {
        return nx == ny ? 0 : (nx ? 1 : -1);
      }
      return desc ? Double.compare(y, x) : Double.compare(x, y);
    });
    return new Vec(l);
  }

  private static Result sortByLabel(Evaluator ev, List<Expr> args, Ctx c, boolean desc) {
    List<String> names = new ArrayList<>();
    for (int i = 1; i < args.size(); i++) {
      names.add(str(ev, args.get(i), c));
    }
    Vec v = (Vec) ev.eval(args.get(0), c);
    if (c.n != 1) {
      return v;
    }
    Comparator<Data.Series> cmp = (a, b) -> {
      for (String n : names) {
        int r = naturalCompare(a.labels.get(n), b.labels.get(n));
        if (r != 0) {
          return r;
        }
      }
      return a.labels.compareTo(b.labels);
    };
    List<Data.Series> l = new ArrayList<>(v.series);
    l.sort(desc ? cmp.reversed() : cmp);
    return new Vec(l);
  }

  /** Natural ordering: runs of digits compare numerically ("a2" before "a10"). */
  static int naturalCompare(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      char x = a.charAt(i);
      char y = b.charAt(j);
      if (Character.isDigit(x) && Character.isDigit(y)) {
        int si = i;
        int sj = j;
        while (i < a.length() && Character.isDigit(a.charAt(i))) {
          i++;
        }
        while (j < b.length() && Character.isDigit(b.charAt(j))) {
          j++;
        }
        String na = a.substring(si, i).replaceFirst("^0+(?=.)", "");
        String nb = b.substring(sj, j).replaceFirst("^0+(?=.)", "");
        if (na.length() != nb.length()) {
          return Integer.compare(na.length(), nb.length());
        }
        int r = na.compareTo(nb);
        if (r != 0) {
          return r;
        }
      } else {
        if (x != y) {
          return Character.compare(x, y);
        }
        i++;
        j++;
      }
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }

  // ---- classic histograms

  private static Result histogramQuantile(Evaluator ev, List<Expr> args, Ctx c, boolean fraction) {
    double[] q = ((Scal) ev.eval(args.get(0), c)).v;
    double[] upper = fraction ? ((Scal) ev.eval(args.get(1), c)).v : null;
    Vec v = (Vec) ev.eval(args.get(fraction ? 2 : 1), c);
    // group by all labels but le (the name stays in the key: different histograms never mix)
    Map<Labels, Integer> ids = new HashMap<>();
    List<Labels> groups = new ArrayList<>();
    List<Data.Series> members = new ArrayList<>();
    int[] gids = new int[v.series.size()];
    double[] bounds = new double[v.series.size()];
    if (!fraction) {
      for (int i = 0; i < c.n; i++) {
        if (Double.isNaN(q[i]) || q[i] < 0 || q[i] > 1) {
          ev.warn("quantile value should be between 0 and 1, got " + goG(q[i]));
          break;
        }
      }
    }
    for (Data.Series s : v.series) {
      double le;
      try {
        le = parseLe(s.labels.get("le"));
      } catch (NumberFormatException e) {
        String metric = s.labels.metricName();
        ev.warn("bucket label \"le\" is missing or has a malformed value of " + Printer.quote(s.labels.get("le"))
            + (metric.isEmpty() ? "" : " for metric name " + Printer.quote(metric)));
        continue;
      }
      Labels g = s.labels.without("le");
      Integer id = ids.get(g);
      if (id == null) {
        id = groups.size();
        ids.put(g, id);
        groups.add(g);
      }
      gids[members.size()] = id;
      bounds[members.size()] = le;
      members.add(s);
    }
    int g = groups.size();
    double[][] out = new double[g][];
    for (int i = 0; i < g; i++) {
      out[i] = Data.absentArray(c.n);
    }
    boolean[] fixed = new boolean[1];
    double[][] bUpper = new double[g][];
    double[][] bCount = new double[g][];
    int[] len = new int[g];
    for (int i = 0; i < c.n; i++) {
      ev.check();
      Arrays.fill(len, 0);
      for (int k = 0; k < members.size(); k++) {
        double x = members.get(k).v[i];
        if (!present(x)) {
          continue;
        }
        int gi = gids[k];
        if (bUpper[gi] == null || len[gi] == bUpper[gi].length) {
          int cap = bUpper[gi] == null ? 16 : bUpper[gi].length * 2;
          bUpper[gi] = bUpper[gi] == null ? new double[cap] : Arrays.copyOf(bUpper[gi], cap);
          bCount[gi] = bCount[gi] == null ? new double[cap] : Arrays.copyOf(bCount[gi], cap);
        }
        bUpper[gi][len[gi]] = bounds[k];
        bCount[gi][len[gi]++] = x;
      }
      for (int gi = 0; gi < g; gi++) {
        if (len[gi] == 0) {
          continue;
        }
        if (fraction) {
          out[gi][i] = bucketFraction(q[i], upper[i], bUpper[gi], bCount[gi], len[gi]);
        } else {
          fixed[0] = false;
          out[gi][i] = bucketQuantile(q[i], bUpper[gi], bCount[gi], len[gi], fixed);
          if (fixed[0]) {
            String metric = groups.get(gi).metricName();
            ev.info("input to histogram_quantile needed to be fixed for monotonicity (see "
                + "https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)"
                + (metric.isEmpty() ? "" : " for metric name " + Printer.quote(metric)));
          }
        }
      }
    }
    List<Data.Series> res = new ArrayList<>();
    for (int gi = 0; gi < g; gi++) {
      res.add(new Data.Series(groups.get(gi), out[gi], true));
    }
    return new Vec(res);
  }

  private static double parseLe(String s) {
    if (s.isEmpty()) {
      throw new NumberFormatException("empty");
    }
    String l = s.toLowerCase();
    switch (l) {
      case "+inf", "inf", "+infinity", "infinity":
        return Double.POSITIVE_INFINITY;
      case "-inf", "-infinity":
        return Double.NEGATIVE_INFINITY;
      case "nan":
        return Double.NaN;
      default:
        return Double.parseDouble(s);
    }
  }

  /** Sorts buckets by upper bound and merges equal bounds; returns the new length. */
  private static int sortAndCoalesce(double[] up, double[] cnt, int n) {
    Integer[] idx = new Integer[n];
    for (int i = 0; i < n; i++) {
      idx[i] = i;
    }
    Arrays.sort(idx, (a, b) -> Double.compare(up[a], up[b]));
    double[] u = new double[n];
    double[] c = new double[n];
    for (int i = 0; i < n; i++) {
      u[i] = up[idx[i]];
      c[i] = cnt[idx[i]];
    }
    int m = 0;
    for (int i = 0; i < n; i++) {
      if (m > 0 && u[i] == up[m - 1]) {
        cnt[m - 1] += c[i];
      } else {
        up[m] = u[i];
        cnt[m++] = c[i];
      }
    }
    return m;
  }

  /** The quantile of classic buckets; sets {@code fixed[0]} when counts had to be forced monotonic. */
  static double bucketQuantile(double q, double[] up, double[] cnt, int n, boolean[] fixed) {
    if (Double.isNaN(q)) {
      return Double.NaN;
    }
    if (q < 0) {
      return Double.NEGATIVE_INFINITY;
    }
    if (q > 1) {
      return Double.POSITIVE_INFINITY;
    }
    n = sortAndCoalesce(up, cnt, n);
    if (up[n - 1] != Double.POSITIVE_INFINITY) {
      return Double.NaN;
    }
    double prev = cnt[0];
    for (int i = 1; i < n; i++) {
      double cur = cnt[i];
      if (cur == prev) {
        continue;
      }
      if (almostEqual(prev, cur, 1e-12)) {
        cnt[i] = prev;
        continue;
      }
      if (cur < prev) {
        cnt[i] = prev;
        fixed[0] = true;
        continue;
      }
      prev = cur;
    }
    if (n < 2) {
      return Double.NaN;
    }
    double obs = cnt[n - 1];
    if (obs == 0) {
      return Double.NaN;
    }
    double rank = q * obs;
    int b = 0;
    while (b < n - 1 && !(cnt[b] >= rank)) {
      b++;
    }
    if (b == n - 1) {
      return up[n - 2];
    }
    if (b == 0 && up[0] <= 0) {
      return up[0];
    }
    double start = 0;
    double end = up[b];
    double count = cnt[b];
    if (b > 0) {
      start = up[b - 1];
      count -= cnt[b - 1];
      rank -= cnt[b - 1];
    }
    return start + (end - start) * (rank / count);
  }

  static double bucketFraction(double lower, double upper, double[] up, double[] cnt, int n) {
    n = sortAndCoalesce(up, cnt, n);
    if (up[n - 1] != Double.POSITIVE_INFINITY) {
      return Double.NaN;
    }
    double count = cnt[n - 1];
    if (count == 0 || Double.isNaN(lower) || Double.isNaN(upper)) {
      return Double.NaN;
    }
    if (lower >= upper) {
      return 0;
    }
    double rank = 0;
    double lowerRank = 0;
    double upperRank = 0;
    boolean lowerSet = false;
    boolean upperSet = false;
    double lowerBound = up[0] <= 0 ? Double.NEGATIVE_INFINITY : 0;
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        lowerBound = up[i - 1];
      }
      double upperBound = up[i];
      double bc = cnt[i];
      if (!lowerSet && lowerBound >= lower) {
        lowerRank = rank;
        lowerSet = true;
      }
      if (!upperSet && lowerBound >= upper) {
        upperRank = rank;
        upperSet = true;
      }
      if (lowerSet && upperSet) {
        break;
      }
      if (!lowerSet && lowerBound < lower && upperBound > lower) {
        lowerRank = lowerBound == Double.NEGATIVE_INFINITY ? bc
            : rank + (bc - rank) * (lower - lowerBound) / (upperBound - lowerBound);
        lowerSet = true;
      }
      if (!upperSet && lowerBound < upper && upperBound > upper) {
        upperRank = lowerBound == Double.NEGATIVE_INFINITY ? bc
            : rank + (bc - rank) * (upper - lowerBound) / (upperBound - lowerBound);
        upperSet = true;
      }
      if (lowerSet && upperSet) {
        break;
      }
      rank = bc;
    }
    if (!lowerSet || lowerRank > count) {
      lowerRank = count;
    }
    if (!upperSet || upperRank > count) {
      upperRank = count;
    }
    return (upperRank - lowerRank) / count;
  }

  static boolean almostEqual(double a, double b, double eps) {
    if (a == b) {
      return true;
    }
    double absSum = Math.abs(a) + Math.abs(b);
    double diff = Math.abs(a - b);
    if (a == 0 || b == 0 || absSum < Double.MIN_NORMAL) {
      return diff < eps * Double.MIN_NORMAL;
    }
    return diff / Math.min(absSum, Double.MAX_VALUE) < eps;
  }

  // ---- dates

  private static Result date(Evaluator ev, String name, List<Expr> args, Ctx c) {
    Vec v;
    if (args.isEmpty()) {
      double[] t = new double[c.n];
      for (int i = 0; i < c.n; i++) {
        t[i] = c.time(i) / 1000.0;
      }
      List<Data.Series> l = new ArrayList<>();
      l.add(new Data.Series(Labels.EMPTY, t, false));
      v = new Vec(l);
    } else {
      v = (Vec) ev.eval(args.get(0), c);
    }
    for (Data.Series s : v.series) {
      for (int i = 0; i < c.n; i++) {
        if (!present(s.v[i])) {
          continue;
        }
        double f = s.v[i];
        if (Double.isNaN(f) || Double.isInfinite(f)) {
          s.v[i] = Double.NaN;
          continue;
        }
        ZonedDateTime t = Instant.ofEpochSecond((long) f).atZone(ZoneOffset.UTC);
        s.v[i] = switch (name) {
          case "day_of_month" -> t.getDayOfMonth();
          case "day_of_week" -> t.getDayOfWeek().getValue() % 7;
          case "day_of_year" -> t.getDayOfYear();
          case "days_in_month" -> t.toLocalDate().lengthOfMonth();
          case "hour" -> t.getHour();
          case "minute" -> t.getMinute();
          case "month" -> t.getMonthValue();
          default -> t.getYear();
        };
      }
      s.dropName = true;
    }
    return v;
  }
}
