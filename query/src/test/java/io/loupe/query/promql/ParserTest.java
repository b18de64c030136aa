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
  void jsonShape() {
    assertThat(AstJson.toJson(Parser.parse("foo{a=\"b\"}")))
        .isEqualTo("{\"type\":\"vectorSelector\",\"name\":\"foo\",\"offset\":0,\"matchers\":[{\"type\":\"=\","
            + "\"name\":\"__name__\",\"value\":\"foo\"},{\"type\":\"=\",\"name\":\"a\",\"value\":\"b\"}],"
            + "\"timestamp\":null,\"startOrEnd\":null}");
  }
}
