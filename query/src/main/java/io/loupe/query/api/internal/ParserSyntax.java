package io.loupe.query.api.internal;

import io.loupe.model.Matcher;
import io.loupe.query.api.PromqlSyntax;
import io.loupe.query.promql.parser.AstJson;
import io.loupe.query.promql.parser.Expr;
import io.loupe.query.promql.parser.Parser;
import io.loupe.query.promql.parser.Printer;
import java.util.ArrayList;
import java.util.List;

/** {@link PromqlSyntax} over the engine's parser ({@code io.loupe.query.promql.parser}). */
public final class ParserSyntax implements PromqlSyntax {
  public static final ParserSyntax INSTANCE = new ParserSyntax();

  private ParserSyntax() {}

  @Override
  public String format(String query) {
    return Printer.print(Parser.parse(query));
  }

  @Override
  public String astJson(String query) {
    return AstJson.toJson(Parser.parse(query));
  }

  @Override
  public List<List<Matcher>> selectors(String query) {
    List<List<Matcher>> out = new ArrayList<>();
    collect(Parser.parse(query), out);
    return out;
  }

  private static void collect(Expr e, List<List<Matcher>> out) {
    if (e instanceof Expr.VectorSelector vs) {
      out.add(vs.matchers());
    } else if (e instanceof Expr.MatrixSelector m) {
      out.add(m.selector().matchers());
    } else if (e instanceof Expr.Subquery sq) {
      collect(sq.expr(), out);
    } else if (e instanceof Expr.Paren p) {
      collect(p.expr(), out);
    } else if (e instanceof Expr.Unary u) {
      collect(u.expr(), out);
    } else if (e instanceof Expr.Binary b) {
      collect(b.lhs(), out);
      collect(b.rhs(), out);
    } else if (e instanceof Expr.Aggregate a) {
      if (a.param() != null) {
        collect(a.param(), out);
      }
      collect(a.expr(), out);
    } else if (e instanceof Expr.Call c) {
      for (Expr arg : c.args()) {
        collect(arg, out);
      }
    }
    // number and string literals select nothing
  }
}
