package io.loupe.query.trace.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.loupe.model.SpanRecord;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * Spans as OTLP protobuf, for Tempo's {@code Accept: application/protobuf} answers. Tempo's {@code tempopb.Trace} is
 * {@code repeated ResourceSpans resourceSpans = 1}, the wire layout of OTLP's {@code TracesData}, so the OTLP classes
 * encode it; {@code tempopb.TraceByIDResponse} adds one wrapper field, encoded here by hand.
 */
public final class OtlpProto {
  private OtlpProto() {}

  /** {@code tempopb.Trace} (= {@code TracesData}) bytes. */
  public static byte[] trace(List<SpanGroups.Resource> resources) {
    return tracesData(resources).toByteArray();
  }

  /**
   * {@code tempopb.TraceByIDResponse { Trace trace = 1; TraceByIDMetrics metrics = 2; PartialStatus status = 3; string
   * message = 4; }} with only the trace: status COMPLETE is the enum's zero, which protobuf leaves out.
   */
  public static byte[] traceByIdResponse(List<SpanGroups.Resource> resources) {
    ByteString trace = tracesData(resources).toByteString();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(trace.size() + 8);
    try {
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      out.writeBytes(1, trace);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return bytes.toByteArray();
  }

  static TracesData tracesData(List<SpanGroups.Resource> resources) {
    TracesData.Builder td = TracesData.newBuilder();
    for (SpanGroups.Resource r : resources) {
      ResourceSpans.Builder rs = td.addResourceSpansBuilder();
      Resource.Builder res = rs.getResourceBuilder();
      r.attributes().forEach((k, v) -> res.addAttributes(keyValue(k, v)));
      for (SpanGroups.Scope sc : r.scopes()) {
        ScopeSpans.Builder ss = rs.addScopeSpansBuilder();
        ss.setScope(InstrumentationScope.newBuilder().setName(sc.name()).setVersion(sc.version()));
        for (SpanRecord s : sc.spans()) {
          ss.addSpans(span(s));
        }
      }
    }
    return td.build();
  }

  private static Span span(SpanRecord s) {
    Span.Builder b = Span.newBuilder()
        .setTraceId(ByteString.copyFrom(TraceIds.bytes(s.traceId())))
        .setSpanId(ByteString.copyFrom(TraceIds.bytes(s.spanId())))
        .setTraceState(s.traceState())
        .setFlags(s.flags())
        .setName(s.name())
        .setKindValue(s.kind().ordinal())
        .setStartTimeUnixNano(s.startEpochNanos())
        .setEndTimeUnixNano(s.endEpochNanos())
        .setStatus(Status.newBuilder().setCodeValue(s.statusCode().ordinal()).setMessage(s.statusMessage()));
    if (!s.parentSpanId().isEmpty()) {
      b.setParentSpanId(ByteString.copyFrom(TraceIds.bytes(s.parentSpanId())));
    }
    s.attributes().forEach((k, v) -> b.addAttributes(keyValue(k, v)));
    for (SpanRecord.Event e : s.events()) {
      Span.Event.Builder eb = b.addEventsBuilder().setTimeUnixNano(e.epochNanos()).setName(e.name());
      e.attributes().forEach((k, v) -> eb.addAttributes(keyValue(k, v)));
    }
    for (SpanRecord.Link l : s.links()) {
      Span.Link.Builder lb = b.addLinksBuilder()
          .setTraceId(ByteString.copyFrom(TraceIds.bytes(l.traceId())))
          .setSpanId(ByteString.copyFrom(TraceIds.bytes(l.spanId())))
          .setTraceState(l.traceState());
      l.attributes().forEach((k, v) -> lb.addAttributes(keyValue(k, v)));
    }
    return b.build();
  }

  private static KeyValue keyValue(Object key, Object value) {
    return KeyValue.newBuilder().setKey(String.valueOf(key)).setValue(anyValue(value)).build();
  }

  static AnyValue anyValue(Object v) {
    AnyValue.Builder b = AnyValue.newBuilder();
    if (v instanceof String s) {
      b.setStringValue(s);
    } else if (v instanceof Boolean x) {
      b.setBoolValue(x);
    } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
      b.setIntValue(((Number) v).longValue());
    } else if (v instanceof Double || v instanceof Float) {
      b.setDoubleValue(((Number) v).doubleValue());
    } else if (v instanceof byte[] bytes) {
      b.setBytesValue(ByteString.copyFrom(bytes));
    } else if (v instanceof List<?> list) {
      ArrayValue.Builder a = ArrayValue.newBuilder();
      for (Object x : list) {
        a.addValues(anyValue(x));
      }
      b.setArrayValue(a);
    } else if (v instanceof Map<?, ?> m) {
      KeyValueList.Builder kv = KeyValueList.newBuilder();
      m.forEach((k, x) -> kv.addValues(keyValue(k, x)));
      b.setKvlistValue(kv);
    } else if (v != null) {
      b.setStringValue(v.toString());
    }
    return b.build();
  }
}
