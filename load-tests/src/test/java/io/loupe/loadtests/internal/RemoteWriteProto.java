package io.loupe.loadtests.internal;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.xerial.snappy.Snappy;

/**
 * Prometheus's remote-write 1.0 schema (prompb/types.proto, remote.proto) as a descriptor, so tests decode what the
 * hand-written encoder wrote with protobuf's own parser, independently of the encoder.
 */
public final class RemoteWriteProto {
  /** One decoded sample with its series' labels. */
  public record DecodedSample(Map<String, String> labels, List<String> labelOrder, double value, long timestamp) {}

  private static final Descriptors.Descriptor WRITE_REQUEST;

  static {
    FileDescriptorProto file = FileDescriptorProto.newBuilder().setName("remote.proto").setPackage("prometheus")
        .setSyntax("proto3")
        .addMessageType(message("Label", field("name", 1, FieldDescriptorProto.Type.TYPE_STRING, null, false),
            field("value", 2, FieldDescriptorProto.Type.TYPE_STRING, null, false)))
        .addMessageType(message("Sample", field("value", 1, FieldDescriptorProto.Type.TYPE_DOUBLE, null, false),
            field("timestamp", 2, FieldDescriptorProto.Type.TYPE_INT64, null, false)))
        .addMessageType(message("TimeSeries",
            field("labels", 1, FieldDescriptorProto.Type.TYPE_MESSAGE, ".prometheus.Label", true),
            field("samples", 2, FieldDescriptorProto.Type.TYPE_MESSAGE, ".prometheus.Sample", true)))
        .addMessageType(message("WriteRequest",
            field("timeseries", 1, FieldDescriptorProto.Type.TYPE_MESSAGE, ".prometheus.TimeSeries", true)))
        .build();
    try {
      WRITE_REQUEST = Descriptors.FileDescriptor.buildFrom(file, new Descriptors.FileDescriptor[0])
          .findMessageTypeByName("WriteRequest");
    } catch (Descriptors.DescriptorValidationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private RemoteWriteProto() {}

  private static DescriptorProto message(String name, FieldDescriptorProto.Builder... fields) {
    DescriptorProto.Builder b = DescriptorProto.newBuilder().setName(name);
    for (FieldDescriptorProto.Builder f : fields) {
      b.addField(f);
    }
    return b.build();
  }

  private static FieldDescriptorProto.Builder field(String name, int number, FieldDescriptorProto.Type type,
      String typeName, boolean repeated) {
    FieldDescriptorProto.Builder f = FieldDescriptorProto.newBuilder().setName(name).setNumber(number).setType(type)
        .setLabel(repeated ? FieldDescriptorProto.Label.LABEL_REPEATED : FieldDescriptorProto.Label.LABEL_OPTIONAL);
    if (typeName != null) {
      f.setTypeName(typeName);
    }
    return f;
  }

  /** Decodes a snappy-compressed WriteRequest into its samples, in order. */
  public static List<DecodedSample> decodeCompressed(byte[] body) throws Exception {
    return decode(Snappy.uncompress(body));
  }

  public static List<DecodedSample> decode(byte[] raw) throws Exception {
    DynamicMessage req = DynamicMessage.parseFrom(WRITE_REQUEST, raw);
    List<DecodedSample> out = new ArrayList<>();
    Descriptors.FieldDescriptor tsField = WRITE_REQUEST.findFieldByName("timeseries");
    for (int i = 0; i < req.getRepeatedFieldCount(tsField); i++) {
      DynamicMessage ts = (DynamicMessage) req.getRepeatedField(tsField, i);
      Descriptors.Descriptor tsType = ts.getDescriptorForType();
      Descriptors.FieldDescriptor labels = tsType.findFieldByName("labels");
      Descriptors.FieldDescriptor samples = tsType.findFieldByName("samples");
      Map<String, String> m = new TreeMap<>();
      List<String> order = new ArrayList<>();
      for (int j = 0; j < ts.getRepeatedFieldCount(labels); j++) {
        DynamicMessage l = (DynamicMessage) ts.getRepeatedField(labels, j);
        String name = (String) l.getField(l.getDescriptorForType().findFieldByName("name"));
        order.add(name);
        m.put(name, (String) l.getField(l.getDescriptorForType().findFieldByName("value")));
      }
      for (int j = 0; j < ts.getRepeatedFieldCount(samples); j++) {
        DynamicMessage s = (DynamicMessage) ts.getRepeatedField(samples, j);
        Descriptors.Descriptor st = s.getDescriptorForType();
        out.add(new DecodedSample(m, order, (Double) s.getField(st.findFieldByName("value")),
            (Long) s.getField(st.findFieldByName("timestamp"))));
      }
    }
    return out;
  }
}
