package io.loupe.loadtests.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TraceIdRewriterTest {
  private static List<ByteString> traceIds(ExportTraceServiceRequest req) {
    List<ByteString> out = new ArrayList<>();
    for (ResourceSpans rs : req.getResourceSpansList()) {
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        for (Span s : ss.getSpansList()) {
          out.add(s.getTraceId());
          s.getLinksList().forEach(l -> out.add(l.getTraceId()));
        }
      }
    }
    return out;
  }

  @Test
  void everyRoundHasNewTraceIdsAndOtherwiseTheSameRequest() throws Exception {
    Workload w = OtlpTraceWorkload.build(40, 20, 5, 1_790_000_000_000_000_000L, 60_000_000_000L, 7, false);
    byte[] body = w.requests().get(0).body();
    ExportTraceServiceRequest original = ExportTraceServiceRequest.parseFrom(body);
    TraceIdRewriter r = TraceIdRewriter.of(body, false);
    List<ByteString> ids0 = traceIds(original);
    assertThat(r.idCount()).isEqualTo(ids0.size()).isGreaterThan(20);
    assertThat(r.round(0)).isSameAs(body);

    Set<ByteString> seen = new HashSet<>(ids0);
    for (long round = 1; round <= 3; round++) {
      byte[] b = r.round(round);
      assertThat(b).hasSameSizeAs(body);
      ExportTraceServiceRequest again = ExportTraceServiceRequest.parseFrom(b);
      List<ByteString> ids = traceIds(again);
      // Spans of one trace still share an id, and no id of an earlier round comes back.
      for (int i = 0; i < ids.size(); i++) {
        for (int j = 0; j < ids.size(); j++) {
          assertThat(ids.get(i).equals(ids.get(j))).isEqualTo(ids0.get(i).equals(ids0.get(j)));
        }
        assertThat(ids.get(i).byteAt(0)).isEqualTo(ids0.get(i).byteAt(0));
      }
      assertThat(new HashSet<>(ids)).doesNotContainAnyElementsOf(seen);
      seen.addAll(ids);
      // Everything but the ids is unchanged: rewriting the same round again gives the original back.
      assertThat(ExportTraceServiceRequest.parseFrom(TraceIdRewriter.of(b, false).round(round)))
          .isEqualTo(original);
    }
    assertThat(body).isEqualTo(original.toByteArray()); // the pooled body itself is never written to
  }

  @Test
  void framedBodiesAndLinks() throws Exception {
    byte[] id = new byte[16];
    Arrays.fill(id, (byte) 0x11);
    byte[] linked = new byte[16];
    Arrays.fill(linked, (byte) 0x22);
    Span span = Span.newBuilder().setTraceId(ByteString.copyFrom(id)).setSpanId(ByteString.copyFrom(new byte[8]))
        .setName("x").setStartTimeUnixNano(5).setEndTimeUnixNano(6)
        .addLinks(Span.Link.newBuilder().setTraceId(ByteString.copyFrom(linked))
            .setSpanId(ByteString.copyFrom(new byte[8])))
        .build();
    ExportTraceServiceRequest req = ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(ResourceSpans.newBuilder().addScopeSpans(ScopeSpans.newBuilder().addSpans(span))).build();
    byte[] framed = Transport.grpcFrame(req.toByteArray());
    TraceIdRewriter r = TraceIdRewriter.of(framed, true);
    assertThat(r.idCount()).isEqualTo(2);
    byte[] b = r.round(0x0102);
    Span s = ExportTraceServiceRequest.parseFrom(Arrays.copyOfRange(b, 5, b.length)).getResourceSpans(0)
        .getScopeSpans(0).getSpans(0);
    assertThat(s.getTraceId().toByteArray()).containsExactly(0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
        0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11 ^ 0x01, 0x11 ^ 0x02);
    assertThat(s.getLinks(0).getTraceId().byteAt(15)).isEqualTo((byte) (0x22 ^ 0x02));
    assertThat(s.getName()).isEqualTo("x");
    assertThat(s.getEndTimeUnixNano()).isEqualTo(6);
  }

  @Test
  void refusesCompressedFramesAndMalformedMessages() {
    assertThatThrownBy(() -> TraceIdRewriter.of(Transport.grpcFrame(new byte[] {1}, true), true))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected: 0");
    // resource_spans with a length running past the end
    assertThatThrownBy(() -> TraceIdRewriter.of(new byte[] {0x0a, 0x7f, 0x00}, false))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("runs past");
  }
}
