package io.loupe.loadtests.internal;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import java.util.Random;

/** Small helpers shared by the OTLP workloads. */
final class Otlp {
  static final InstrumentationScope SCOPE =
      InstrumentationScope.newBuilder().setName("io.loupe.loadtests.pipeline").setVersion("1.0.0").build();
  static final String[] SERVICES = {"ingest-gateway", "stream-processor", "cassandra-store"};

  private Otlp() {}

  static KeyValue kv(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }

  static KeyValue kv(String key, long value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setIntValue(value)).build();
  }

  static String host(int h) {
    return String.format(java.util.Locale.ROOT, "pipeline-%03d", h);
  }

  /** The resource of one service instance: service, host and SDK attributes, as an OTel SDK would send them. */
  static Resource resource(String service, int host) {
    return Resource.newBuilder()
        .addAttributes(kv("service.name", service))
        .addAttributes(kv("service.namespace", "pipeline"))
        .addAttributes(kv("service.instance.id", host(host) + "-" + service))
        .addAttributes(kv("service.version", "2.4.1"))
        .addAttributes(kv("host.name", host(host)))
        .addAttributes(kv("deployment.environment.name", "bench"))
        .addAttributes(kv("telemetry.sdk.language", "java"))
        .addAttributes(kv("telemetry.sdk.name", "opentelemetry"))
        .addAttributes(kv("telemetry.sdk.version", "1.68.0"))
        .build();
  }

  static ByteString randomId(Random rnd, int bytes) {
    byte[] b = new byte[bytes];
    rnd.nextBytes(b);
    b[0] |= 1; // an all-zero id is invalid in OTLP
    return ByteString.copyFrom(b);
  }
}
