package io.loupe.tracestore.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.SpanRecord;
import io.loupe.tracestore.Spans;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AttributeLimiterTest {
  @Test
  void leavesShortValuesAloneWithoutCopying() {
    SpanRecord s = Spans.fullSpan(Spans.randomTraceId());
    AttributeLimiter l = new AttributeLimiter(100);
    assertThat(l.apply(s)).isSameAs(s);
    assertThat(l.takeTruncatedCount()).isZero();
  }

  @Test
  void truncatesLongStringsAndBytesEverywhere() {
    String t = Spans.randomTraceId();
    Map<String, Object> attrs = new LinkedHashMap<>();
    attrs.put("sql", "x".repeat(10));
    attrs.put("blob", new byte[10]);
    attrs.put("nested", Map.of("deep", List.of("y".repeat(10))));
    attrs.put("emoji", "abcd😀"); // the surrogate pair straddles the limit of 5
    SpanRecord s = new SpanRecord(t, Spans.randomSpanId(), "", "", "op", SpanRecord.Kind.CLIENT, 1, 2,
        SpanRecord.StatusCode.UNSET, "", Map.of("service.name", "s".repeat(10)), "", "", attrs,
        List.of(new SpanRecord.Event(1, "e", Map.of("m", "z".repeat(10)))), List.of(), 0);

    AttributeLimiter l = new AttributeLimiter(5);
    SpanRecord out = l.apply(s);

    assertThat(out.attributes().get("sql")).isEqualTo("xxxxx");
    assertThat((byte[]) out.attributes().get("blob")).hasSize(5);
    assertThat(out.attributes().get("nested")).isEqualTo(Map.of("deep", List.of("yyyyy")));
    assertThat(out.attributes().get("emoji")).isEqualTo("abcd");
    assertThat(out.resourceAttributes().get("service.name")).isEqualTo("sssss");
    assertThat(out.events().get(0).attributes().get("m")).isEqualTo("zzzzz");
    assertThat(new java.util.ArrayList<>(out.attributes().keySet())).containsExactly("sql", "blob", "nested", "emoji");
    assertThat(l.takeTruncatedCount()).isEqualTo(6);
  }
}
