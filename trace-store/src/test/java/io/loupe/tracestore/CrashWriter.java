package io.loupe.tracestore;

import io.loupe.model.SpanRecord;
import io.loupe.model.Tenant;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The child process of {@link TraceStoreKillIT}: writes batches forever, printing {@code ACK trace span...} after each
 * write returns, until the parent kills it with SIGKILL.
 */
public final class CrashWriter {
  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, "UTF-8");
    TraceStore store = TraceStore.open(
        TraceStoreOptions.defaults(Path.of(args[0])).withShards(2).withSegmentMaxBytes(16 << 10),
        new SimpleMeterRegistry());
    Tenant tenant = new Tenant("crash");
    out.println("READY");
    out.flush();
    for (int i = 0; ; i++) {
      String t = Spans.randomTraceId();
      List<SpanRecord> batch = new ArrayList<>();
      StringBuilder line = new StringBuilder("ACK ").append(t);
      for (int k = 0; k < 8; k++) {
        SpanRecord s = Spans.span(t, "svc", "op" + k, i * 1000L + k);
        batch.add(s);
        line.append(' ').append(s.spanId());
      }
      store.write(tenant, batch);
      out.println(line);
      out.flush();
    }
  }
}
