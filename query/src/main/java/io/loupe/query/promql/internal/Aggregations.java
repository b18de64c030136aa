package io.loupe.query.promql.internal;

import static io.loupe.query.promql.internal.Data.present;

import io.loupe.model.Labels;
import io.loupe.query.promql.internal.Data.Result;
import io.loupe.query.promql.internal.Data.Scal;
import io.loupe.query.promql.internal.Data.Str;
import io.loupe.query.promql.internal.Data.Vec;
import io.loupe.query.promql.internal.Evaluator.Ctx;
import io.loupe.query.promql.parser.Expr;
import io.loupe.query.promql.parser.Expr.AggOp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Aggregation operators. The group of each input series is computed once (labels do not change across steps); each
 * step then folds the present values into per-group primitive accumulators.
 */
final class Aggregations {
  private Aggregations() {}

  static Result eval(Evaluator ev, Expr.Aggregate a, Ctx c) {
    double[] param = null;
    String strParam = null;
    if (a.param() != null) {
      Result p = ev.eval(a.param(), c);
      if (p instanceof Scal s) {
        param = s.v;
      } else {
        strParam = ((Str) p).s;
      }
    }
    Vec in = (Vec) ev.eval(a.expr(), c);
    if (a.op() == AggOp.QUANTILE) {
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      boolean nan = false;
      for (double p : param) {
        if (Double.isNaN(p)) {
          nan = true;
          continue;
        }
        min = Math.min(min, p);
        max = Math.max(max, p);
      }
      if (nan) {
        ev.warn("quantile value should be between 0 and 1, got NaN");
      }
      if (max > 1) {
        ev.warn("quantile value should be between 0 and 1, got " + Functions.goG(max));
      }
      if (min < 0) {
        ev.warn("quantile value should be between 0 and 1, got " + Functions.goG(min));
      }
    }
    return switch (a.op()) {
      case TOPK, BOTTOMK, LIMITK -> selectK(ev, a, in, param, c);
      case LIMIT_RATIO -> limitRatio(ev, a, in, param, c);
      case COUNT_VALUES -> countValues(ev, a, in, strParam, c);
      default -> grouped(ev, a, in, param, c);
    };
  }

  static Labels groupLabels(Labels l, List<String> grouping, boolean without) {
    if (without) {
      Labels.Builder b = l.toBuilder();
      for (String g : grouping) {
        b.remove(g);
      }
      b.remove(Labels.METRIC_NAME);
      return b.build();
    }
    if (grouping.isEmpty()) {
      return Labels.EMPTY;
    }
    return l.keepOnly(grouping);
  }

  /** Group index of every input series; fills {@code groups} with each group's labels. */
  private static int[] groupIds(List<Data.Series> in, Expr.Aggregate a, List<Labels> groups) {
    Map<Labels, Integer> ids = new HashMap<>();
    int[] out = new int[in.size()];
    for (int k = 0; k < out.length; k++) {
      Labels g = groupLabels(in.get(k).labels, a.grouping(), a.without());
      Integer id = ids.get(g);
      if (id == null) {
        id = groups.size();
        ids.put(g, id);
        groups.add(g);
      }
      out[k] = id;
    }
    return out;
  }

  private static Vec grouped(Evaluator ev, Expr.Aggregate a, Vec in, double[] param, Ctx c) {
    List<Labels> groups = new ArrayList<>();
    int[] gid = groupIds(in.series, a, groups);
    int g = groups.size();
    AggOp op = a.op();
    double[][] out = new double[g][];
    boolean[] dropName = new boolean[g];
    for (int i = 0; i < g; i++) {
      out[i] = Data.absentArray(c.n);
    }
    if ((op == AggOp.SUM || op == AggOp.COUNT || op == AggOp.GROUP || op == AggOp.MIN || op == AggOp.MAX)
        && (long) g * c.n <= 1_000_000) {
      return seriesMajor(ev, op, in, gid, groups, out, dropName, c);
    }
    int[] stamp = new int[g];
    double[] val = new double[g];
    double[] comp = new double[g];
    double[] mean = new double[g];
    double[] count = new double[g];
    boolean[] incremental = new boolean[g];
    double[][] bufs = op == AggOp.QUANTILE ? new double[g][] : null;
    int[] bufLen = op == AggOp.QUANTILE ? new int[g] : null;
    int ns = in.series.size();
    for (int i = 0; i < c.n; i++) {
      if ((i & 63) == 0) {
        ev.check();
      }
      int mark = i + 1;
      for (int k = 0; k < ns; k++) {
        Data.Series s = in.series.get(k);
        double f = s.v[i];
        if (!present(f)) {
          continue;
        }
        int gi = gid[k];
        if (stamp[gi] != mark) {
          stamp[gi] = mark;
          count[gi] = 1;
          comp[gi] = 0;
          mean[gi] = f;
          incremental[gi] = false;
          if (s.dropName) {
            dropName[gi] = true;
          }
          switch (op) {
            case STDDEV, STDVAR -> val[gi] = Double.isNaN(f) || Double.isInfinite(f) ? Double.NaN : 0;
            case GROUP -> val[gi] = 1;
            case QUANTILE -> {
              if (bufs[gi] == null) {
                bufs[gi] = new double[8];
              }
              bufs[gi][0] = f;
              bufLen[gi] = 1;
            }
            default -> val[gi] = f;
          }
          continue;
        }
        if (s.dropName) {
          dropName[gi] = true;
        }
        switch (op) {
          case SUM -> kahanAdd(f, val, comp, gi);
          case AVG -> {
            count[gi]++;
            if (!incremental[gi]) {
              double t = val[gi] + f;
              if (!Double.isInfinite(t)) {
                kahanAdd(f, val, comp, gi);
                break;
              }
              incremental[gi] = true;
              mean[gi] = val[gi] / (count[gi] - 1);
              comp[gi] /= count[gi] - 1;
            }
            double q = (count[gi] - 1) / count[gi];
            double m = q * mean[gi];
            double cc = q * comp[gi];
            double inc = f / count[gi];
            double t = m + inc;
            if (Double.isInfinite(t)) {
              cc = 0;
            } else if (Math.abs(m) >= Math.abs(inc)) {
              cc += (m - t) + inc;
            } else {
              cc += (inc - t) + m;
            }
            mean[gi] = t;
            comp[gi] = cc;
          }
          case MAX -> {
            if (val[gi] < f || Double.isNaN(val[gi])) {
              val[gi] = f;
            }
          }
          case MIN -> {
            if (val[gi] > f || Double.isNaN(val[gi])) {
              val[gi] = f;
            }
          }
          case COUNT -> count[gi]++;
          case GROUP -> { }
          case STDDEV, STDVAR -> {
            count[gi]++;
            double delta = f - mean[gi];
            mean[gi] += delta / count[gi];
            val[gi] += delta * (f - mean[gi]);
          }
          case QUANTILE -> {
            if (bufLen[gi] == bufs[gi].length) {
              bufs[gi] = Arrays.copyOf(bufs[gi], bufLen[gi] * 2);
            }
            bufs[gi][bufLen[gi]++] = f;
          }
          default -> throw new IllegalStateException("not a grouped aggregation: " + op);
        }
      }
      for (int gi = 0; gi < g; gi++) {
        if (stamp[gi] != mark) {
          continue;
        }
        out[gi][i] = switch (op) {
          case SUM -> Double.isInfinite(val[gi]) ? val[gi] : val[gi] + comp[gi];
          case AVG -> {
            if (count[gi] == 1) {
              yield val[gi];
            }
            if (incremental[gi]) {
              yield mean[gi] + comp[gi];
            }
            yield Double.isInfinite(val[gi]) ? val[gi] / count[gi] : val[gi] / count[gi] + comp[gi] / count[gi];
          }
          case COUNT -> count[gi];
          case STDVAR -> val[gi] / count[gi];
          case STDDEV -> Math.sqrt(val[gi] / count[gi]);
          case QUANTILE -> Functions.quantile(param[i], bufs[gi], bufLen[gi]);
          default -> val[gi];
        };
      }
    }
    List<Data.Series> res = new ArrayList<>(g);
    for (int gi = 0; gi < g; gi++) {
      res.add(new Data.Series(groups.get(gi), out[gi], dropName[gi]));
    }
    return new Vec(res);
  }

  /**
   * sum/count/group/min/max series by series into per-group step arrays: each input array is read once, in order,
   * instead of touching every series at every step (cache misses dominate at 10k series). Used while the per-group
   * state (groups x steps) stays small.
   */
  private static Vec seriesMajor(Evaluator ev, AggOp op, Vec in, int[] gid, List<Labels> groups, double[][] out,
      boolean[] dropName, Ctx c) {
    double[][] comp = op == AggOp.SUM ? new double[groups.size()][] : null;
    for (int k = 0; k < in.series.size(); k++) {
      if ((k & 255) == 0) {
        ev.check();
      }
      Data.Series s = in.series.get(k);
      int gi = gid[k];
      double[] o = out[gi];
      double[] v = s.v;
      double[] cp = null;
      if (comp != null) {
        if (comp[gi] == null) {
          comp[gi] = new double[c.n];
        }
        cp = comp[gi];
      }
      boolean contributed = false;
      for (int i = 0; i < c.n; i++) {
        double f = v[i];
        if (!present(f)) {
          continue;
        }
        contributed = true;
        double cur = o[i];
        if (!present(cur)) {
          o[i] = op == AggOp.COUNT || op == AggOp.GROUP ? 1 : f;
          continue;
        }
        switch (op) {
          case SUM -> {
            double t = cur + f;
            if (Double.isInfinite(t)) {
              cp[i] = 0;
            } else if (Math.abs(cur) >= Math.abs(f)) {
              cp[i] += (cur - t) + f;
            } else {
              cp[i] += (f - t) + cur;
            }
            o[i] = t;
          }
          case COUNT -> o[i] = cur + 1;
          case MAX -> {
            if (cur < f || Double.isNaN(cur)) {
              o[i] = f;
            }
          }
          case MIN -> {
            if (cur > f || Double.isNaN(cur)) {
              o[i] = f;
            }
          }
          default -> { }
        }
      }
      if (contributed && s.dropName) {
        dropName[gi] = true;
      }
    }
    List<Data.Series> res = new ArrayList<>(groups.size());
    for (int gi = 0; gi < groups.size(); gi++) {
      double[] o = out[gi];
      if (comp != null && comp[gi] != null) {
        for (int i = 0; i < c.n; i++) {
          if (present(o[i]) && !Double.isInfinite(o[i])) {
            o[i] += comp[gi][i];
          }
        }
      }
      res.add(new Data.Series(groups.get(gi), o, dropName[gi]));
    }
    return new Vec(res);
  }

  static void kahanAdd(double inc, double[] sum, double[] c, int i) {
    double s = sum[i];
    double t = s + inc;
    if (Double.isInfinite(t)) {
      c[i] = 0;
    } else if (Math.abs(s) >= Math.abs(inc)) {
      c[i] += (s - t) + inc;
    } else {
      c[i] += (inc - t) + s;
    }
    sum[i] = t;
  }

  private static Vec selectK(Evaluator ev, Expr.Aggregate a, Vec in, double[] param, Ctx c) {
    double max = Double.NEGATIVE_INFINITY;
    boolean nan = false;
    for (double p : param) {
      if (Double.isNaN(p)) {
        nan = true;
      } else {
        max = Math.max(max, p);
      }
    }
    if (!nan && max < 1) {
      return Vec.empty();
    }
    if (nan) {
      throw Evaluator.execError("Parameter value is NaN");
    }
    for (double p : param) {
      if (p >= 9.223372036854775807E18) {
        throw Evaluator.execError("Scalar value " + io.loupe.query.promql.parser.Printer.formatNumber(p)
            + " overflows int64");
      }
      if (p <= -9.223372036854775807E18) {
        throw Evaluator.execError("Scalar value " + io.loupe.query.promql.parser.Printer.formatNumber(p)
            + " underflows int64");
      }
    }
    List<Labels> groups = new ArrayList<>();
    int[] gid = groupIds(in.series, a, groups);
    int ns = in.series.size();
    double[][] out = new double[ns][];
    boolean top = a.op() == AggOp.TOPK;
    boolean limit = a.op() == AggOp.LIMITK;
    long kMax = 0;
    for (double p : param) {
      kMax = Math.max(kMax, Math.min((long) p, ns));
    }
    List<Data.Series> res = new ArrayList<>();
    if (c.n == 1) {
      List<Integer> instantOrder = new ArrayList<>();
      stepMajorK(ev, in, gid, groups.size(), param, top, limit, out, c, instantOrder);
      for (int k : instantOrder) {
        Data.Series s = in.series.get(k);
        res.add(new Data.Series(s.labels, out[k], s.dropName));
      }
      return new Vec(res);
    }
    if ((long) groups.size() * c.n * kMax <= seriesMajorTopkLimit) {
      seriesMajorK(ev, in, gid, groups.size(), (int) kMax, param, top, limit, out, c);
    } else {
      stepMajorK(ev, in, gid, groups.size(), param, top, limit, out, c, null);
    }
    for (int k = 0; k < ns; k++) {
      if (out[k] != null) {
        Data.Series s = in.series.get(k);
        res.add(new Data.Series(s.labels, out[k], s.dropName));
      }
    }
    return new Vec(res);
  }

  /** Most heap slots (groups x steps x k) the series-major topk may hold; past it, step by step. */
  static final long SERIES_MAJOR_TOPK_LIMIT = 1_000_000;

  /** {@link #SERIES_MAJOR_TOPK_LIMIT}; tests set 0 to compare the two ways on the same input. */
  static volatile long seriesMajorTopkLimit = SERIES_MAJOR_TOPK_LIMIT;

  /**
   * topk/bottomk/limitk of a range query series by series: one heap of the k best per group and step, holding values
   * beside indices, fed by each input array read once in order. The same heap operations in the same order per step
   * as {@link #stepMajorK} (series in input order), so ties resolve alike; reading every series at every step through
   * the list was ~3x slower (cache misses and an indirection per comparison, topk over 579 series x 241 steps).
   * Fills {@code out[k]} of each series kept at some step, leaves the others null.
   */
  private static void seriesMajorK(Evaluator ev, Vec in, int[] gid, int groups, int kMax, double[] param,
      boolean top, boolean limit, double[][] out, Ctx c) {
    int n = c.n;
    int[] k = new int[n];
    for (int i = 0; i < n; i++) {
      k[i] = (int) Math.max(0, Math.min((long) param[i], in.series.size()));
    }
    int slots = Math.max(kMax, 1);
    int[] idx = new int[groups * n * slots];
    double[] val = new double[groups * n * slots];
    int[] size = new int[groups * n];
    for (int m = 0; m < in.series.size(); m++) {
      if ((m & 255) == 0) {
        ev.check();
      }
      double[] v = in.series.get(m).v;
      int g = gid[m];
      for (int i = 0; i < n; i++) {
        double x = v[i];
        int ki = k[i];
        if (ki < 1 || !present(x)) {
          continue;
        }
        int h = g * n + i;
        int base = h * slots;
        int sz = size[h];
        if (limit) {
          if (sz < ki) {
            idx[base + sz] = m;
            val[base + sz] = x;
            size[h] = sz + 1;
          }
          continue;
        }
        if (sz < ki) {
          idx[base + sz] = m;
          val[base + sz] = x;
          siftUpV(idx, val, base, sz, top);
          size[h] = sz + 1;
        } else if (better(x, val[base], top)) {
          idx[base] = m;
          val[base] = x;
          siftDownV(idx, val, base, sz, top);
        }
      }
    }
    for (int h = 0; h < size.length; h++) {
      int i = h % n;
      int base = h * slots;
      for (int j = 0; j < size[h]; j++) {
        int m = idx[base + j];
        if (out[m] == null) {
          out[m] = Data.absentArray(n);
        }
        out[m][i] = val[base + j];
      }
    }
  }

  /** topk/bottomk/limitk step by step; with {@code instantOrder}, records the kept series best-first. */
  private static void stepMajorK(Evaluator ev, Vec in, int[] gid, int groups, double[] param, boolean top,
      boolean limit, double[][] out, Ctx c, List<Integer> instantOrder) {
    int ns = in.series.size();
    // members of each group, in input order
    int[][] members = new int[groups][];
    int[] memberCount = new int[groups];
    for (int k = 0; k < ns; k++) {
      memberCount[gid[k]]++;
    }
    for (int gi = 0; gi < members.length; gi++) {
      members[gi] = new int[memberCount[gi]];
      memberCount[gi] = 0;
    }
    for (int k = 0; k < ns; k++) {
      members[gid[k]][memberCount[gid[k]]++] = k;
    }
    int[] heap = new int[Math.min(ns, 1024)];
    for (int i = 0; i < c.n; i++) {
      ev.check();
      long kk = Math.min((long) param[i], ns);
      if (kk < 1) {
        continue;
      }
      int k = (int) kk;
      if (heap.length < k) {
        heap = new int[k];
      }
      for (int[] mem : members) {
        int size = 0;
        for (int m : mem) {
          double x = in.series.get(m).v[i];
          if (!present(x)) {
            continue;
          }
          if (limit) {
            if (size < k) {
              heap[size++] = m;
            }
            continue;
          }
          // a heap of the k best so far, the worst at the root: O(n log k) without boxing
          if (size < k) {
            heap[size] = m;
            siftUp(heap, size++, in.series, i, top);
          } else if (better(x, in.series.get(heap[0]).v[i], top)) {
            heap[0] = m;
            siftDown(heap, size, in.series, i, top);
          }
        }
        if (size == 0) {
          continue;
        }
        if (!limit && instantOrder != null) {
          // pop worst-first into the tail, leaving heap[0..size) best-first
          for (int end = size - 1; end > 0; end--) {
            int t = heap[0];
            heap[0] = heap[end];
            heap[end] = t;
            siftDown(heap, end, in.series, i, top);
          }
        }
        for (int j = 0; j < size; j++) {
          int m = heap[j];
          if (out[m] == null) {
            out[m] = Data.absentArray(c.n);
          }
          out[m][i] = in.series.get(m).v[i];
          if (instantOrder != null) {
            instantOrder.add(m);
          }
        }
      }
    }
  }

  private static void siftUpV(int[] idx, double[] val, int base, int i, boolean top) {
    while (i > 0) {
      int p = (i - 1) >>> 1;
      if (better(val[base + p], val[base + i], top)) {
        swap(idx, val, base + p, base + i);
        i = p;
      } else {
        return;
      }
    }
  }

  private static void siftDownV(int[] idx, double[] val, int base, int size, boolean top) {
    int i = 0;
    while (true) {
      int l = 2 * i + 1;
      if (l >= size) {
        return;
      }
      int r = l + 1;
      int worst = l;
      if (r < size && better(val[base + l], val[base + r], top)) {
        worst = r;
      }
      if (better(val[base + i], val[base + worst], top)) {
        swap(idx, val, base + i, base + worst);
        i = worst;
      } else {
        return;
      }
    }
  }

  private static void swap(int[] idx, double[] val, int a, int b) {
    int t = idx[a];
    idx[a] = idx[b];
    idx[b] = t;
    double v = val[a];
    val[a] = val[b];
    val[b] = v;
  }

  /** Whether {@code a} ranks before {@code b} for topk ({@code top}) or bottomk; NaN ranks last. */
  private static boolean better(double a, double b, boolean top) {
    if (Double.isNaN(b)) {
      return !Double.isNaN(a);
    }
    return top ? a > b : a < b;
  }

  private static void siftUp(int[] h, int i, List<Data.Series> s, int step, boolean top) {
    while (i > 0) {
      int p = (i - 1) >>> 1;
      // min-heap on rank: the root is the worst kept element
      if (better(s.get(h[p]).v[step], s.get(h[i]).v[step], top)) {
        int t = h[p];
        h[p] = h[i];
        h[i] = t;
        i = p;
      } else {
        return;
      }
    }
  }

  private static void siftDown(int[] h, int size, List<Data.Series> s, int step, boolean top) {
    int i = 0;
    while (true) {
      int l = 2 * i + 1;
      if (l >= size) {
        return;
      }
      int r = l + 1;
      int worst = l;
      if (r < size && better(s.get(h[l]).v[step], s.get(h[r]).v[step], top)) {
        worst = r;
      }
      if (better(s.get(h[i]).v[step], s.get(h[worst]).v[step], top)) {
        int t = h[i];
        h[i] = h[worst];
        h[worst] = t;
        i = worst;
      } else {
        return;
      }
    }
  }

  private static Vec limitRatio(Evaluator ev, Expr.Aggregate a, Vec in, double[] param, Ctx c) {
    boolean allZero = true;
    for (double p : param) {
      if (Double.isNaN(p)) {
        throw Evaluator.execError("Ratio value is NaN");
      }
      if (p != 0) {
        allZero = false;
      }
    }
    if (allZero) {
      return Vec.empty();
    }
    double max = Arrays.stream(param).max().orElse(0);
    double min = Arrays.stream(param).min().orElse(0);
    if (max > 1) {
      ev.warn("ratio value should be between -1 and 1, got " + Functions.goG(max) + ", capping to 1");
    }
    if (min < -1) {
      ev.warn("ratio value should be between -1 and 1, got " + Functions.goG(min) + ", capping to -1");
    }
    List<Data.Series> res = new ArrayList<>();
    for (Data.Series s : in.series) {
      // A stable per-series offset in [0, 1): the same series is kept for the same ratio on every step and query.
      double offset = (s.labels.stableHash() >>> 11) * 0x1.0p-53;
      double[] o = Data.absentArray(c.n);
      for (int i = 0; i < c.n; i++) {
        double r = Math.max(-1, Math.min(1, param[i]));
        if (present(s.v[i]) && ((r >= 0 && offset < r) || (r < 0 && offset >= 1 + r))) {
          o[i] = s.v[i];
        }
      }
      Data.Series ns = new Data.Series(s.labels, o, s.dropName);
      if (ns.any()) {
        res.add(ns);
      }
    }
    return new Vec(res);
  }

  private static Vec countValues(Evaluator ev, Expr.Aggregate a, Vec in, String label, Ctx c) {
    if (!validLabelName(label)) {
      throw Evaluator.execError("invalid label name " + io.loupe.query.promql.parser.Printer.quote(label));
    }
    List<Labels> base = new ArrayList<>();
    for (Data.Series s : in.series) {
      base.add(groupLabels(s.labels, a.grouping(), a.without()));
    }
    Map<Labels, double[]> outs = new java.util.LinkedHashMap<>();
    for (int i = 0; i < c.n; i++) {
      ev.check();
      for (int k = 0; k < in.series.size(); k++) {
        double f = in.series.get(k).v[i];
        if (!present(f)) {
          continue;
        }
        Labels l = base.get(k).toBuilder().set(label, formatValue(f)).build();
        double[] o = outs.computeIfAbsent(l, x -> Data.absentArray(c.n));
        o[i] = present(o[i]) ? o[i] + 1 : 1;
      }
    }
    List<Data.Series> res = new ArrayList<>();
    outs.forEach((l, v) -> res.add(new Data.Series(l, v, false)));
    return new Vec(res);
  }

  static boolean validLabelName(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch == '\uFFFD' || Character.isSurrogate(ch) && !(Character.isHighSurrogate(ch) && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1)))) {
        return false;
      }
      if (Character.isLowSurrogate(ch) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)))) {
        return false;
      }
    }
    return true;
  }

  /** Go's {@code strconv.FormatFloat(f, 'f', -1, 64)}. */
  static String formatValue(double f) {
    if (Double.isNaN(f)) {
      return "NaN";
    }
    if (Double.isInfinite(f)) {
      return f > 0 ? "+Inf" : "-Inf";
    }
    if (f == 0) {
      return 1 / f < 0 ? "-0" : "0";
    }
    return new java.math.BigDecimal(Double.toString(f)).stripTrailingZeros().toPlainString();
  }
}
