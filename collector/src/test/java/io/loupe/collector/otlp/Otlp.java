package io.loupe.collector.otlp;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import java.util.HexFormat;

/** Terse builders of OTLP messages for tests. */
final class Otlp {
  static final long T0 = 1_700_000_000_000_000_000L; // ns
  static final long T0_MS = T0 / 1_000_000L;

  private Otlp() {}

  static KeyValue kv(String k, String v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v)).build();
  }

  static KeyValue kv(String k, AnyValue v) {
    return KeyValue.newBuilder().setKey(k).setValue(v).build();
  }

  static Resource resource(KeyValue... attrs) {
    Resource.Builder r = Resource.newBuilder();
    for (KeyValue a : attrs) {
      r.addAttributes(a);
    }
    return r.build();
  }

  static Resource service() {
    return resource(kv("service.name", "checkout"), kv("service.namespace", "shop"),
        kv("service.instance.id", "pod-1"), kv("host.name", "node-7"), kv("cloud.region", "eu-west-1"));
  }

  static ExportMetricsServiceRequest request(Resource resource, Metric... metrics) {
    ScopeMetrics.Builder sm = ScopeMetrics.newBuilder();
    sm.getScopeBuilder().setName("io.example.lib").setVersion("1.2.3");
    for (Metric m : metrics) {
      sm.addMetrics(m);
    }
    return ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(ResourceMetrics.newBuilder().setResource(resource).addScopeMetrics(sm))
        .build();
  }

  static NumberDataPoint.Builder point(long timeNanos, double value, KeyValue... attrs) {
    NumberDataPoint.Builder p = NumberDataPoint.newBuilder().setTimeUnixNano(timeNanos).setAsDouble(value);
    for (KeyValue a : attrs) {
      p.addAttributes(a);
    }
    return p;
  }

  static ByteString hex(String s) {
    return ByteString.copyFrom(HexFormat.of().parseHex(s));
  }
}
