package io.loupe.collector.otlp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import org.junit.jupiter.api.Test;

class AnyValuesTest {
  @Test
  void doublesAsGoFormatsThemWithoutExponent() {
    assertThat(AnyValues.formatDouble(0.005)).isEqualTo("0.005");
    assertThat(AnyValues.formatDouble(1.0)).isEqualTo("1");
    assertThat(AnyValues.formatDouble(2.5)).isEqualTo("2.5");
    assertThat(AnyValues.formatDouble(1e-9)).isEqualTo("0.000000001");
    assertThat(AnyValues.formatDouble(1e20)).isEqualTo("100000000000000000000");
    assertThat(AnyValues.formatDouble(-300)).isEqualTo("-300");
    assertThat(AnyValues.formatDouble(0.99)).isEqualTo("0.99");
    assertThat(AnyValues.formatDouble(Double.POSITIVE_INFINITY)).isEqualTo("+Inf");
    assertThat(AnyValues.formatDouble(Double.NEGATIVE_INFINITY)).isEqualTo("-Inf");
    assertThat(AnyValues.formatDouble(Double.NaN)).isEqualTo("NaN");
  }

  @Test
  void nestedValuesAreJson() {
    AnyValue map = AnyValue.newBuilder().setKvlistValue(KeyValueList.newBuilder()
        .addValues(KeyValue.newBuilder().setKey("q\"k").setValue(AnyValue.newBuilder().setStringValue("a\nb")))
        .addValues(KeyValue.newBuilder().setKey("n").setValue(AnyValue.newBuilder().setDoubleValue(Double.NaN)))
        .addValues(KeyValue.newBuilder().setKey("l").setValue(AnyValue.newBuilder().setArrayValue(ArrayValue
            .newBuilder().addValues(AnyValue.newBuilder().setBoolValue(true)).addValues(AnyValue.getDefaultInstance())))))
        .build();
    assertThat(AnyValues.toLabelValue(map)).isEqualTo("{\"q\\\"k\":\"a\\nb\",\"n\":\"NaN\",\"l\":[true,null]}");
    assertThat(AnyValues.toLabelValue(AnyValue.newBuilder().setBytesValue(ByteString.copyFromUtf8("hi")).build()))
        .isEqualTo("aGk=");
    assertThat(AnyValues.toLabelValue(AnyValue.getDefaultInstance())).isEmpty();
  }
}
