package io.loupe.tracestore.manual;

import io.loupe.model.AttributeCondition;
import io.loupe.model.CompareOp;
import io.loupe.model.SpanFilter;
import io.loupe.model.SpanRecord;
import io.loupe.model.TagScope;
import io.loupe.model.Tenant;
import io.loupe.model.TraceQuery;
import io.loupe.model.TraceSummary;
import io.loupe.tracestore.FsyncPolicy;
import io.loupe.tracestore.TraceStore;
import io.loupe.tracestore.TraceStoreOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The trace store's figures for docs/trace-store.md, run by hand: writes {@code spans} spans of {@link PipelineTraces}
 * (one writer thread, batches of {@code batch} traces, fsync every second, segments rolled at {@code segmentMb}, 32 MiB
 * by default so that lookups cross many segments) with their starts spread over the 4 hours before now, then measures bytes per span on disk,
 * trace by id (1000 random ids) and typical Grafana searches (last hour, limit 20), p50/p99 each. Ingest cost is the
 * process CPU time minus the generating thread's, per span, so that other load on the machine does not count.
 *
 * <pre>
 * java [Chronicle flags, DEPENDENCIES.md] -cp trace-store/target/classes:trace-store/target/test-classes:$(deps) \
 *     io.loupe.tracestore.manual.TraceStoreFiguresMain [spans=10000000] [batch=64] [dir=/tmp/...] [keep=false]
 *     [shards=2] [reopen=true] [segmentMb=32]
 * </pre>
 */
public final class TraceStoreFiguresMain {
  private static final Tenant TENANT = new Tenant("figures");
  private static final long HOUR = 3_600_000_000_000L;
  private static SimpleMeterRegistry REGISTRY = new SimpleMeterRegistry();
  private static String ONLY; // only=<part of a search's name>: run just those searches
  private static int ROUNDS = 50;

  public static void main(String[] args) throws Exception {
    System.setProperty("chronicle.analytics.disable", "true");
    System.setProperty("chronicle.announcer.disable", "true");
    Map<String, String> a = ManualArgs.parse(args);
    long total = Long.parseLong(a.getOrDefault("spans", "10000000"));
    int batch = Integer.parseInt(a.getOrDefault("batch", "64"));
    int shards = Integer.parseInt(a.getOrDefault("shards", "2"));
    boolean keep = Boolean.parseBoolean(a.getOrDefault("keep", "false"));
    boolean reopen = Boolean.parseBoolean(a.getOrDefault("reopen", "true"));
    boolean queries = Boolean.parseBoolean(a.getOrDefault("queries", "true"));
    ONLY = a.get("only");
    ROUNDS = Integer.parseInt(a.getOrDefault("rounds", "50"));
    // write=false: only the queries, on the store a run with keep=true left in dir (its trace ids kept beside it)
    boolean write = Boolean.parseBoolean(a.getOrDefault("write", "true"));
    Path dir = a.containsKey("dir") ? Path.of(a.get("dir")) : Files.createTempDirectory("loupe-trace-figures");
    TraceStoreOptions options = TraceStoreOptions.defaults(dir).withShards(shards)
        .withFsync(FsyncPolicy.every(Duration.ofSeconds(1)))
        .withSegmentMaxBytes(Long.parseLong(a.getOrDefault("segmentMb", "32")) << 20);
    System.out.printf(Locale.ROOT, "dir %s, %,d spans, %d traces per write, %d shards%n", dir, total, batch, shards);

    Path idsFile = dir.resolve("figures-trace-ids.txt");
    if (!write) {
      List<String> lines = Files.readAllLines(idsFile);
      long now = Long.parseLong(lines.get(0));
      try (TraceStore store = TraceStore.open(options, REGISTRY)) {
        diskUsage(dir, Long.parseLong(lines.get(1)));
        if (ONLY == null) {
          lookups(store, lines.subList(2, lines.size()));
        }
        searches(store, now);
      }
      return;
    }
    long now = System.currentTimeMillis() * 1_000_000L;
    long first = now - 4 * HOUR;
    // ~15 spans per trace: spread the roots evenly over 4 hours
    long spacing = 4 * HOUR / Math.max(1, total / 15);
    PipelineTraces gen = new PipelineTraces(42, 40);
    BlockingQueue<List<SpanRecord>> queue = new ArrayBlockingQueue<>(64);
    AtomicLong genCpu = new AtomicLong();
    List<SpanRecord> end = List.of();
    Thread producer = new Thread(() -> {
      ThreadMXBean mx = ManagementFactory.getThreadMXBean();
      long made = 0;
      long t = first;
      try {
        while (made < total) {
          List<SpanRecord> b = gen.batch(batch, t, spacing);
          t += batch * spacing;
          made += b.size();
          genCpu.set(mx.getCurrentThreadCpuTime());
          queue.put(b);
        }
        queue.put(end);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "generator");
    producer.start();

    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long written = 0;
    long cpu0 = 0;
    long gen0 = 0;
    long wall0 = 0;
    long thread0 = 0;
    long measuredFrom = Math.min(total / 10, 500_000); // warm-up: JIT and the first Lucene flushes
    long openStart = System.nanoTime();
    TraceStore store = TraceStore.open(options, REGISTRY);
    System.out.printf(Locale.ROOT, "open (new store): %.2f s%n", (System.nanoTime() - openStart) / 1e9);
    try {
      for (List<SpanRecord> b = queue.take(); b != end; b = queue.take()) {
        if (written < measuredFrom && written + b.size() >= measuredFrom) {
          cpu0 = os.getProcessCpuTime();
          thread0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
          gen0 = genCpu.get();
          wall0 = System.nanoTime();
        }
        store.write(TENANT, b);
        written += b.size();
      }
      long cpu = os.getProcessCpuTime() - cpu0 - (genCpu.get() - gen0);
      long thread = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - thread0;
      double wall = (System.nanoTime() - wall0) / 1e9;
      long measured = written - measuredFrom;
      System.out.printf(Locale.ROOT, "write: %,d spans measured (after %,d warm-up): %.1f µs CPU per span = %,.0f "
              + "spans per CPU-second; wall %.1f s = %,.0f spans/s%n", measured, measuredFrom, cpu / 1e3 / measured,
          measured / (cpu / 1e9), wall, measured / wall);
      System.out.printf(Locale.ROOT, "write: the writing thread alone: %.1f µs CPU per span = %,.0f spans per "
          + "CPU-second (the rest: Lucene merges, GC, JIT, fsync)%n", thread / 1e3 / measured, measured / (thread / 1e9));
      if (reopen) {
        store.close();
        long r0 = System.nanoTime();
        store = TraceStore.open(options, REGISTRY = new SimpleMeterRegistry());
        System.out.printf(Locale.ROOT, "reopen: %.2f s%n", (System.nanoTime() - r0) / 1e9);
      } else {
        store.roll();
      }
      if (keep) {
        List<String> lines = new ArrayList<>();
        lines.add(Long.toString(now));
        lines.add(Long.toString(written));
        lines.addAll(gen.traceIds());
        Files.write(idsFile, lines);
      }
      diskUsage(dir, written);
      if (queries) {
        lookups(store, gen.traceIds());
        searches(store, now);
      }
    } finally {
      store.close();
      if (!keep) {
        try (Stream<Path> s = Files.walk(dir)) {
          for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
            Files.delete(p);
          }
        }
      }
    }
  }

  private static void diskUsage(Path dir, long spans) throws Exception {
    Map<String, Long> bytes = new LinkedHashMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        String n = dir.relativize(p).toString();
        String kind = n.contains(".lucene") ? "lucene" : n.endsWith(".spans") ? "segments"
            : n.endsWith(".idx") ? "idx" : n.contains("trace-ids") ? "trace id map" : "other";
        if (!n.equals("figures-trace-ids.txt")) {
          bytes.merge(kind, allocated(p), Long::sum);
        }
      }
    }
    long sum = 0;
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, Long> e : bytes.entrySet()) {
      sum += e.getValue();
      sb.append(String.format(Locale.ROOT, " %s %.1f", e.getKey(), e.getValue() / (double) spans));
    }
    System.out.printf(Locale.ROOT, "disk (allocated blocks): %,d bytes = %.1f bytes per span (%s)%n", sum,
        sum / (double) spans, sb.toString().trim());
  }

  /** Bytes the file occupies on disk (Chronicle Map files are sparse: their length is what they are sized for). */
  private static long allocated(Path p) throws Exception {
    Process du = new ProcessBuilder("du", "-B1", p.toString()).redirectErrorStream(true).start();
    String out = new String(du.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    du.waitFor();
    return Long.parseLong(out.trim().split("\\s+")[0]);
  }

  private static void lookups(TraceStore store, List<String> ids) {
    Random rnd = new Random(7);
    for (int i = 0; i < 200; i++) { // warm-up
      store.trace(TENANT, ids.get(rnd.nextInt(ids.size())));
    }
    long[] t = new long[1000];
    long spans = 0;
    long cpu0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    for (int i = 0; i < t.length; i++) {
      String id = ids.get(rnd.nextInt(ids.size()));
      long t0 = System.nanoTime();
      spans += store.trace(TENANT, id).size();
      t[i] = System.nanoTime() - t0;
    }
    long cpu = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpu0;
    print("trace by id (1000 random ids, " + String.format(Locale.ROOT, "%.1f spans, %.2f ms CPU each",
        spans / 1000.0, cpu / 1e6 / 1000) + ")", t);
  }

  private static void searches(TraceStore store, long now) {
    long from = now - HOUR;
    TraceQuery base = TraceQuery.between(from, now, 20);
    Map<String, TraceQuery> qs = new LinkedHashMap<>();
    qs.put("last hour, no condition", base);
    qs.put("service + span name", base.withService("stream-processor").withSpanName("events process"));
    qs.put("attribute equality", base.withAttributes(List.of(new AttributeCondition(TagScope.SPAN,
        "db.operation.name", "UPDATE"))));
    qs.put("rare attribute (one partition, one key)", base.withAttributes(List.of(
        new AttributeCondition(TagScope.SPAN, "messaging.kafka.message.key", "device-4242"))));
    qs.put("duration > 500 ms", base.withDuration(500_000_000L, Long.MAX_VALUE));
    qs.put("status error", base.withStatusCode(SpanRecord.StatusCode.ERROR));
    qs.put("{ kind=producer } && { service=cassandra-store && status=error }", base.withSpanFilters(List.of(
        new SpanFilter.Intrinsic(SpanFilter.IntrinsicField.KIND, CompareOp.EQ, "producer"),
        new SpanFilter.And(List.of(
            new SpanFilter.Intrinsic(SpanFilter.IntrinsicField.SERVICE, CompareOp.EQ, "cassandra-store"),
            new SpanFilter.Intrinsic(SpanFilter.IntrinsicField.STATUS, CompareOp.EQ, "error"))))));
    qs.put("{ span.db.system=redis } && { duration > 30ms }", base.withSpanFilters(List.of(
        new AttributeCondition(TagScope.SPAN, "db.system", CompareOp.EQ, "redis"),
        new SpanFilter.Intrinsic(SpanFilter.IntrinsicField.DURATION, CompareOp.GT, "30000000"))));
    for (Map.Entry<String, TraceQuery> e : qs.entrySet()) {
      if (ONLY != null && !e.getKey().contains(ONLY)) {
        continue;
      }
      for (int i = 0; i < 5; i++) {
        store.search(TENANT, e.getValue());
      }
      long[] t = new long[ROUNDS];
      int found = 0;
      io.micrometer.core.instrument.DistributionSummary read =
          REGISTRY.get("loupe.tracestore.search.traces_read").summary();
      double read0 = read.totalAmount();
      ThreadMXBean mx = ManagementFactory.getThreadMXBean();
      long cpu0 = mx.getCurrentThreadCpuTime();
      for (int i = 0; i < t.length; i++) {
        long t0 = System.nanoTime();
        List<TraceSummary> r = store.search(TENANT, e.getValue());
        t[i] = System.nanoTime() - t0;
        found = r.size();
      }
      long cpu = mx.getCurrentThreadCpuTime() - cpu0;
      print("search " + e.getKey() + " (" + found + " traces, " + Math.round((read.totalAmount() - read0) / t.length)
          + " read, " + String.format(Locale.ROOT, "%.1f", cpu / 1e6 / t.length) + " ms CPU each)", t);
    }
  }

  private static void print(String what, long[] nanos) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    System.out.printf(Locale.ROOT, "%s: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n", what, s[s.length / 2] / 1e6,
        s[(int) Math.ceil(s.length * 0.99) - 1] / 1e6, s[s.length - 1] / 1e6);
  }
}
