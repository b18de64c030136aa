package io.loupe.query.promql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.query.promql.parser.AstJson;
import io.loupe.query.promql.parser.Expr;
import io.loupe.query.promql.parser.ParseException;
import io.loupe.query.promql.parser.Parser;
import org.junit.jupiter.api.Test;

class ParserTest {
  private static String roundTrip(String q) {
    String s = Parser.parse(q).toString();
    assertThat(Parser.parse(s).toString()).isEqualTo(s);
    return s;
  }

  @Test
  void precedenceAndAssociativity() {
    Expr e = Parser.parse("1 + 2 * 3 ^ 2 ^ 2");
    assertThat(e).isInstanceOf(Expr.Binary.class);
    Expr.Binary b = (Expr.Binary) e;
    assertThat(b.op()).isEqualTo(Expr.BinOp.ADD);
    Expr.Binary mul = (Expr.Binary) b.rhs();
    Expr.Binary pow = (Expr.Binary) mul.rhs();
    assertThat(pow.rhs()).isInstanceOf(Expr.Binary.class); // right-assoc
    Expr.Binary or = (Expr.Binary) Parser.parse("a or b and c unless d");
    assertThat(or.op()).isEqualTo(Expr.BinOp.OR);
    assertThat(Parser.parse("-2 ^ 2")).isInstanceOf(Expr.Unary.class).asString().isEqualTo("-2 ^ 2");
    assertThat(Parser.parse("-2 * 3")).isInstanceOf(Expr.Binary.class);
  }

  @Test
  void printsCanonicalForm() {
    assertThat(roundTrip("sum(rate(foo{job=\"a\",x=~'b.*'}[5m] offset -1m)) by (job)"))
        .isEqualTo("sum by (job) (rate(foo{job=\"a\", x=~\"b.*\"}[5m] offset -1m))");
    assertThat(roundTrip("a + on(x) group_left(y) b")).isEqualTo("a + on (x) group_left (y) b");
    assertThat(roundTrip("foo @ 100 offset 5m")).isEqualTo("foo @ 100.000 offset 5m");
    assertThat(roundTrip("rate(foo[1h30m:1m] @ start())")).isEqualTo("rate(foo[1h30m:1m] @ start())");
    assertThat(roundTrip("{\"my.metric\", a=\"b\"}")).isEqualTo("{\"my.metric\", a=\"b\"}");
    assertThat(roundTrip("topk(3, x) > bool 2")).isEqualTo("topk(3, x) > bool 2");
    assertThat(roundTrip("foo[5m+1m]")).isEqualTo("foo[6m]");
    assertThat(roundTrip("foo offset 50")).isEqualTo("foo offset 50s");
  }

  @Test
  void errorsSayWhere() {
    assertThatThrownBy(() -> Parser.parse("foo +"))
        .isInstanceOf(ParseException.class).hasMessage("1:6: parse error: unexpected end of input");
    assertThatThrownBy(() -> Parser.parse("rate(foo)"))
        .hasMessageContaining("expected type range vector in call to function \"rate\", got instant vector");
    assertThatThrownBy(() -> Parser.parse("1 > 2")).hasMessageContaining("comparisons between scalars must use BOOL");
    assertThatThrownBy(() -> Parser.parse("{x=\"\"}")).hasMessageContaining("at least one non-empty matcher");
    assertThatThrownBy(() -> Parser.parse("foo(1)")).hasMessageContaining("unknown function with name \"foo\"");
    assertThatThrownBy(() -> Parser.parse("a and 1")).hasMessageContaining("set operator \"and\" not allowed");
    assertThatThrownBy(() -> Parser.parse("sum(x[5m])")).hasMessageContaining("got range vector");
    assertThatThrownBy(() -> Parser.parse("x offset 1m offset 2m")).hasMessageContaining("multiple times");
    assertThatThrownBy(() -> Parser.parse("\n  )")).hasMessageStartingWith("2:3: parse error");
  }

  @Test
  void everyConformanceQueryPrintsToAFixedPoint() throws java.io.IOException {
    java.nio.file.Path dir = java.nio.file.Path.of(System.getProperty("loupe.shared.dir", "../../shared"),
        "conformance", "promqltest");
    java.util.regex.Pattern eval = java.util.regex.Pattern.compile(
        "^eval(?:_\\w+)?\\s+(?:instant\\s+(?:at\\s+\\S+\\s+)?|range\\s+from\\s+\\S+\\s+to\\s+\\S+\\s+step\\s+\\S+\\s+)(.+)$");
    int checked = 0;
    try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.list(dir)) {
      for (java.nio.file.Path f : files.filter(p -> p.toString().endsWith(".test")).toList()) {
        for (String line : java.nio.file.Files.readAllLines(f)) {
          java.util.regex.Matcher m = eval.matcher(line.trim());
          if (!m.matches()) {
            continue;
          }
          Expr e;
          try {
            e = Parser.parse(m.group(1), true, new Parser.QueryContext(60_000, 600_000));
          } catch (QueryException ex) {
            continue; // queries expected to fail
          }
          String once = e.toString();
          assertThat(Parser.parse(once).toString()).as(f.getFileName() + ": " + line).isEqualTo(once);
          assertThat(Parser.parse(once)).as(line).isEqualTo(e);
          checked++;
        }
      }
    }
    assertThat(checked).isGreaterThan(2000);
  }

  @Test
  void jsonShape() {
    assertThat(AstJson.toJson(Parser.parse("foo{a=\"b\"}")))
        .isEqualTo("{\"type\":\"vectorSelector\",\"name\":\"foo\",\"offset\":0,\"matchers\":[{\"type\":\"=\","
            + "\"name\":\"__name__\",\"value\":\"foo\"},{\"type\":\"=\",\"name\":\"a\",\"value\":\"b\"}],"
            + "\"timestamp\":null,\"startOrEnd\":null}");
  }
}
