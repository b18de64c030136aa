package io.loupe.query.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.model.AttributeCondition;
import io.loupe.model.CompareOp;
import io.loupe.model.InvalidInputException;
import io.loupe.model.SpanFilter;
import io.loupe.model.SpanFilter.Intrinsic;
import io.loupe.model.SpanFilter.IntrinsicField;
import io.loupe.model.TagScope;
import io.loupe.query.trace.internal.GoDurations;
import io.loupe.query.trace.internal.TraceQl;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TraceQlTest {
  static SpanFilter one(String q) {
    List<SpanFilter> f = TraceQl.parse(q).spanFilters();
    assertThat(f).hasSize(1);
    return f.get(0);
  }

  static AttributeCondition attr(TagScope s, String k, CompareOp op, String v) {
    return new AttributeCondition(s, k, op, v);
  }

  @Test
  void emptySpansetMatchesEveryTrace() {
    assertThat(TraceQl.parse("{ }").spanFilters()).isEmpty();
    assertThat(TraceQl.parse("{}").spanFilters()).isEmpty();
    assertThat(TraceQl.parse("{} && {}").spanFilters()).isEmpty();
    assertThat(TraceQl.parse("{ } || { name = \"x\" }").spanFilters()).isEmpty();
  }

  @Test
  void scopedAndUnscopedAttributes() {
    assertThat(one("{ resource.host.name = \"node-1\" }"))
        .isEqualTo(attr(TagScope.RESOURCE, "host.name", CompareOp.EQ, "node-1"));
    assertThat(one("{span.http.method=\"GET\"}")).isEqualTo(attr(TagScope.SPAN, "http.method", CompareOp.EQ, "GET"));
    assertThat(one("{ .http.method != \"GET\" }"))
        .isEqualTo(attr(TagScope.ANY, "http.method", CompareOp.NE, "GET"));
    assertThat(one("{ span.\"with space\" = `raw\\d` }"))
        .isEqualTo(attr(TagScope.SPAN, "with space", CompareOp.EQ, "raw\\d"));
    assertThat(one("{ .\"a b\" = \"q\\\"uote\" }")).isEqualTo(attr(TagScope.ANY, "a b", CompareOp.EQ, "q\"uote"));
  }

  @Test
  void valuesAndOperators() {
    assertThat(one("{ span.http.status_code >= 500 }"))
        .isEqualTo(attr(TagScope.SPAN, "http.status_code", CompareOp.GE, "500"));
    assertThat(one("{ span.x < -1.50 }")).isEqualTo(attr(TagScope.SPAN, "x", CompareOp.LT, "-1.5"));
    assertThat(one("{ span.x > 1e3 }")).isEqualTo(attr(TagScope.SPAN, "x", CompareOp.GT, "1000.0"));
    assertThat(one("{ span.x <= 2 }")).isEqualTo(attr(TagScope.SPAN, "x", CompareOp.LE, "2"));
    assertThat(one("{ span.cached = true }")).isEqualTo(attr(TagScope.SPAN, "cached", CompareOp.EQ, "true"));
    assertThat(one("{ span.cached != false }")).isEqualTo(attr(TagScope.SPAN, "cached", CompareOp.NE, "false"));
    assertThat(one("{ .db =~ \"post.*\" }")).isEqualTo(attr(TagScope.ANY, "db", CompareOp.REGEX, "post.*"));
    assertThat(one("{ .db !~ \"post.*\" }")).isEqualTo(attr(TagScope.ANY, "db", CompareOp.NOT_REGEX, "post.*"));
    // "present": any value at all
    assertThat(one("{ span.db != nil }")).isEqualTo(attr(TagScope.SPAN, "db", CompareOp.REGEX, ".*"));
  }

  @Test
  void intrinsics() {
    assertThat(one("{ name = \"GET /\" }")).isEqualTo(new Intrinsic(IntrinsicField.NAME, CompareOp.EQ, "GET /"));
    assertThat(one("{ span:name =~ \"GET.*\" }"))
        .isEqualTo(new Intrinsic(IntrinsicField.NAME, CompareOp.REGEX, "GET.*"));
    assertThat(one("{ status = error }")).isEqualTo(new Intrinsic(IntrinsicField.STATUS, CompareOp.EQ, "error"));
    assertThat(one("{ span:status != ok }")).isEqualTo(new Intrinsic(IntrinsicField.STATUS, CompareOp.NE, "ok"));
    assertThat(one("{ status = unset }")).isEqualTo(new Intrinsic(IntrinsicField.STATUS, CompareOp.EQ, "unset"));
    assertThat(one("{ kind = server }")).isEqualTo(new Intrinsic(IntrinsicField.KIND, CompareOp.EQ, "server"));
    assertThat(one("{ span:kind != consumer }"))
        .isEqualTo(new Intrinsic(IntrinsicField.KIND, CompareOp.NE, "consumer"));
    assertThat(one("{ duration > 10ms }"))
        .isEqualTo(new Intrinsic(IntrinsicField.DURATION, CompareOp.GT, "10000000"));
    assertThat(one("{ span:duration <= 1.5s }"))
        .isEqualTo(new Intrinsic(IntrinsicField.DURATION, CompareOp.LE, "1500000000"));
    assertThat(one("{ duration >= 100us }"))
        .isEqualTo(new Intrinsic(IntrinsicField.DURATION, CompareOp.GE, "100000"));
    assertThat(one("{ duration = 1h30m }"))
        .isEqualTo(new Intrinsic(IntrinsicField.DURATION, CompareOp.EQ, "5400000000000"));
    assertThat(one("{ duration != 0 }")).isEqualTo(new Intrinsic(IntrinsicField.DURATION, CompareOp.NE, "0"));
    assertThat(one("{ resource.service.name = \"db\" }"))
        .isEqualTo(new Intrinsic(IntrinsicField.SERVICE, CompareOp.EQ, "db"));
  }

  @Test
  void traceLevelFieldsJoinedByAndAreLifted() {
    TraceQl.Query q = TraceQl.parse("{ resource.service.name = \"db\" && traceDuration > 1s } && { rootName =~ \"GET.*\""
        + " && trace:rootService != \"x\" && (trace:duration < 1m) }");
    assertThat(q.spanFilters()).containsExactly(new Intrinsic(IntrinsicField.SERVICE, CompareOp.EQ, "db"));
    assertThat(q.traceConditions()).containsExactly(
        new TraceQl.TraceCondition(TraceQl.TraceField.DURATION, CompareOp.GT, "1000000000"),
        new TraceQl.TraceCondition(TraceQl.TraceField.ROOT_NAME, CompareOp.REGEX, "GET.*"),
        new TraceQl.TraceCondition(TraceQl.TraceField.ROOT_SERVICE, CompareOp.NE, "x"),
        new TraceQl.TraceCondition(TraceQl.TraceField.DURATION, CompareOp.LT, "60000000000"));
    assertThat(TraceQl.parse("{ traceDuration > 1s }").spanFilters()).isEmpty();
    assertThatThrownBy(() -> TraceQl.parse("{ rootName > 1s }")).hasMessageContaining("rootName >");
    assertThatThrownBy(() -> TraceQl.parse("{ traceDuration > \"x\" }"))
        .hasMessageContaining("traceDuration compared with string");
  }

  @Test
  void grafanaBuilderQueriesWithoutSpaces() {
    assertThat(one("{resource.service.name=\"frontend\"&&name=\"GET /\"&&duration>100ms&&status=error}"))
        .isEqualTo(new SpanFilter.And(List.of(new Intrinsic(IntrinsicField.SERVICE, CompareOp.EQ, "frontend"),
            new Intrinsic(IntrinsicField.NAME, CompareOp.EQ, "GET /"),
            new Intrinsic(IntrinsicField.DURATION, CompareOp.GT, "100000000"),
            new Intrinsic(IntrinsicField.STATUS, CompareOp.EQ, "error"))));
    assertThat(one("{span.http.status_code=~\"5..\"}"))
        .isEqualTo(attr(TagScope.SPAN, "http.status_code", CompareOp.REGEX, "5.."));
    assertThat(one("{resource.service.name=~\"a|b\"}"))
        .isEqualTo(new Intrinsic(IntrinsicField.SERVICE, CompareOp.REGEX, "a|b"));
  }

  @Test
  void andOrAndParenthesesInsideASpanset() {
    SpanFilter a = new Intrinsic(IntrinsicField.KIND, CompareOp.EQ, "server");
    SpanFilter b = attr(TagScope.SPAN, "x", CompareOp.EQ, "1");
    SpanFilter c = new Intrinsic(IntrinsicField.STATUS, CompareOp.EQ, "error");
    assertThat(one("{ kind = server && span.x = 1 && status = error }")).isEqualTo(new SpanFilter.And(List.of(a, b, c)));
    // && binds tighter than ||
    assertThat(one("{ kind = server || span.x = 1 && status = error }"))
        .isEqualTo(new SpanFilter.Or(List.of(a, new SpanFilter.And(List.of(b, c)))));
    assertThat(one("{ (kind = server || span.x = 1) && status = error }"))
        .isEqualTo(new SpanFilter.And(List.of(new SpanFilter.Or(List.of(a, b)), c)));
  }

  @Test
  void spansetsCombineIntoConjunctiveFilters() {
    SpanFilter a = new Intrinsic(IntrinsicField.NAME, CompareOp.EQ, "a");
    SpanFilter b = new Intrinsic(IntrinsicField.NAME, CompareOp.EQ, "b");
    SpanFilter c = new Intrinsic(IntrinsicField.NAME, CompareOp.EQ, "c");
    assertThat(TraceQl.parse("{ name = \"a\" } && { name = \"b\" }").spanFilters()).containsExactly(a, b);
    // ∃a ∨ ∃b = ∃(a ∨ b)
    assertThat(TraceQl.parse("{ name = \"a\" } || { name = \"b\" }").spanFilters())
        .containsExactly(new SpanFilter.Or(List.of(a, b)));
    // (∃a ∧ ∃b) ∨ ∃c = ∃(a ∨ c) ∧ ∃(b ∨ c)
    assertThat(TraceQl.parse("({ name = \"a\" } && { name = \"b\" }) || { name = \"c\" }").spanFilters())
        .containsExactly(new SpanFilter.Or(List.of(a, c)), new SpanFilter.Or(List.of(b, c)));
    assertThat(TraceQl.parse("{ name = \"a\" } && ({ name = \"b\" } || { name = \"c\" })").spanFilters())
        .containsExactly(a, new SpanFilter.Or(List.of(b, c)));
    assertThat(TraceQl.parse("{ name = \"a\" } && { name = \"a\" }").spanFilters()).containsExactly(a);
    assertThat(TraceQl.parse("{ name = \"a\" }\n&& { name = \"b\" }").spanFilters()).containsExactly(a, b);
  }

  @Test
  void tooManyCombinationsAreRefused() {
    StringBuilder q = new StringBuilder();
    for (int i = 0; i < 7; i++) {
      if (i > 0) {
        q.append(" || ");
      }
      q.append("({ name = \"a").append(i).append("\" } && { name = \"b").append(i).append("\" })");
    }
    assertThatThrownBy(() -> TraceQl.parse(q.toString())).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("more than 64");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
    "'{ .a = 1 } | count() > 1'        | line 1, col 12: pipeline '|' is not supported",
    "'{ .a = 1 } | select(.b)'         | line 1, col 12: pipeline '|'",
    "{ .a = 1 } >> { .b = 2 }          | line 1, col 12: structural operator '>>'",
    "{ .a = 1 } > { .b = 2 }           | line 1, col 12: structural operator '>'",
    "{ .a = 1 } < { .b = 2 }           | line 1, col 12: structural operator '<'",
    "{ .a = 1 } << { .b = 2 }          | line 1, col 12: structural operator '<<'",
    "{ .a = 1 } ~ { .b = 2 }           | line 1, col 12: structural operator '~'",
    "{ .a = 1 } !~ { .b = 2 }          | line 1, col 12: structural operator '!~'",
    "{ .a = 1 } !>> { .b = 2 }         | line 1, col 12: structural operator '!'",
    "count() > 1                       | line 1, col 1: aggregate or function 'count'",
    "{ event.name = \"x\" }            | line 1, col 3: scope 'event' of 'event.name'",
    "{ link.x = \"x\" }                | line 1, col 3: scope 'link'",
    "{ instrumentation.name = \"x\" }  | line 1, col 3: scope 'instrumentation'",
    "{ trace:id = \"x\" }            | line 1, col 3: intrinsic 'trace:id'",
    "'{ .a = 1 || traceDuration > 1s }' | line 1, col 13: trace-level field 'traceDuration' under ||",
    "'{ .a = 1 } || { rootName = \"x\" }' | line 1, col 17: trace-level field 'rootName' in a span set joined by ||",
    "{ event:name = \"x\" }            | line 1, col 3: intrinsic 'event:name'",
    "{ childCount > 1 }                | line 1, col 3: field 'childCount'",
    "{ statusMessage = \"x\" }         | line 1, col 3: field 'statusMessage'",
    "{ .a + 1 = 2 }                    | line 1, col 6: arithmetic '+'",
    "{ .a = 1 * 2 }                    | line 1, col 10: arithmetic '*'",
    "{ .a = 1 - 2 }                    | line 1, col 10: arithmetic '-'",
    "{ !(.a = 1) }                     | line 1, col 3: negation '!'",
    "{ true }                          | line 1, col 3: a bare 'true'",
    "{ .a = nil }                      | line 1, col 6: '= nil'",
    "{ .a = error }                    | line 1, col 8: comparing an attribute with 'error'",
    "{ .a > 1s }                       | line 1, col 8: comparing an attribute with a duration",
    "'{ .a = 1 }\n  | count()'         | line 2, col 3: pipeline '|'",
  })
  void unsupportedConstructsAreNamedWithTheirPosition(String query, String expected) {
    assertThatThrownBy(() -> TraceQl.parse(query)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(expected.strip());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
    "''                                | empty query",
    "{                                 | line 1, col 2: unexpected end of query",
    "{ .a = 1                          | line 1, col 9: unexpected end of query (expected: '}' closing the '{' at line 1, col 1",
    "{ .a = 1 } }                      | line 1, col 12: unexpected '}'",
    "{ .a = 1 } &&                     | line 1, col 14: unexpected end of query",
    "({ .a = 1 }                       | line 1, col 12: unexpected end of query (expected: ')' closing the '(' at line 1, col 1)",
    "{ (.a = 1 }                       | line 1, col 11: unexpected '}' (expected: ')' closing",
    "{ .a }                            | line 1, col 6: unexpected '}' after .a",
    "{ .a = }                          | line 1, col 8: unexpected '}' (expected: a string, number or boolean)",
    "{ = 1 }                           | line 1, col 3: unexpected '='",
    "{ .a = \"x }                      | line 1, col 8: string not terminated",
    "{ .a = 1 # }                      | line 1, col 10: unexpected character '#'",
    "{ .a > \"x\" }                    | line 1, col 6: '>' with a string",
    "{ .a =~ 1 }                       | line 1, col 9: '=~' with a number",
    "{ .a > true }                     | line 1, col 6: '>' with a boolean",
    "{ name > \"a\" }                  | line 1, col 8: name > (expected: = != =~ !~",
    "{ name = 1 }                      | line 1, col 10: name compared with number 1",
    "{ status = failed }               | line 1, col 12: status compared with 'failed' (expected: one of error, ok, unset)",
    "{ status =~ \"e.*\" }             | line 1, col 10: status =~ (expected: = or !=)",
    "{ kind = \"server\" }             | line 1, col 10: kind compared with string",
    "{ kind > server }                 | line 1, col 8: kind > (expected: = or !=)",
    "{ duration > 10 }                 | line 1, col 14: duration compared with number 10",
    "{ duration =~ \"1s\" }            | line 1, col 12: duration =~",
    "{ duration > 10parsecs }          | line 1, col 14: duration '10parsecs'",
    "{ resource.service.name > \"a\" } | line 1, col 25: resource.service.name >",
    "name = \"x\"                      | line 1, col 1: unexpected 'name' (expected: a span set",
    "{ .a = 99999999999999999999 }     | line 1, col 8: number 99999999999999999999",
  })
  void parseErrorsSayWhereAndWhatWasExpected(String query, String expected) {
    assertThatThrownBy(() -> TraceQl.parse(query)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(expected.strip());
  }

  @Test
  void goDurations() {
    assertThat(GoDurations.parseNanos("d", "0")).isZero();
    assertThat(GoDurations.parseNanos("d", "1ns")).isEqualTo(1);
    assertThat(GoDurations.parseNanos("d", "2µs")).isEqualTo(2_000);
    assertThat(GoDurations.parseNanos("d", "1.5ms")).isEqualTo(1_500_000);
    assertThat(GoDurations.parseNanos("d", "1m1s")).isEqualTo(61_000_000_000L);
    assertThat(GoDurations.parseNanos("d", "2h")).isEqualTo(7_200_000_000_000L);
    for (String bad : List.of("", "1", "s", "1x", "-1s", "1.2.3s", "9999999h")) {
      assertThatThrownBy(() -> GoDurations.parseNanos("minDuration", bad))
          .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("minDuration: '" + bad + "'");
    }
  }
}
