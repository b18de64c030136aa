package io.loupe.query.promql.internal;

import static io.loupe.query.promql.internal.Data.ABSENT;
import static io.loupe.query.promql.internal.Data.present;

import io.loupe.model.Labels;
import io.loupe.query.promql.internal.Data.Result;
import io.loupe.query.promql.internal.Data.Scal;
import io.loupe.query.promql.internal.Data.Vec;
import io.loupe.query.promql.internal.Evaluator.Ctx;
import io.loupe.query.promql.parser.Expr;
import io.loupe.query.promql.parser.Expr.BinOp;
import io.loupe.query.promql.parser.Expr.Card;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Binary operators: scalar/scalar, vector/scalar, and vector/vector with label matching and set operators. */
final class Binary {
  private Binary() {}

  static Result eval(Evaluator ev, Expr.Binary b, Ctx c) {
    Result l = ev.eval(b.lhs(), c);
    Result r = ev.eval(b.rhs(), c);
    BinOp op = b.op();
    if (l instanceof Scal ls && r instanceof Scal rs) {
      double[] v = new double[c.n];
      for (int i = 0; i < c.n; i++) {
        v[i] = op.isComparison() ? (compare(op, ls.v[i], rs.v[i]) ? 1 : 0) : arith(op, ls.v[i], rs.v[i]);
      }
      return new Scal(v);
    }
    if (l instanceof Vec lv && r instanceof Scal rs) {
      return vectorScalar(op, lv, rs.v, false, b.returnBool(), c);
    }
    if (l instanceof Scal ls && r instanceof Vec rv) {
      return vectorScalar(op, rv, ls.v, true, b.returnBool(), c);
    }
    Vec lv = (Vec) l;
    Vec rv = (Vec) r;
    return switch (op) {
      case AND, OR, UNLESS -> setOp(ev, op, lv, rv, b.matching(), c);
      default -> vectorVector(ev, b, lv, rv, c);
    };
  }

  static double arith(BinOp op, double l, double r) {
    return switch (op) {
      case ADD -> l + r;
      case SUB -> l - r;
      case MUL -> l * r;
      case DIV -> l / r;
      case MOD -> l % r;
      case POW -> pow(l, r);
      case ATAN2 -> Math.atan2(l, r);
      default -> throw new IllegalStateException("not arithmetic: " + op);
    };
  }

  /** Go's math.Pow, which differs from Java's for a base of 1 or -1 with NaN or infinite exponents. */
  static double pow(double l, double r) {
    if (r == 0 || l == 1) {
      return 1;
    }
    if (l == -1 && Double.isInfinite(r)) {
      return 1;
    }
    return Math.pow(l, r);
  }

  static boolean compare(BinOp op, double l, double r) {
    return switch (op) {
      case EQL -> l == r;
      case NEQ -> l != r;
      case LSS -> l < r;
      case LTE -> l <= r;
      case GTR -> l > r;
      case GTE -> l >= r;
      default -> throw new IllegalStateException("not a comparison: " + op);
    };
  }

  private static Vec vectorScalar(BinOp op, Vec v, double[] s, boolean scalarLeft, boolean returnBool, Ctx c) {
    List<Data.Series> out = new ArrayList<>(v.series.size());
    boolean cmp = op.isComparison();
    for (Data.Series in : v.series) {
      double[] o = new double[c.n];
      boolean any = false;
      for (int i = 0; i < c.n; i++) {
        double x = in.v[i];
        if (!present(x)) {
          o[i] = ABSENT;
          continue;
        }
        double lv = scalarLeft ? s[i] : x;
        double rv = scalarLeft ? x : s[i];
        double res;
        if (cmp) {
          boolean keep = compare(op, lv, rv);
          if (returnBool) {
            res = keep ? 1 : 0;
          } else if (keep) {
            res = x; // the vector's value, even when the scalar is on the left
          } else {
            o[i] = ABSENT;
            continue;
          }
        } else {
          res = arith(op, lv, rv);
        }
        o[i] = res;
        any = true;
      }
      if (any) {
        out.add(new Data.Series(in.labels, o, in.dropName || !cmp || returnBool));
      }
    }
    return new Vec(out);
  }

  static Labels signature(Labels l, Expr.VectorMatching m) {
    if (m.on()) {
      return l.keepOnly(m.labels());
    }
    Labels.Builder b = l.toBuilder();
    for (String n : m.labels()) {
      b.remove(n);
    }
    b.remove(Labels.METRIC_NAME);
    return b.build();
  }

  private static int[] sigIds(List<Data.Series> s, Expr.VectorMatching m, Map<Labels, Integer> ids,
      List<Labels> sigs) {
    int[] out = new int[s.size()];
    for (int i = 0; i < out.length; i++) {
      Labels sig = signature(s.get(i).labels, m);
      Integer id = ids.get(sig);
      if (id == null) {
        id = ids.size();
        ids.put(sig, id);
        sigs.add(sig);
      }
      out[i] = id;
    }
    return out;
  }

  private static Vec setOp(Evaluator ev, BinOp op, Vec l, Vec r, Expr.VectorMatching m, Ctx c) {
    Map<Labels, Integer> ids = new HashMap<>();
    List<Labels> sigs = new ArrayList<>();
    int[] ls = sigIds(l.series, m, ids, sigs);
    int[] rs = sigIds(r.series, m, ids, sigs);
    int[] stamp = new int[ids.size()];
    double[][] lo = new double[l.series.size()][];
    double[][] ro = op == BinOp.OR ? new double[r.series.size()][] : null;
    for (int k = 0; k < lo.length; k++) {
      lo[k] = op == BinOp.OR ? l.series.get(k).v : Data.absentArray(c.n);
    }
    for (int k = 0; ro != null && k < ro.length; k++) {
      ro[k] = Data.absentArray(c.n);
    }
    for (int i = 0; i < c.n; i++) {
      if ((i & 63) == 0) {
        ev.check();
      }
      int mark = i + 1;
      if (op == BinOp.OR) {
        for (int k = 0; k < ls.length; k++) {
          if (present(l.series.get(k).v[i])) {
            stamp[ls[k]] = mark;
          }
        }
        for (int k = 0; k < rs.length; k++) {
          double x = r.series.get(k).v[i];
          if (present(x) && stamp[rs[k]] != mark) {
            ro[k][i] = x;
          }
        }
      } else {
        for (int k = 0; k < rs.length; k++) {
          if (present(r.series.get(k).v[i])) {
            stamp[rs[k]] = mark;
          }
        }
        boolean wantMatch = op == BinOp.AND;
        for (int k = 0; k < ls.length; k++) {
          double x = l.series.get(k).v[i];
          if (present(x) && (stamp[ls[k]] == mark) == wantMatch) {
            lo[k][i] = x;
          }
        }
      }
    }
    List<Data.Series> out = new ArrayList<>();
    for (int k = 0; k < lo.length; k++) {
      Data.Series s = l.series.get(k);
      Data.Series ns = new Data.Series(s.labels, lo[k], s.dropName);
      if (ns.any()) {
        out.add(ns);
      }
    }
    for (int k = 0; ro != null && k < ro.length; k++) {
      Data.Series s = r.series.get(k);
      Data.Series ns = new Data.Series(s.labels, ro[k], s.dropName);
      if (ns.any()) {
        out.add(ns);
      }
    }
    return new Vec(out);
  }

  private static Vec vectorVector(Evaluator ev, Expr.Binary b, Vec l, Vec r, Ctx c) {
    Expr.VectorMatching m = b.matching();
    BinOp op = b.op();
    boolean swap = m.card() == Card.ONE_TO_MANY;
    List<Data.Series> many = swap ? r.series : l.series;
    List<Data.Series> one = swap ? l.series : r.series;
    Map<Labels, Integer> ids = new HashMap<>();
    List<Labels> sigs = new ArrayList<>();
    int[] manySig = sigIds(many, m, ids, sigs);
    int[] oneSig = sigIds(one, m, ids, sigs);
    int nSig = ids.size();
    int[] oneStamp = new int[nSig];
    int[] oneAt = new int[nSig];
    int[] matchedStamp = new int[nSig];
    int[] manyStamp = new int[nSig];
    int[] cachedJ = new int[many.size()];
    int[] cachedOut = new int[many.size()];
    Arrays.fill(cachedJ, Integer.MIN_VALUE);
    Double fillMany = m.fillLeft();
    Double fillOne = m.fillRight();
    Map<Long, Integer> pairOut = new HashMap<>();
    Map<Labels, Integer> outByLabels = new HashMap<>();
    List<Data.Series> out = new ArrayList<>();
    Set<Long> inserted = m.card() == Card.ONE_TO_ONE ? null : new HashSet<>();
    boolean cmp = op.isComparison();
    boolean returnBool = b.returnBool();
    if (fillMany == null && fillOne == null) {
      Vec fast = seriesMajor(ev, b, many, one, manySig, oneSig, nSig, swap, c);
      if (fast != null) {
        return fast;
      }
    }
    for (int i = 0; i < c.n; i++) {
      if ((i & 63) == 0) {
        ev.check();
      }
      int mark = i + 1;
      for (int k = 0; k < one.size(); k++) {
        if (!present(one.get(k).v[i])) {
          continue;
        }
        int s = oneSig[k];
        if (oneStamp[s] == mark) {
          String d1 = one.get(k).labels.toString();
          String d2 = one.get(oneAt[s]).labels.toString();
          if (d1.compareTo(d2) > 0) {
            String t = d1;
            d1 = d2;
            d2 = t;
          }
          throw Evaluator.execError("found duplicate series for the match group " + sigs.get(s)
              + " on the " + (swap ? "left" : "right") + " hand-side of the operation: [" + d1 + ", " + d2
              + "];many-to-many matching not allowed: matching labels must be unique on one side");
        }
        oneStamp[s] = mark;
        oneAt[s] = k;
      }
      if (inserted != null) {
        inserted.clear();
      }
      for (int k = 0; k < many.size(); k++) {
        double mv = many.get(k).v[i];
        if (!present(mv)) {
          continue;
        }
        int s = manySig[k];
        manyStamp[s] = mark;
        int j;
        double ov;
        if (oneStamp[s] != mark) {
          if (fillOne == null) {
            continue;
          }
          j = -1; // no "one" series: the fill value stands in
          ov = fillOne;
        } else {
          j = oneAt[s];
          ov = one.get(j).v[i];
        }
        double vl = swap ? ov : mv;
        double vr = swap ? mv : ov;
        double res;
        boolean keep = true;
        if (cmp) {
          keep = compare(op, vl, vr);
          res = returnBool ? (keep ? 1 : 0) : vl;
        } else {
          res = arith(op, vl, vr);
        }
        // the partner of a series rarely changes between steps: remember the last pair to skip the map (and boxing)
        int oi;
        if (cachedJ[k] == j) {
          oi = cachedOut[k];
        } else {
          long pairKey = ((long) k << 32) | (j & 0xffffffffL);
          Integer known = pairOut.get(pairKey);
          if (known == null) {
            Labels lbl = resultLabels(many.get(k).labels, j < 0 ? Labels.EMPTY : one.get(j).labels, op, m);
            known = outByLabels.get(lbl);
            if (known == null) {
              known = out.size();
              outByLabels.put(lbl, known);
              out.add(new Data.Series(lbl, Data.absentArray(c.n), false));
            }
            pairOut.put(pairKey, known);
          }
          oi = known;
          cachedJ[k] = j;
          cachedOut[k] = oi;
        }
        Data.Series os = out.get(oi);
        if (inserted == null) {
          if (matchedStamp[s] == mark) {
            throw Evaluator.execError(
                "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)");
          }
          matchedStamp[s] = mark;
        } else {
          // the output index stands for the result labels: one index per distinct label set
          if (!inserted.add(((long) s << 32) | oi)) {
            throw Evaluator.execError("multiple matches for labels: grouping labels must ensure unique matches");
          }
        }
        if (!keep && !returnBool) {
          continue;
        }
        if (present(os.v[i])) {
          throw Evaluator.execError("vector cannot contain metrics with the same labelset");
        }
        os.v[i] = res;
        if (returnBool) {
          os.dropName = true;
        }
      }
      if (fillMany != null) {
        // "one" side series without any "many" partner: the fill value stands in for the many side, and the result
        // carries the match group's labels
        for (int j = 0; j < one.size(); j++) {
          double ov = one.get(j).v[i];
          if (!present(ov)) {
            continue;
          }
          int s = oneSig[j];
          if (manyStamp[s] == mark) {
            continue;
          }
          double mv = fillMany;
          double vl = swap ? ov : mv;
          double vr = swap ? mv : ov;
          double res;
          if (cmp) {
            boolean keep = compare(op, vl, vr);
            if (!keep && !returnBool) {
              continue;
            }
            res = returnBool ? (keep ? 1 : 0) : vl;
          } else {
            res = arith(op, vl, vr);
          }
          long pairKey = (0xffffffffL << 32) | j;
          Integer oi = pairOut.get(pairKey);
          if (oi == null) {
            Labels lbl = sigs.get(s);
            oi = outByLabels.get(lbl);
            if (oi == null) {
              oi = out.size();
              outByLabels.put(lbl, oi);
              out.add(new Data.Series(lbl, Data.absentArray(c.n), false));
            }
            pairOut.put(pairKey, oi);
          }
          Data.Series os = out.get(oi);
          if (present(os.v[i])) {
            throw Evaluator.execError("vector cannot contain metrics with the same labelset");
          }
          os.v[i] = res;
        }
      }
    }
    List<Data.Series> res = new ArrayList<>(out.size());
    for (Data.Series s : out) {
      if (s.any()) {
        res.add(s);
      }
    }
    return new Vec(res);
  }

  /**
   * The common case, series by series: every match group has at most one series on the "one" side (and, one-to-one,
   * on the other) and no two pairs share result labels, so no step can hold a duplicate. Walking each series' array
   * once is cache-friendly, unlike visiting every series at every step (measured: 10k series x 241 steps, 1.3 s to
   * ~0.7 s for a one-to-one division). Returns null when the general path must decide.
   */
  private static Vec seriesMajor(Evaluator ev, Expr.Binary b, List<Data.Series> many, List<Data.Series> one,
      int[] manySig, int[] oneSig, int nSig, boolean swap, Ctx c) {
    Expr.VectorMatching m = b.matching();
    int[] oneOfSig = new int[nSig];
    Arrays.fill(oneOfSig, -1);
    for (int j = 0; j < one.size(); j++) {
      if (oneOfSig[oneSig[j]] >= 0) {
        return null;
      }
      oneOfSig[oneSig[j]] = j;
    }
    if (m.card() == Card.ONE_TO_ONE) {
      boolean[] seen = new boolean[nSig];
      for (int k = 0; k < many.size(); k++) {
        if (seen[manySig[k]]) {
          return null;
        }
        seen[manySig[k]] = true;
      }
    }
    BinOp op = b.op();
    boolean cmp = op.isComparison();
    boolean returnBool = b.returnBool();
    java.util.Set<Labels> used = new HashSet<>();
    List<Data.Series> out = new ArrayList<>();
    for (int k = 0; k < many.size(); k++) {
      int j = oneOfSig[manySig[k]];
      if (j < 0) {
        continue;
      }
      if ((k & 255) == 0) {
        ev.check();
      }
      Labels lbl = resultLabels(many.get(k).labels, one.get(j).labels, op, m);
      if (!used.add(lbl)) {
        return null;
      }
      double[] mv = many.get(k).v;
      double[] ov = one.get(j).v;
      double[] o = new double[c.n];
      boolean any = false;
      for (int i = 0; i < c.n; i++) {
        double x = mv[i];
        double y = ov[i];
        if (!present(x) || !present(y)) {
          o[i] = ABSENT;
          continue;
        }
        double vl = swap ? y : x;
        double vr = swap ? x : y;
        if (cmp) {
          boolean keep = compare(op, vl, vr);
          if (returnBool) {
            o[i] = keep ? 1 : 0;
          } else {
            o[i] = keep ? vl : ABSENT;
          }
        } else {
          o[i] = arith(op, vl, vr);
        }
        any |= present(o[i]);
      }
      if (any) {
        out.add(new Data.Series(lbl, o, returnBool));
      }
    }
    return new Vec(out);
  }

  private static Labels resultLabels(Labels many, Labels one, BinOp op, Expr.VectorMatching m) {
    Labels.Builder b = many.toBuilder();
    if (!op.isComparison()) {
      b.remove(Labels.METRIC_NAME);
      b.remove("__type__");
      b.remove("__unit__");
    }
    if (m.card() == Card.ONE_TO_ONE) {
      if (m.on()) {
        Labels.Builder k = Labels.builder();
        Labels cur = b.build();
        for (String n : m.labels()) {
          String v = cur.get(n);
          if (!v.isEmpty()) {
            k.set(n, v);
          }
        }
        b = k;
      } else {
        for (String n : m.labels()) {
          b.remove(n);
        }
      }
    }
    for (String n : m.include()) {
      String v = one.get(n);
      if (!v.isEmpty()) {
        b.set(n, v);
      } else {
        b.remove(n);
      }
    }
    return b.build();
  }
}
