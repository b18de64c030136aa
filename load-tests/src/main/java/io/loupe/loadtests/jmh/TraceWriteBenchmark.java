package io.loupe.loadtests.jmh;

import io.loupe.model.AppendResult;
import io.loupe.model.SpanRecord;
import io.loupe.model.Tenant;
import io.loupe.tracestore.FsyncPolicy;
import io.loupe.tracestore.TraceStore;
import io.loupe.tracestore.TraceStoreOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Span indexing: {@code TraceStore.write} of a batch of {@value #BATCH} spans (100 traces of 10 spans, 5 services, 6
 * attributes per span plus 3 resource attributes) into a temp dir. Scores are spans per second. Each batch has fresh
 * trace and span ids, built before the invocation and not timed.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
// Five warm-up seconds, not two: a second holds only ~10 writes, and Lucene's indexing chain was still speeding up
// through the third measured second with two.
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
    "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "-Dchronicle.analytics.disable=true",
    "-Dchronicle.announcer.disable=true", "-Xmx2g"})
@State(Scope.Benchmark)
public class TraceWriteBenchmark {
  static final int BATCH = 1_000;
  private static final int SPANS_PER_TRACE = 10;
  private static final Tenant TENANT = new Tenant("bench");
  private static final String[] SERVICES = {"frontend", "checkout", "cart", "payment", "shipping"};
  private static final String[] ROUTES = {"/api/cart", "/api/checkout", "/api/products/{id}", "/api/ship", "/pay"};

  @Param({"every-1s", "before-ack"})
  public String fsync;

  private Path dir;
  private TraceStore store;
  private final Random rnd = new Random(42);
  private final HexFormat hex = HexFormat.of();
  private List<SpanRecord> batch;

  @Setup(Level.Trial)
  public void setup() throws IOException {
    dir = TempDirs.create("loupe-jmh-traces");
    FsyncPolicy policy = switch (fsync) {
      case "every-1s" -> FsyncPolicy.every(Duration.ofSeconds(1));
      case "before-ack" -> FsyncPolicy.beforeAck();
      default -> throw new IllegalArgumentException("fsync: " + fsync + " (expected: every-1s, before-ack)");
    };
    store = TraceStore.open(TraceStoreOptions.defaults(dir).withFsync(policy), new SimpleMeterRegistry());
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    store.close();
    TempDirs.delete(dir);
  }

  // Per invocation is fine here: one write of 1,000 spans takes milliseconds, far above JMH's timing overhead.
  @Setup(Level.Invocation)
  public void nextBatch() {
    long now = System.currentTimeMillis() * 1_000_000L;
    List<SpanRecord> spans = new ArrayList<>(BATCH);
    for (int t = 0; t < BATCH / SPANS_PER_TRACE; t++) {
      String traceId = id(16);
      String parent = "";
      for (int s = 0; s < SPANS_PER_TRACE; s++) {
        String spanId = id(8);
        String service = SERVICES[(t + s) % SERVICES.length];
        String route = ROUTES[rnd.nextInt(ROUTES.length)];
        long start = now - 1_000_000_000L + s * 1_000_000L;
        long end = start + 100_000L + rnd.nextInt(50_000_000);
        Map<String, Object> resource = new LinkedHashMap<>();
        resource.put(SpanRecord.SERVICE_NAME, service);
        resource.put("host.name", "host-" + rnd.nextInt(20));
        resource.put("deployment.environment", "prod");
        Map<String, Object> attrs = new LinkedHashMap<>();
        attrs.put("http.request.method", "GET");
        attrs.put("http.route", route);
        attrs.put("http.response.status_code", (long) (rnd.nextInt(20) == 0 ? 500 : 200));
        attrs.put("url.path", route.replace("{id}", Integer.toString(rnd.nextInt(1000))));
        attrs.put("server.address", service + ".svc");
        attrs.put("user_agent.original", "Mozilla/5.0 (bench)");
        spans.add(new SpanRecord(traceId, spanId, parent, "", "GET " + route,
            s == 0 ? SpanRecord.Kind.SERVER : SpanRecord.Kind.CLIENT, start, end,
            SpanRecord.StatusCode.UNSET, "", resource, "io.loupe.bench", "1.0", attrs, List.of(), List.of(), 1));
        parent = spanId;
      }
    }
    batch = spans;
  }

  private String id(int bytes) {
    byte[] b = new byte[bytes];
    rnd.nextBytes(b);
    b[0] |= 1; // never all zeros, which SpanRecord refuses
    return hex.formatHex(b);
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public AppendResult write() {
    return store.write(TENANT, batch);
  }
}
