package io.loupe.loadtests.jmh;

import io.loupe.collector.otlp.OtlpSpans;
import io.loupe.loadtests.internal.OtlpTraceWorkload;
import io.loupe.loadtests.internal.Prepared;
import io.loupe.loadtests.internal.TraceIdRewriter;
import io.loupe.model.AppendResult;
import io.loupe.model.SpanRecord;
import io.loupe.model.Tenant;
import io.loupe.tracestore.FsyncPolicy;
import io.loupe.tracestore.TraceStore;
import io.loupe.tracestore.TraceStoreOptions;
import io.loupe.tracestore.internal.SearchIndex;
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
import org.openjdk.jmh.annotations.AuxCounters;
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
 *
 * <p>{@code pipelineWrite} and {@code pipelineIndex} take the load generator's pipeline requests instead (OtlpLoad's
 * workload: 6.2 spans per trace, 80 traces per request, 50 hosts, 9 resource attributes per service instance,
 * decoded by the collector's {@code OtlpSpans.decode} before each invocation, untimed), with new trace ids for every
 * invocation; {@code pipelineWrite} goes through {@code TraceStore.write}, {@code pipelineIndex} only through {@code
 * SearchIndex.addRecord} (one document per request, as one record per write). {@code canonical=true} hands equal
 * resources over as one map instance across requests (as a decoder with canonical instances does). One op is one
 * request; the {@code spans} counter is spans per second; the thread CPU per span printed after each iteration
 * covers the timed call alone (the untimed decoding counts in the process CPU of {@code CpuCores}), the figure to
 * compare on a shared machine.
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
// No state of its own: each benchmark takes the states it needs, so that the random batches' per-invocation setup
// and the store run only for the benchmarks that use them (they were 30 % of pipelineIndex's samples otherwise).
public class TraceWriteBenchmark {
  static final int BATCH = 1_000;
  private static final int SPANS_PER_TRACE = 10;
  private static final Tenant TENANT = new Tenant("bench");
  private static final String[] SERVICES = {"frontend", "checkout", "cart", "payment", "shipping"};
  private static final String[] ROUTES = {"/api/cart", "/api/checkout", "/api/products/{id}", "/api/ship", "/pay"};

  /** A store in a temp dir. */
  @State(Scope.Benchmark)
  public static class Store {
    @Param({"every-1s", "before-ack"})
    public String fsync;

    private Path dir;
    TraceStore store;

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
  }

  /** The random batch of {@link #write}: new before every invocation. */
  @State(Scope.Benchmark)
  public static class Batch {
    private final Random rnd = new Random(42);
    private final HexFormat hex = HexFormat.of();
    List<SpanRecord> batch;

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
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public AppendResult write(Store s, Batch b) {
    return s.store.write(TENANT, b.batch);
  }

  /**
   * The next pipeline request, decoded before each invocation (so that, as in a node, its spans are fresh in the
   * cache: cycling through batches decoded once made the benchmark wait on memory instead), with new trace ids
   * (round after round of the bodies), grouped by trace as a shard hands a record's spans to the index. With {@code
   * canonical}, equal resource maps are replaced by one instance across requests, as a decoder handing over canonical
   * instances does; without, every request has maps of its own.
   */
  @State(Scope.Benchmark)
  public static class Pipeline {
    @Param({"true", "false"})
    public boolean canonical;

    private TraceIdRewriter[] bodies;
    private final Map<Map<String, Object>, Map<String, Object>> resources = new java.util.HashMap<>();
    private int next;
    private long round = 1;
    List<SpanRecord> batch;
    byte[][] traceIds;

    @Setup(Level.Trial)
    public void setup() {
      // 2,400 traces, 80 per request: 30 bodies of ~500 spans, OtlpLoad's shape (its --traces 20k has 250).
      List<Prepared> requests = OtlpTraceWorkload.build(2_400, 80, 50, System.currentTimeMillis() * 1_000_000L,
          60_000_000_000L, 42, false).requests();
      bodies = new TraceIdRewriter[requests.size()];
      for (int i = 0; i < bodies.length; i++) {
        bodies[i] = TraceIdRewriter.of(requests.get(i).body(), false);
      }
    }

    @Setup(Level.Invocation)
    public void nextBatch() {
      int i = next;
      next = next + 1 == bodies.length ? 0 : next + 1;
      if (next == 0) {
        round++;
      }
      load(i, round);
    }

    /** Decodes request {@code i} of round {@code r} into {@link #batch} and {@link #traceIds}. */
    void load(int i, long r) {
      List<SpanRecord> spans = OtlpSpans.decode(bodies[i].round(r), new AppendResult.Builder());
      Map<String, List<SpanRecord>> byTrace = new LinkedHashMap<>();
      for (SpanRecord s : spans) {
        if (canonical) {
          Map<String, Object> first = resources.computeIfAbsent(s.resourceAttributes(), k -> k);
          if (first != s.resourceAttributes()) {
            s = new SpanRecord(s.traceId(), s.spanId(), s.parentSpanId(), s.traceState(), s.name(), s.kind(),
                s.startEpochNanos(), s.endEpochNanos(), s.statusCode(), s.statusMessage(), first, s.scopeName(),
                s.scopeVersion(), s.attributes(), s.events(), s.links(), s.flags());
          }
        }
        byTrace.computeIfAbsent(s.traceId(), k -> new ArrayList<>()).add(s);
      }
      List<SpanRecord> grouped = new ArrayList<>(spans.size());
      byTrace.values().forEach(grouped::addAll);
      byte[][] ids = new byte[byTrace.size()][];
      int k = 0;
      for (String id : byTrace.keySet()) {
        ids[k++] = HexFormat.of().parseHex(id);
      }
      batch = grouped;
      traceIds = ids;
    }
  }

  /** A search index of its own, without the rest of the store. */
  @State(Scope.Benchmark)
  public static class Index {
    private Path dir;
    SearchIndex index;
    long offset;

    @Setup(Level.Trial)
    public void setup() throws IOException {
      dir = TempDirs.create("loupe-jmh-index");
      index = SearchIndex.create(dir.resolve("index"));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      index.close();
      TempDirs.delete(dir);
    }
  }

  /**
   * Spans written, reported by JMH as a rate next to the request rate; and, printed after each iteration, the
   * benchmark thread's CPU per span ({@code thread cpu}), which other load on the machine moves much less than the
   * rates (it leaves out JIT, GC and Lucene's merge threads: compare those through {@code CpuCores}).
   */
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  @State(Scope.Thread)
  public static class Spans {
    private static final java.lang.management.ThreadMXBean THREADS =
        java.lang.management.ManagementFactory.getThreadMXBean();
    public long samples;
    private long cpuNanos;
    private long counted;

    @Setup(Level.Iteration)
    public void reset() {
      samples = 0;
      cpuNanos = 0;
      counted = 0;
    }

    long start() {
      return THREADS.getCurrentThreadCpuTime();
    }

    void end(long start, int spans) {
      cpuNanos += THREADS.getCurrentThreadCpuTime() - start;
      counted += spans;
      samples += spans;
    }

    @TearDown(Level.Iteration)
    public void print() {
      if (counted > 0) {
        System.out.printf(java.util.Locale.ROOT, "  thread cpu %.3f us/span%n", cpuNanos / 1e3 / counted);
      }
    }
  }

  @Benchmark
  public AppendResult pipelineWrite(Store s, Pipeline p, Spans spans) {
    long t0 = spans.start();
    AppendResult r = s.store.write(TENANT, p.batch);
    spans.end(t0, p.batch.size());
    return r;
  }

  @Benchmark
  public long pipelineIndex(Pipeline p, Index idx, Spans spans) throws IOException {
    long t0 = spans.start();
    idx.index.addRecord(TENANT.id(), p.batch, idx.offset);
    spans.end(t0, p.batch.size());
    return idx.offset++;
  }

  /**
   * An in-process A/B of {@code SearchIndex.addRecord} builds, for figures a shared machine does not blur: each
   * version's trace-store classes (a {@code target/classes} directory, or the {@code io/loupe/tracestore} tree unzipped
   * from a jar) are loaded child-first into a loader of their own, every pipeline request is decoded anew and indexed
   * by each version in turn (the order rotating), and the benchmark thread's CPU per span is summed per version.
   * Versions that ran in the same seconds suffered the same neighbours: their ratio holds where JMH's scores spread by
   * half. With the fork flags of this class on the command line:
   *
   * <pre>
   * java [Chronicle flags] -cp load-tests/target/loupe-load-tests.jar \
   *     'io.loupe.loadtests.jmh.TraceWriteBenchmark$IndexAb' &lt;dir0,dir1,...&gt; [rounds=100] [canonical=true] [every=20]
   * </pre>
   */
  public static final class IndexAb {
    private IndexAb() {}

    /** Loads {@code io.loupe.tracestore.*} from a directory of classes, everything else from its parent. */
    private static final class ChildFirst extends ClassLoader {
      private final Path root;

      ChildFirst(Path root, ClassLoader parent) {
        super(parent);
        this.root = root;
      }

      @Override
      protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (!name.startsWith("io.loupe.tracestore.")) {
          return super.loadClass(name, resolve);
        }
        synchronized (getClassLoadingLock(name)) {
          Class<?> c = findLoadedClass(name);
          if (c == null) {
            try {
              byte[] b = java.nio.file.Files.readAllBytes(root.resolve(name.replace('.', '/') + ".class"));
              c = defineClass(name, b, 0, b.length);
            } catch (IOException e) {
              throw new ClassNotFoundException(name, e);
            }
          }
          return c;
        }
      }
    }

    public static void main(String[] args) throws Exception {
      String[] dirs = args[0].split(",");
      int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 100;
      boolean canonical = args.length <= 2 || Boolean.parseBoolean(args[2]);
      int every = args.length > 3 ? Integer.parseInt(args[3]) : 20;
      int n = dirs.length;
      Object[] indexes = new Object[n];
      java.lang.reflect.Method[] add = new java.lang.reflect.Method[n];
      Path tmp = TempDirs.create("loupe-index-ab");
      try {
        for (int v = 0; v < n; v++) {
          Class<?> c = new ChildFirst(Path.of(dirs[v]), IndexAb.class.getClassLoader())
              .loadClass("io.loupe.tracestore.internal.SearchIndex");
          indexes[v] = c.getMethod("create", Path.class).invoke(null, tmp.resolve("v" + v));
          try {
            add[v] = c.getMethod("addRecord", String.class, Iterable.class, long.class);
          } catch (NoSuchMethodException e) { // builds before 2026-11-28 took the record's trace ids too
            add[v] = c.getMethod("addRecord", String.class, byte[][].class, Iterable.class, long.class);
          }
        }
        Pipeline p = new Pipeline();
        p.canonical = canonical;
        p.setup();
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long[] cpu = new long[n];
        long spans = 0;
        long offset = 0;
        int perRound = p.bodies.length;
        for (int r = 1; r <= rounds; r++) {
          for (int i = 0; i < perRound; i++) {
            for (int k = 0; k < n; k++) {
              int v = (k + i + r) % n; // each version goes first as often as the others
              p.load(i, r); // decoded anew for every version: fresh in the cache for each, as in a node
              long t0 = threads.getCurrentThreadCpuTime();
              if (add[v].getParameterCount() == 3) {
                add[v].invoke(indexes[v], TENANT.id(), p.batch, offset);
              } else {
                add[v].invoke(indexes[v], TENANT.id(), p.traceIds, p.batch, offset);
              }
              cpu[v] += threads.getCurrentThreadCpuTime() - t0;
              if (k == n - 1) {
                spans += p.batch.size();
              }
            }
            offset++;
          }
          if (r % every == 0) {
            StringBuilder sb = new StringBuilder(String.format(java.util.Locale.ROOT, "round %d, %,d spans:", r, spans));
            for (int v = 0; v < n; v++) {
              sb.append(String.format(java.util.Locale.ROOT, " v%d %.3f us/span", v, cpu[v] / 1e3 / spans));
            }
            for (int v = 1; v < n; v++) {
              sb.append(String.format(java.util.Locale.ROOT, ", v%d/v0 %.3f", v, cpu[v] / (double) cpu[0]));
            }
            System.out.println(sb);
            java.util.Arrays.fill(cpu, 0);
            spans = 0;
          }
        }
      } finally {
        for (Object index : indexes) {
          if (index != null) {
            ((java.io.Closeable) index).close();
          }
        }
        TempDirs.delete(tmp);
      }
    }
  }
}
