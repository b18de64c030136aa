package io.loupe.query.promql.parser;

import io.loupe.model.Matcher;
import java.util.List;

/**
 * The JSON rendering of an AST that {@code /api/v1/parse_query} returns, in the shape of Prometheus's
 * {@code translateAST}: every node is an object with a {@code type} ({@code vectorSelector}, {@code matrixSelector},
 * {@code subquery}, {@code binaryExpr}, {@code aggregation}, {@code call}, {@code unaryExpr}, {@code parenExpr},
 * {@code numberLiteral}, {@code stringLiteral}); durations and timestamps are milliseconds. See docs/promql.md.
 */
public final class AstJson {
  private AstJson() {}

  public static String toJson(Expr e) {
    StringBuilder sb = new StringBuilder();
    write(e, sb);
    return sb.toString();
  }

  private static void write(Expr e, StringBuilder sb) {
    if (e instanceof Expr.NumberLiteral n) {
      sb.append("{\"type\":\"numberLiteral\",\"val\":").append(str(Printer.formatNumber(n.value()))).append('}');
    } else if (e instanceof Expr.StringLiteral s) {
      sb.append("{\"type\":\"stringLiteral\",\"val\":").append(str(s.value())).append('}');
    } else if (e instanceof Expr.VectorSelector vs) {
      sb.append("{\"type\":\"vectorSelector\",");
      selectorFields(vs, sb);
      sb.append('}');
    } else if (e instanceof Expr.MatrixSelector m) {
      sb.append("{\"type\":\"matrixSelector\",\"range\":").append(m.rangeMs()).append(',');
      selectorFields(m.selector(), sb);
      sb.append('}');
    } else if (e instanceof Expr.Subquery sq) {
      sb.append("{\"type\":\"subquery\",\"expr\":");
      write(sq.expr(), sb);
      sb.append(",\"range\":").append(sq.rangeMs()).append(",\"step\":").append(sq.stepMs())
          .append(",\"offset\":").append(sq.offsetMs());
      at(sq.at(), sq.atMs(), sb);
      sb.append('}');
    } else if (e instanceof Expr.Paren p) {
      sb.append("{\"type\":\"parenExpr\",\"expr\":");
      write(p.expr(), sb);
      sb.append('}');
    } else if (e instanceof Expr.Unary u) {
      sb.append("{\"type\":\"unaryExpr\",\"op\":").append(str(u.op().text())).append(",\"expr\":");
      write(u.expr(), sb);
      sb.append('}');
    } else if (e instanceof Expr.Binary b) {
      sb.append("{\"type\":\"binaryExpr\",\"op\":").append(str(b.op().text())).append(",\"lhs\":");
      write(b.lhs(), sb);
      sb.append(",\"rhs\":");
      write(b.rhs(), sb);
      if (b.matching() != null) {
        Expr.VectorMatching m = b.matching();
        String card = switch (m.card()) {
          case ONE_TO_ONE -> "one-to-one";
          case MANY_TO_ONE -> "many-to-one";
          case ONE_TO_MANY -> "one-to-many";
          case MANY_TO_MANY -> "many-to-many";
        };
        sb.append(",\"matching\":{\"card\":").append(str(card)).append(",\"labels\":");
        strings(m.labels(), sb);
        sb.append(",\"on\":").append(m.on()).append(",\"include\":");
        strings(m.include(), sb);
        sb.append('}');
      } else {
        sb.append(",\"matching\":null");
      }
      sb.append(",\"bool\":").append(b.returnBool()).append('}');
    } else if (e instanceof Expr.Aggregate a) {
      sb.append("{\"type\":\"aggregation\",\"op\":").append(str(a.op().text())).append(",\"expr\":");
      write(a.expr(), sb);
      sb.append(",\"param\":");
      if (a.param() == null) {
        sb.append("null");
      } else {
        write(a.param(), sb);
      }
      sb.append(",\"grouping\":");
      strings(a.grouping(), sb);
      sb.append(",\"without\":").append(a.without()).append('}');
    } else if (e instanceof Expr.Call c) {
      FunctionDef f = c.func();
      sb.append("{\"type\":\"call\",\"func\":{\"name\":").append(str(f.name())).append(",\"argTypes\":[");
      for (int i = 0; i < f.argTypes().size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        sb.append(str(f.argTypes().get(i).apiName()));
      }
      sb.append("],\"variadic\":").append(f.variadic()).append(",\"returnType\":")
          .append(str(f.returnType().apiName())).append("},\"args\":[");
      for (int i = 0; i < c.args().size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        write(c.args().get(i), sb);
      }
      sb.append("]}");
    }
  }

  private static void selectorFields(Expr.VectorSelector vs, StringBuilder sb) {
    sb.append("\"name\":").append(str(vs.name())).append(",\"offset\":").append(vs.offsetMs()).append(",\"matchers\":[");
    List<Matcher> ms = vs.matchers();
    for (int i = 0; i < ms.size(); i++) {
      Matcher m = ms.get(i);
      if (i > 0) {
        sb.append(',');
      }
      sb.append("{\"type\":").append(str(m.type().op())).append(",\"name\":").append(str(m.name()))
          .append(",\"value\":").append(str(m.value())).append('}');
    }
    sb.append(']');
    at(vs.at(), vs.atMs(), sb);
  }

  private static void at(Expr.At at, long atMs, StringBuilder sb) {
    sb.append(",\"timestamp\":").append(at == Expr.At.TIME ? Long.toString(atMs) : "null");
    sb.append(",\"startOrEnd\":").append(switch (at) {
      case START -> "\"start\"";
      case END -> "\"end\"";
      default -> "null";
    });
  }

  private static void strings(List<String> l, StringBuilder sb) {
    sb.append('[');
    for (int i = 0; i < l.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(str(l.get(i)));
    }
    sb.append(']');
  }

  static String str(String s) {
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
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }
}
