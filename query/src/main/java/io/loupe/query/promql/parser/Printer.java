package io.loupe.query.promql.parser;

import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import java.math.BigDecimal;
import java.util.List;

/** Prints an AST as canonical PromQL, in the shape of Prometheus's {@code Expr.String()} / {@code format_query}. */
public final class Printer {
  private Printer() {}

  public static String print(Expr e) {
    StringBuilder sb = new StringBuilder();
    print(e, sb);
    return sb.toString();
  }

  private static void print(Expr e, StringBuilder sb) {
    if (e instanceof Expr.NumberLiteral n) {
      sb.append(formatNumber(n.value()));
    } else if (e instanceof Expr.StringLiteral s) {
      sb.append(quote(s.value()));
    } else if (e instanceof Expr.VectorSelector vs) {
      selector(vs, sb);
      modifiers(vs.offsetMs(), vs.at(), vs.atMs(), sb);
      ext(vs.ext(), sb);
    } else if (e instanceof Expr.MatrixSelector m) {
      selector(m.selector(), sb);
      sb.append('[').append(formatDuration(m.rangeMs())).append(']');
      modifiers(m.selector().offsetMs(), m.selector().at(), m.selector().atMs(), sb);
      ext(m.selector().ext(), sb);
    } else if (e instanceof Expr.Subquery sq) {
      print(sq.expr(), sb);
      sb.append('[').append(formatDuration(sq.rangeMs())).append(':');
      if (sq.stepMs() != 0) {
        sb.append(formatDuration(sq.stepMs()));
      }
      sb.append(']');
      modifiers(sq.offsetMs(), sq.at(), sq.atMs(), sb);
    } else if (e instanceof Expr.Paren p) {
      sb.append('(');
      print(p.expr(), sb);
      sb.append(')');
    } else if (e instanceof Expr.Unary u) {
      sb.append(u.op().text());
      print(u.expr(), sb);
    } else if (e instanceof Expr.Binary b) {
      print(b.lhs(), sb);
      sb.append(' ').append(b.op().text());
      if (b.returnBool()) {
        sb.append(" bool");
      }
      Expr.VectorMatching m = b.matching();
      if (m != null) {
        if (m.on() || !m.labels().isEmpty()) {
          sb.append(m.on() ? " on" : " ignoring");
          labelList(m.labels(), sb);
        }
        if (m.card() == Expr.Card.MANY_TO_ONE || m.card() == Expr.Card.ONE_TO_MANY) {
          sb.append(m.card() == Expr.Card.MANY_TO_ONE ? " group_left" : " group_right");
          labelList(m.include(), sb);
        }
        if (m.fillLeft() != null && m.fillRight() != null
            && Double.compare(m.fillLeft(), m.fillRight()) == 0) {
          sb.append(" fill(").append(formatNumber(m.fillLeft())).append(')');
        } else {
          if (m.fillLeft() != null) {
            sb.append(" fill_left(").append(formatNumber(m.fillLeft())).append(')');
          }
          if (m.fillRight() != null) {
            sb.append(" fill_right(").append(formatNumber(m.fillRight())).append(')');
          }
        }
      }
      sb.append(' ');
      print(b.rhs(), sb);
    } else if (e instanceof Expr.Aggregate a) {
      sb.append(a.op().text());
      if (a.without()) {
        sb.append(" without");
        labelList(a.grouping(), sb);
        sb.append(' ');
      } else if (!a.grouping().isEmpty()) {
        sb.append(" by");
        labelList(a.grouping(), sb);
        sb.append(' ');
      }
      sb.append('(');
      if (a.param() != null) {
        print(a.param(), sb);
        sb.append(", ");
      }
      print(a.expr(), sb);
      sb.append(')');
    } else if (e instanceof Expr.Call c) {
      sb.append(c.func().name()).append('(');
      for (int i = 0; i < c.args().size(); i++) {
        if (i > 0) {
          sb.append(", ");
        }
        print(c.args().get(i), sb);
      }
      sb.append(')');
    }
  }

  private static void ext(Expr.Ext ext, StringBuilder sb) {
    if (ext != Expr.Ext.NONE) {
      sb.append(ext == Expr.Ext.ANCHORED ? " anchored" : " smoothed");
    }
  }

  private static void labelList(List<String> labels, StringBuilder sb) {
    sb.append(" (");
    for (int i = 0; i < labels.size(); i++) {
      if (i > 0) {
        sb.append(", ");
      }
      String l = labels.get(i);
      sb.append(isLegacyName(l, false) ? l : quote(l));
    }
    sb.append(')');
  }

  private static void modifiers(long offsetMs, Expr.At at, long atMs, StringBuilder sb) {
    switch (at) {
      case TIME -> sb.append(" @ ").append(new BigDecimal(atMs).movePointLeft(3).setScale(3).toPlainString());
      case START -> sb.append(" @ start()");
      case END -> sb.append(" @ end()");
      default -> { }
    }
    if (offsetMs > 0) {
      sb.append(" offset ").append(formatDuration(offsetMs));
    } else if (offsetMs < 0) {
      sb.append(" offset -").append(formatDuration(-offsetMs));
    }
  }

  private static void selector(Expr.VectorSelector vs, StringBuilder sb) {
    String name = vs.name();
    boolean legacy = !name.isEmpty() && isLegacyName(name, true);
    StringBuilder inner = new StringBuilder();
    if (!name.isEmpty() && !legacy) {
      inner.append(quote(name));
    }
    for (Matcher m : vs.matchers()) {
      if (!name.isEmpty() && m.name().equals(Labels.METRIC_NAME) && m.type() == Matcher.Type.EQUAL
          && m.value().equals(name)) {
        continue;
      }
      if (inner.length() > 0) {
        inner.append(", ");
      }
      inner.append(isLegacyName(m.name(), false) ? m.name() : quote(m.name()));
      inner.append(m.type().op()).append(quote(m.value()));
    }
    if (legacy) {
      sb.append(name);
      if (inner.length() > 0) {
        sb.append('{').append(inner).append('}');
      }
    } else {
      sb.append('{').append(inner).append('}');
    }
  }

  static boolean isLegacyName(String s, boolean metric) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (metric && c == ':')
          || (i > 0 && c >= '0' && c <= '9');
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** Go's {@code strconv.Quote}: double quotes, backslash escapes for quotes, backslash and control characters. */
  public static String quote(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            sb.append(String.format("\\x%02x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }

  /** Prometheus's duration format: {@code 1h30m}, {@code 1d}, {@code 500ms}, {@code 0s}. */
  public static String formatDuration(long ms) {
    if (ms == 0) {
      return "0s";
    }
    StringBuilder sb = new StringBuilder();
    long[] units = {365L * 86_400_000, 7L * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1};
    String[] names = {"y", "w", "d", "h", "m", "s", "ms"};
    long rest = ms;
    for (int i = 0; i < units.length; i++) {
      long q = rest / units[i];
      if (q > 0) {
        sb.append(q).append(names[i]);
        rest -= q * units[i];
      }
    }
    return sb.toString();
  }

  /** Go's {@code %v} of a float64 (shortest representation, exponent form outside [1e-4, 1e21)). */
  public static String formatNumber(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    if (v == 0) {
      return (1 / v < 0) ? "-0" : "0";
    }
    BigDecimal bd = new BigDecimal(Double.toString(v)).stripTrailingZeros();
    int exp = bd.precision() - bd.scale() - 1;
    if (exp < -4 || exp >= 21) {
      String digits = bd.unscaledValue().abs().toString();
      StringBuilder sb = new StringBuilder();
      if (v < 0) {
        sb.append('-');
      }
      sb.append(digits.charAt(0));
      if (digits.length() > 1) {
        sb.append('.').append(digits, 1, digits.length());
      }
      sb.append('e').append(exp < 0 ? '-' : '+');
      int ae = Math.abs(exp);
      if (ae < 10) {
        sb.append('0');
      }
      sb.append(ae);
      return sb.toString();
    }
    return bd.toPlainString();
  }
}
