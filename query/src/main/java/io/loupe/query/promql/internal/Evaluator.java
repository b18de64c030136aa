package io.loupe.query.promql.internal;

import static io.loupe.query.promql.internal.Data.ABSENT;
import static io.loupe.query.promql.internal.Data.present;

import io.loupe.model.Labels;
import io.loupe.model.Querier;
import io.loupe.model.Queryable;
import io.loupe.model.Sample;
import io.loupe.model.SampleIterator;
import io.loupe.model.SelectHints;
import io.loupe.model.Series;
import io.loupe.model.Tenant;
import io.loupe.query.promql.EngineOptions;
import io.loupe.query.promql.Matrix;
import io.loupe.query.promql.QueryException;
import io.loupe.query.promql.QueryException.ErrorType;
import io.loupe.query.promql.Scalar;
import io.loupe.query.promql.StringValue;
import io.loupe.query.promql.Value;
import io.loupe.query.promql.Vector;
import io.loupe.query.promql.internal.Data.Mat;
import io.loupe.query.promql.internal.Data.RangeSeries;
import io.loupe.query.promql.internal.Data.Result;
import io.loupe.query.promql.internal.Data.Scal;
import io.loupe.query.promql.internal.Data.Str;
import io.loupe.query.promql.internal.Data.Vec;
import io.loupe.query.promql.parser.Expr;
import io.loupe.query.promql.parser.Expr.BinOp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Evaluates one query. Every node is evaluated once for all steps of the query ({@link Ctx}); selectors load each
 * series once for the whole range. Not thread-safe: one instance per query.
 */
public final class Evaluator {
  private final Queryable queryable;
  private final EngineOptions opts;
  private final Tenant tenant;
  private final long deadlineNanos;
  private final BooleanSupplier cancelled;
  final long qStart;
  final long qEnd;
  final long qStep;
  final boolean isInstant;
  private final long lookback;
  private long samples;
  private long seriesLoaded;
  private final java.util.LinkedHashSet<String> warnings = new java.util.LinkedHashSet<>();
  private final java.util.LinkedHashSet<String> infos = new java.util.LinkedHashSet<>();

  public Evaluator(Queryable queryable, EngineOptions opts, Tenant tenant, Duration timeout,
      BooleanSupplier cancelled, long start, long end, long step) {
    this.queryable = queryable;
    this.opts = opts;
    this.tenant = tenant;
    long t = timeout.toNanos();
    this.deadlineNanos = System.nanoTime() + (t <= 0 ? Long.MAX_VALUE / 4 : t);
    this.cancelled = cancelled;
    this.qStart = start;
    this.qEnd = end;
    this.qStep = step;
    this.isInstant = start == end && step == 1;
    this.lookback = opts.lookbackDelta().toMillis();
  }

  static final long MAX_STEPS = 1_100_000;

  /** The evaluation steps of one (sub)query: {@code start, start+step, ..., end}. */
  static final class Ctx {
    final long start;
    final long step;
    final int n;

    Ctx(long start, long end, long step) {
      this.start = start;
      this.step = step;
      long steps = (end - start) / step + 1;
      // A guard against subqueries like x[1y:1ms]; the API limits top-level range queries to 11,000 points itself.
      if (steps > MAX_STEPS) {
        throw new QueryException(ErrorType.EXECUTION, "query would evaluate " + steps + " steps (expected: at most "
            + MAX_STEPS + "); use a larger step");
      }
      this.n = (int) steps;
    }

    long time(int i) {
      return start + i * step;
    }
  }

  // ---- annotations

  void warn(String msg) {
    warnings.add("PromQL warning: " + msg);
  }

  void info(String msg) {
    infos.add("PromQL info: " + msg);
  }

  public List<String> warnings() {
    return new ArrayList<>(warnings);
  }

  public List<String> infos() {
    return new ArrayList<>(infos);
  }

  // ---- limits

  void check() {
    if (cancelled.getAsBoolean()) {
      throw new QueryException(ErrorType.CANCELED, "query was canceled");
    }
    if (System.nanoTime() - deadlineNanos > 0) {
      throw new QueryException(ErrorType.TIMEOUT, "query timed out in expression evaluation");
    }
  }

  void addSamples(long n) {
    samples += n;
    if (samples > opts.maxSamples()) {
      throw new QueryException(ErrorType.EXECUTION,
          "query processing would load too many samples into memory in query execution");
    }
  }

  static QueryException execError(String msg) {
    return new QueryException(ErrorType.EXECUTION, msg);
  }

  // ---- entry points

  public Value instant(Expr e) {
    Ctx c = new Ctx(qStart, qStart, 1);
    Result r = eval(e, c);
    if (r instanceof Scal s) {
      return new Scalar(qStart, s.v[0]);
    } else if (r instanceof Str s) {
      return new StringValue(qStart, s.s);
    } else if (r instanceof Vec v) {
      List<Data.Series> out = finish(v.series, c);
      List<Vector.Sample> samplesOut = new ArrayList<>(out.size());
      for (Data.Series s : out) {
        samplesOut.add(new Vector.Sample(s.labels, qStart, s.v[0]));
      }
      return new Vector(samplesOut);
    }
    Mat m = (Mat) r;
    List<Matrix.Series> out = new ArrayList<>();
    long we = m.windowEnd[0];
    for (RangeSeries rs : m.series) {
      int lo = 0;
      while (lo < rs.n && rs.ts[lo] <= we - m.range) {
        lo++;
      }
      int hi = lo;
      while (hi < rs.n && rs.ts[hi] <= we) {
        hi++;
      }
      if (hi > lo) {
        Labels l = rs.dropName ? dropMetadata(rs.labels) : rs.labels;
        out.add(new Matrix.Series(l, Arrays.copyOfRange(rs.ts, lo, hi), Arrays.copyOfRange(rs.vs, lo, hi), hi - lo));
      }
    }
    out.sort(Comparator.comparing(Matrix.Series::labels));
    return new Matrix(out);
  }

  public Value range(Expr e) {
    Ctx c = new Ctx(qStart, qEnd, qStep);
    Result r = eval(e, c);
    List<Data.Series> series;
    if (r instanceof Scal s) {
      series = List.of(new Data.Series(Labels.EMPTY, s.v, false));
    } else {
      series = finish(((Vec) r).series, c);
    }
    List<Matrix.Series> out = new ArrayList<>(series.size());
    for (Data.Series s : series) {
      int cnt = 0;
      for (double d : s.v) {
        if (present(d)) {
          cnt++;
        }
      }
      if (cnt == 0) {
        continue;
      }
      long[] ts = new long[cnt];
      double[] vs = new double[cnt];
      int k = 0;
      for (int i = 0; i < c.n; i++) {
        if (present(s.v[i])) {
          ts[k] = c.time(i);
          vs[k++] = s.v[i];
        }
      }
      out.add(new Matrix.Series(s.labels, ts, vs, cnt));
    }
    out.sort(Comparator.comparing(Matrix.Series::labels));
    return new Matrix(out);
  }

  /** Without the metric name and the metadata labels that describe it ({@code __type__}, {@code __unit__}). */
  static Labels dropMetadata(Labels l) {
    if (l.get(Labels.METRIC_NAME).isEmpty() && l.get("__type__").isEmpty() && l.get("__unit__").isEmpty()) {
      return l;
    }
    return l.without(Labels.METRIC_NAME, "__type__", "__unit__");
  }

  /** Drops names marked for delayed removal, merges series that now share labels, fails on same-step collisions. */
  List<Data.Series> finish(List<Data.Series> in, Ctx c) {
    Map<Labels, Data.Series> byLabels = new HashMap<>();
    List<Data.Series> out = new ArrayList<>(in.size());
    for (Data.Series s : in) {
      if (!s.any()) {
        continue;
      }
      Labels l = s.dropName ? dropMetadata(s.labels) : s.labels;
      Data.Series prev = byLabels.get(l);
      if (prev == null) {
        Data.Series ns = new Data.Series(l, s.v, false);
        byLabels.put(l, ns);
        out.add(ns);
        continue;
      }
      for (int i = 0; i < c.n; i++) {
        if (present(s.v[i])) {
          if (present(prev.v[i])) {
            throw execError("vector cannot contain metrics with the same labelset");
          }
          prev.v[i] = s.v[i];
        }
      }
    }
    return out;
  }

  // ---- dispatch

  Result eval(Expr e, Ctx c) {
    check();
    if (e instanceof Expr.NumberLiteral n) {
      double[] v = new double[c.n];
      Arrays.fill(v, n.value());
      return new Scal(v);
    } else if (e instanceof Expr.StringLiteral s) {
      return new Str(s.value());
    } else if (e instanceof Expr.Paren p) {
      return eval(p.expr(), c);
    } else if (e instanceof Expr.Unary u) {
      Result r = eval(u.expr(), c);
      if (u.op() != BinOp.SUB) {
        return r;
      }
      if (r instanceof Scal s) {
        double[] v = new double[c.n];
        for (int i = 0; i < c.n; i++) {
          v[i] = -s.v[i];
        }
        return new Scal(v);
      }
      Vec vec = (Vec) r;
      for (Data.Series s : vec.series) {
        for (int i = 0; i < c.n; i++) {
          if (present(s.v[i])) {
            s.v[i] = -s.v[i];
          }
        }
        s.dropName = true;
      }
      return vec;
    } else if (e instanceof Expr.VectorSelector vs) {
      return selectVector(vs, c, false);
    } else if (e instanceof Expr.MatrixSelector ms) {
      return selectMatrix(ms, c);
    } else if (e instanceof Expr.Subquery sq) {
      return subquery(sq, c);
    } else if (e instanceof Expr.Binary b) {
      return Binary.eval(this, b, c);
    } else if (e instanceof Expr.Aggregate a) {
      return Aggregations.eval(this, a, c);
    } else if (e instanceof Expr.Call call) {
      return Functions.call(this, call, c);
    }
    throw new IllegalStateException("unknown node " + e);
  }

  long effectiveTime(Expr.At at, long atMs, long t) {
    return switch (at) {
      case TIME -> atMs;
      case START -> qStart;
      case END -> qEnd;
      case NONE -> t;
    };
  }

  // ---- selectors

  /** Loads the series of {@code vs} with samples in [mint, maxt]; stale markers dropped unless {@code keepStale}. */
  List<RangeSeries> load(Expr.VectorSelector vs, long mint, long maxt, boolean keepStale) {
    List<RangeSeries> out = new ArrayList<>();
    if (maxt < mint) {
      return out;
    }
    long[] ts = new long[64];
    double[] vals = new double[64];
    try (Querier q = queryable.querier(tenant, mint, maxt)) {
      Iterator<Series> it = q.select(SelectHints.range(mint, maxt), vs.matchers());
      while (it.hasNext()) {
        check();
        Series s = it.next();
        if (++seriesLoaded > opts.maxSeries()) {
          throw execError("query processing would load too many series into memory in query execution");
        }
        SampleIterator si = s.iterator();
        int n = 0;
        if (si.seek(mint)) {
          do {
            long t = si.timestamp();
            if (t > maxt) {
              break;
            }
            if (t < mint) {
              continue;
            }
            double v = si.value();
            long bits = Double.doubleToRawLongBits(v);
            if (bits == Data.ABSENT_BITS) {
              v = Double.NaN;
            } else if (bits == Sample.STALE_NAN_BITS && !keepStale) {
              continue;
            }
            if (n == ts.length) {
              ts = Arrays.copyOf(ts, n * 2);
              vals = Arrays.copyOf(vals, n * 2);
            }
            ts[n] = t;
            vals[n++] = v;
          } while (si.next());
        }
        addSamples(n);
        if (n >= ts.length - (ts.length >> 2)) {
          // Mostly full: hand the buffers over rather than copy them (series of one query mostly hold alike counts,
          // so the next one fills fresh buffers of the same size); copying was ~5% of a rate over 6k series.
          out.add(new RangeSeries(s.labels(), ts, vals, n, false));
          ts = new long[ts.length];
          vals = new double[vals.length];
        } else {
          out.add(new RangeSeries(s.labels(), Arrays.copyOf(ts, n), Arrays.copyOf(vals, n), n, false));
        }
      }
    } catch (QueryException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new QueryException(ErrorType.EXECUTION, "error selecting series: " + e.getMessage(), e);
    }
    return out;
  }

  /** An instant vector selector; with {@code timestamps} the values are the samples' timestamps in seconds. */
  Vec selectVector(Expr.VectorSelector vs, Ctx c, boolean timestamps) {
    long[] et = new long[c.n];
    for (int i = 0; i < c.n; i++) {
      et[i] = effectiveTime(vs.at(), vs.atMs(), c.time(i)) - vs.offsetMs();
    }
    if (vs.ext() == Expr.Ext.SMOOTHED) {
      return smoothed(vs, c, et);
    }
    List<RangeSeries> raws = load(vs, et[0] - lookback + 1, et[c.n - 1], true);
    List<Data.Series> out = new ArrayList<>(raws.size());
    for (RangeSeries r : raws) {
      double[] v = new double[c.n];
      boolean any = false;
      int j = -1;
      for (int i = 0; i < c.n; i++) {
        long t = et[i];
        while (j + 1 < r.n && r.ts[j + 1] <= t) {
          j++;
        }
        if (j >= 0 && r.ts[j] > t - lookback && !Sample.isStaleMarker(r.vs[j])) {
          v[i] = timestamps ? r.ts[j] / 1000.0 : r.vs[j];
          any = true;
        } else {
          v[i] = ABSENT;
        }
      }
      if (any) {
        addSamples(c.n); // the step array is held in memory like the samples it came from
        out.add(new Data.Series(r.labels, v, false));
      }
    }
    return new Vec(out);
  }

  /** {@code x smoothed}: the value at each step interpolated between the samples around it (within lookback). */
  private Vec smoothed(Expr.VectorSelector vs, Ctx c, long[] et) {
    List<RangeSeries> raws = load(vs, et[0] - lookback + 1, et[c.n - 1] + lookback, false);
    List<Data.Series> out = new ArrayList<>(raws.size());
    for (RangeSeries r : raws) {
      double[] v = new double[c.n];
      boolean any = false;
      int j = 0;
      for (int i = 0; i < c.n; i++) {
        long d = et[i];
        int lo = 0;
        while (lo < r.n && r.ts[lo] <= d - lookback) {
          lo++;
        }
        int hi = lo;
        while (hi < r.n && r.ts[hi] <= d + lookback) {
          hi++;
        }
        j = lo;
        while (j < hi && r.ts[j] < d) {
          j++;
        }
        if (lo == hi) {
          v[i] = ABSENT;
        } else if (j < hi && r.ts[j] == d) {
          v[i] = r.vs[j];
        } else if (j > lo && j < hi) {
          v[i] = Functions.interpolate(r.ts[j - 1], r.vs[j - 1], r.ts[j], r.vs[j], d, false);
        } else if (j > lo) {
          v[i] = r.vs[j - 1];
        } else {
          v[i] = ABSENT;
        }
        any |= present(v[i]);
      }
      if (any) {
        out.add(new Data.Series(r.labels, v, false));
      }
    }
    return new Vec(out);
  }

  Mat selectMatrix(Expr.MatrixSelector ms, Ctx c) {
    Expr.VectorSelector vs = ms.selector();
    long[] we = new long[c.n];
    for (int i = 0; i < c.n; i++) {
      we[i] = effectiveTime(vs.at(), vs.atMs(), c.time(i)) - vs.offsetMs();
    }
    if (vs.ext() != Expr.Ext.NONE) {
      long after = vs.ext() == Expr.Ext.SMOOTHED ? lookback : 0;
      return new Mat(load(vs, we[0] - ms.rangeMs() - lookback + 1, we[c.n - 1] + after, false), we, ms.rangeMs(),
          vs.ext(), lookback);
    }
    return new Mat(load(vs, we[0] - ms.rangeMs() + 1, we[c.n - 1], false), we, ms.rangeMs());
  }

  Mat subquery(Expr.Subquery sq, Ctx c) {
    long step = sq.stepMs() != 0 ? sq.stepMs() : opts.noStepSubqueryInterval().toMillis();
    long[] we = new long[c.n];
    for (int i = 0; i < c.n; i++) {
      we[i] = effectiveTime(sq.at(), sq.atMs(), c.time(i)) - sq.offsetMs();
    }
    long lo = we[0] - sq.rangeMs();
    long start = Math.floorDiv(lo, step) * step;
    if (start <= lo) {
      start += step; // the window is left-open: a point at lo is never seen
    }
    long end = we[c.n - 1];
    List<RangeSeries> out = new ArrayList<>();
    if (start <= end) {
      Ctx inner = new Ctx(start, end, step);
      Result r = eval(sq.expr(), inner);
      List<Data.Series> in = r instanceof Scal s ? List.of(new Data.Series(Labels.EMPTY, s.v, false))
          : ((Vec) r).series;
      for (Data.Series s : in) {
        int cnt = 0;
        for (double d : s.v) {
          if (present(d)) {
            cnt++;
          }
        }
        if (cnt == 0) {
          continue;
        }
        addSamples(cnt);
        long[] ts = new long[cnt];
        double[] vs = new double[cnt];
        int k = 0;
        for (int i = 0; i < inner.n; i++) {
          if (present(s.v[i])) {
            ts[k] = inner.time(i);
            vs[k++] = s.v[i];
          }
        }
        out.add(new RangeSeries(s.labels, ts, vs, cnt, s.dropName));
      }
    }
    return new Mat(out, we, sq.rangeMs());
  }

  Result evalMatrixArg(Expr e, Ctx c) {
    while (e instanceof Expr.Paren p) {
      e = p.expr();
    }
    return eval(e, c);
  }
}
