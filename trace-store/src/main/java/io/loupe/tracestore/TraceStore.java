package io.loupe.tracestore;

import static java.util.Objects.requireNonNull;

import io.loupe.model.AppendResult;
import io.loupe.model.InvalidInputException;
import io.loupe.model.RejectReason;
import io.loupe.model.ResourceExhaustedException;
import io.loupe.model.SpanReader;
import io.loupe.model.SpanRecord;
import io.loupe.model.SpanWriter;
import io.loupe.model.StorageUnavailableException;
import io.loupe.model.TagScope;
import io.loupe.model.Tenant;
import io.loupe.model.TraceQuery;
import io.loupe.model.TraceSearcher;
import io.loupe.model.TraceSummary;
import io.loupe.tracestore.internal.AttributeLimiter;
import io.loupe.tracestore.internal.DirLock;
import io.loupe.tracestore.internal.FileHeader;
import io.loupe.tracestore.internal.SealedSegment;
import io.loupe.tracestore.internal.SearchIndex;
import io.loupe.tracestore.internal.SearchQueries;
import io.loupe.tracestore.internal.SegmentFiles;
import io.loupe.tracestore.internal.Shard;
import io.loupe.tracestore.internal.StoreMetrics;
import io.loupe.tracestore.internal.TenantRateLimiter;
import io.loupe.tracestore.internal.TraceBatch;
import io.loupe.tracestore.internal.TraceIdMap;
import io.loupe.tracestore.internal.TraceIdFilter;
import io.loupe.tracestore.internal.TraceIds;
import io.loupe.tracestore.internal.TraceSearch;
import io.loupe.tracestore.internal.TraceKey;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.lucene.search.Query;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Durable span storage: spans are routed by a hash of their trace id to shards, appended to the shard's active
 * segment and forced to disk before {@link #write} returns (per {@link FsyncPolicy}); {@link #trace} finds a trace's
 * records through a per-segment trace index. Segments roll by age and size; retention deletes whole segments with their
 * index. Thread-safe. See docs/trace-store.md.
 */
public final class TraceStore implements SpanWriter, SpanReader, TraceSearcher, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TraceStore.class);

  // A day of segments at the default hour: retention then deletes one trace id map file a day per shard.
  private static final int SEGMENTS_PER_MAP_GENERATION = 24;

  private final TraceStoreOptions options;
  private final Clock clock;
  private final StoreMetrics metrics;
  private final Shard[] shards;
  private final ScheduledExecutorService maintenance;
  // Fsyncs of the shards one write touched run in parallel: sequentially, a write over 16 shards would wait 16
  // fsync latencies.
  private final java.util.concurrent.ExecutorService syncPool;
  private volatile boolean closed;
  private final TenantRateLimiter rateLimiter; // null when unlimited
  private final DirLock lock;

  private TraceStore(TraceStoreOptions options, Clock clock, StoreMetrics metrics, Shard[] shards, DirLock lock) {
    this.lock = lock;
    this.options = options;
    this.clock = clock;
    this.metrics = metrics;
    this.shards = shards;
    this.rateLimiter = options.maxSpansPerSecondPerTenant() > 0
        ? new TenantRateLimiter(options.maxSpansPerSecondPerTenant(), clock) : null;
    this.maintenance = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "loupe-tracestore-maintenance");
      t.setDaemon(true);
      return t;
    });
    java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
    this.syncPool = shards.length == 1 ? null : Executors.newFixedThreadPool(shards.length - 1, r -> {
      Thread t = new Thread(r, "loupe-tracestore-fsync-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Opens (creating if needed) the store in {@code options.dataDir()}, recovering every shard before returning: torn
   * segment tails are cut at the last good record and segments left without an index are re-indexed.
   *
   * @throws CorruptFileException if a file is not in the format its name says (a foreign or damaged file)
   */
  public static TraceStore open(TraceStoreOptions options, MeterRegistry registry) throws IOException {
    return open(options, registry, Clock.systemUTC());
  }

  static TraceStore open(TraceStoreOptions options, MeterRegistry registry, Clock clock) throws IOException {
    requireNonNull(options, "options");
    requireNonNull(registry, "registry");
    requireNonNull(clock, "clock");
    Files.createDirectories(options.dataDir());
    DirLock lock = DirLock.acquire(options.dataDir());
    try {
      return open(options, registry, clock, lock);
    } catch (IOException | RuntimeException e) {
      try {
        lock.close();
      } catch (IOException e2) {
        e.addSuppressed(e2);
      }
      throw e;
    }
  }

  private static TraceStore open(TraceStoreOptions options, MeterRegistry registry, Clock clock, DirLock lock)
      throws IOException {
    int shardCount = shardCount(options);
    StoreMetrics metrics = new StoreMetrics(registry);
    Shard.Config config = new Shard.Config(options.segmentMaxBytes(), options.segmentDuration().toMillis(),
        options.maxSpansPerTrace(), new TraceIdMap.Options(options.traceIdMapEntries(), SEGMENTS_PER_MAP_GENERATION),
        shardCount);
    Shard[] shards = new Shard[shardCount];
    try {
      for (int i = 0; i < shardCount; i++) {
        shards[i] = Shard.open(i, SegmentFiles.shardDir(options.dataDir(), i), config, clock, metrics);
      }
    } catch (IOException | RuntimeException e) {
      for (Shard s : shards) {
        if (s != null) {
          try {
            s.close();
          } catch (IOException e2) {
            e.addSuppressed(e2);
          }
        }
      }
      throw e;
    }
    TraceStore store = new TraceStore(options.withShards(shardCount), clock, metrics, shards, lock);
    Gauge.builder("loupe.tracestore.segments", store, TraceStore::segmentCount)
        .description("Segments on disk, active ones included").register(registry);
    Gauge.builder("loupe.tracestore.segments.sealing", store, TraceStore::sealingCount)
        .description("Segments rolled and being sealed in the background").register(registry);
    long period = options.fsync().isBeforeAck() ? 1000
        : Math.max(1, Math.min(1000, options.fsync().interval().toMillis()));
    store.maintenance.scheduleWithFixedDelay(store::maintainQuietly, period, period, TimeUnit.MILLISECONDS);
    log.info("trace store open at {}: {} shards, {} sealed segments", options.dataDir(), shardCount,
        (int) store.segmentCount() - shardCount);
    return store;
  }

  /**
   * The shard count is fixed when the store is created (a trace's shard must not change under it); a different
   * {@code shards} option on reopen is logged and ignored.
   */
  private static int shardCount(TraceStoreOptions options) throws IOException {
    Path meta = options.dataDir().resolve(SegmentFiles.META_FILE);
    if (Files.exists(meta)) {
      ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(meta));
      FileHeader.check(b, meta, SegmentFiles.STORE_FORMAT, SegmentFiles.STORE_VERSION);
      if (b.remaining() < 4) {
        throw new CorruptFileException(meta, b.position(), "missing shard count");
      }
      int n = b.getInt();
      if (n < 1 || n > TraceStoreOptions.MAX_SHARDS) {
        throw new CorruptFileException(meta, b.position() - 4,
            "shard count " + n + " (expected: 1 to " + TraceStoreOptions.MAX_SHARDS + ")");
      }
      if (n != options.shards()) {
        log.warn("{} was created with {} shards; keeping {} (option says {})", options.dataDir(), n, n,
            options.shards());
      }
      return n;
    }
    byte[] h = FileHeader.encode(SegmentFiles.STORE_FORMAT, SegmentFiles.STORE_VERSION);
    SegmentFiles.writeAtomically(meta, ByteBuffer.allocate(h.length + 4).put(h).putInt(options.shards()).flip());
    return options.shards();
  }

  /** The options in effect: as given, except {@code shards}, which is the count the store was created with. */
  public TraceStoreOptions options() {
    return options;
  }

  /**
   * Appends {@code spans} durably. Spans over the per-trace limit are refused ({@code TRACE_TOO_LARGE}), spans with an
   * attribute value of an unsupported type are refused ({@code INVALID_SPAN}); over-long attribute values are cut to
   * {@link TraceStoreOptions#maxAttributeValueLength()} and the span kept.
   *
   * @throws ResourceExhaustedException if the tenant is over {@link TraceStoreOptions#maxSpansPerSecondPerTenant()}:
   *     nothing was written
   * @throws StorageUnavailableException if the store is closed or a write or fsync failed; spans of other shards of
   *     the same call may have been stored, so a retry can duplicate them
   */
  @Override
  public AppendResult write(Tenant tenant, List<SpanRecord> spans) {
    requireNonNull(tenant, "tenant");
    requireNonNull(spans, "spans");
    if (closed) {
      throw new StorageUnavailableException("trace store is closed");
    }
    AppendResult.Builder result = new AppendResult.Builder();
    AttributeLimiter limiter = new AttributeLimiter(options.maxAttributeValueLength());
    String lastTraceId = null;
    TraceBatch batch = null;
    int trace = 0;
    TraceBatch[] byShard = new TraceBatch[shards.length];
    for (SpanRecord s : spans) {
      if (s == null) {
        result.reject(RejectReason.INVALID_SPAN, "span: null");
        metrics.rejected(RejectReason.INVALID_SPAN).increment();
        continue;
      }
      SpanRecord limited;
      try {
        limited = limiter.apply(s);
      } catch (InvalidInputException | ClassCastException e) {
        result.reject(RejectReason.INVALID_SPAN, "span " + s.spanId() + ": " + e.getMessage());
        metrics.rejected(RejectReason.INVALID_SPAN).increment();
        continue;
      }
      // A trace's spans come in runs (one per resource of the request): parse the id when the run changes. The
      // reference test catches a shared id string, equals (a vectorized compare) a copy of it.
      if (s.traceId() != lastTraceId && !s.traceId().equals(lastTraceId)) {
        String hex = s.traceId();
        long hi = TraceIds.highOfHex(hex, "traceId");
        long lo = TraceIds.parseHex64(hex, 16, "traceId");
        int shard = TraceIds.shardOf(hi, lo, shards.length);
        batch = byShard[shard];
        if (batch == null) {
          batch = byShard[shard] = new TraceBatch();
        }
        trace = batch.trace(hex, hi, lo);
        lastTraceId = hex;
      }
      batch.add(trace, limited);
    }
    int routed = 0;
    for (TraceBatch b : byShard) {
      if (b != null) {
        routed += b.spanCount();
      }
    }
    if (rateLimiter != null && routed > 0) {
      Duration wait = rateLimiter.tryAcquire(tenant.id(), routed);
      if (wait != null) {
        metrics.rateLimited.increment(routed);
        throw new ResourceExhaustedException("tenant " + tenant.id() + ": " + routed + " spans over the limit of "
            + options.maxSpansPerSecondPerTenant() + " spans/s; retry after " + wait.toMillis() + " ms", wait);
      }
    }
    int truncated = limiter.takeTruncatedCount();
    if (truncated > 0) {
      metrics.attributesTruncated.increment(truncated);
    }
    long[] seqs = new long[shards.length];
    try {
      for (int i = 0; i < shards.length; i++) {
        if (byShard[i] != null) {
          seqs[i] = shards[i].append(tenant.id(), byShard[i], result);
        }
      }
      if (options.fsync().isBeforeAck()) {
        syncAll(seqs);
      }
    } catch (ClosedChannelException e) {
      throw new StorageUnavailableException(closed ? "trace store is closed"
          : "trace store write failed: " + e.getClass().getSimpleName() + " (an interrupted write)", e);
    } catch (IOException e) {
      throw new StorageUnavailableException("trace store write failed: " + e.getMessage(), e);
    }
    AppendResult r = result.build();
    metrics.spansWritten.increment(r.accepted());
    return r;
  }

  private void syncAll(long[] seqs) throws IOException {
    List<java.util.concurrent.Future<?>> others = new ArrayList<>();
    int mine = -1;
    for (int i = 0; i < shards.length; i++) {
      if (seqs[i] > 0) {
        if (mine < 0) {
          mine = i; // the caller's thread takes one shard itself
        } else {
          Shard s = shards[i];
          long seq = seqs[i];
          others.add(syncPool.submit(() -> {
            s.sync(seq);
            return null;
          }));
        }
      }
    }
    if (mine >= 0) {
      shards[mine].sync(seqs[mine]);
    }
    for (java.util.concurrent.Future<?> f : others) {
      try {
        f.get();
      } catch (java.util.concurrent.ExecutionException e) {
        if (e.getCause() instanceof IOException io) {
          throw io;
        }
        throw new IOException("fsync failed", e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for fsync", e);
      }
    }
  }

  /**
   * Every stored span of {@code traceId} of {@code tenant}, ordered by start time, repeated copies of a span (a
   * retried write) dropped; empty when unknown.
   *
   * @throws InvalidInputException if {@code traceId} is not 32 lowercase hex digits
   */
  @Override
  public List<SpanRecord> trace(Tenant tenant, String traceId) {
    requireNonNull(tenant, "tenant");
    requireNonNull(traceId, "traceId");
    return trace(tenant, TraceIds.fromHex(traceId, 16, "traceId"));
  }

  private List<SpanRecord> trace(Tenant tenant, byte[] id) {
    if (closed) {
      throw new StorageUnavailableException("trace store is closed");
    }
    TraceKey key = TraceKey.of(tenant.id(), id);
    Shard shard = shards[TraceIds.shardOf(key.hi(), key.lo(), shards.length)];
    List<SpanRecord> spans = shard.trace(key, id);
    spans.sort(Comparator.comparingLong(SpanRecord::startEpochNanos));
    return dedupe(spans);
  }

  /**
   * Traces with a span matching {@code query}, newest first (by their newest matching span). Exact: every trace that
   * matches competes for the limit, however many documents the index finds for other traces.
   */
  @Override
  public List<TraceSummary> search(Tenant tenant, TraceQuery query) {
    requireNonNull(tenant, "tenant");
    requireNonNull(query, "query");
    ensureOpen();
    TraceSearch search = new TraceSearch(tenant.id(), query);
    Query q = search.luceneQuery();
    List<SearchIndex.Cursor> cursors = new ArrayList<>();
    try {
      Shard.Reach[] reach = new Shard.Reach[shards.length];
      for (int i = 0; i < shards.length; i++) {
        reach[i] = shards[i].reach(query.startEpochNanos(), query.endEpochNanos());
        shards[i].cursors(tenant.id(), q, query.startEpochNanos(), query.endEpochNanos(), cursors);
      }
      TraceIdFilter ids = search.prefilter((fq, max, out) -> {
        for (int i = 0; i < shards.length; i++) {
          if (!shards[i].collectTraceIds(fq, reach[i], max, out)) {
            return false;
          }
        }
        return true;
      });
      TraceSearch.Prefilter required = ids == null ? null : traceId -> {
        if (ids.mightContain(traceId)) {
          return true;
        }
        TraceKey key = TraceKey.of(tenant.id(), traceId);
        int shard = TraceIds.shardOf(key.hi(), key.lo(), shards.length);
        return !shards[shard].onlyWithin(key, reach[shard]);
      };
      List<TraceSummary> out = search.run(cursors, new TraceSearch.TraceLoader() {
        @Override
        public List<SpanRecord> load(byte[] traceId) {
          return trace(tenant, traceId);
        }

        @Override
        public int spanCount(byte[] traceId) {
          TraceKey key = TraceKey.of(tenant.id(), traceId);
          return shards[TraceIds.shardOf(key.hi(), key.lo(), shards.length)].spanCount(key);
        }
      }, required);
      metrics.searchTracesRead.record(search.tracesRead());
      return out;
    } catch (IOException e) {
      for (SearchIndex.Cursor c : cursors) {
        try {
          c.close();
        } catch (IOException | RuntimeException e2) {
          e.addSuppressed(e2);
        }
      }
      throw new UncheckedIOException("trace search failed", e);
    }
  }

  @Override
  public List<String> services(Tenant tenant) {
    return services(tenant, Long.MIN_VALUE, Long.MAX_VALUE);
  }

  @Override
  public List<String> services(Tenant tenant, long startNanos, long endNanos) {
    requireNonNull(tenant, "tenant");
    return terms(SearchIndex.SERVICE, SearchIndex.key(tenant.id(), ""), Integer.MAX_VALUE, startNanos, endNanos);
  }

  @Override
  public List<String> operations(Tenant tenant, String service) {
    return operations(tenant, service, Long.MIN_VALUE, Long.MAX_VALUE);
  }

  @Override
  public List<String> operations(Tenant tenant, String service, long startNanos, long endNanos) {
    requireNonNull(tenant, "tenant");
    requireNonNull(service, "service");
    return terms(SearchIndex.OPERATION, SearchIndex.key(tenant.id(), service + '\u0000'), Integer.MAX_VALUE,
        startNanos, endNanos);
  }

  @Override
  public List<String> tagNames(Tenant tenant, TagScope scope) {
    return tagNames(tenant, scope, Long.MIN_VALUE, Long.MAX_VALUE);
  }

  /** Keys from the segments with spans started within the range (whole segments: at most an hour each by default). */
  @Override
  public List<String> tagNames(Tenant tenant, TagScope scope, long startNanos, long endNanos) {
    requireNonNull(tenant, "tenant");
    requireNonNull(scope, "scope");
    ensureOpen();
    java.util.TreeSet<String> out = new java.util.TreeSet<>();
    try {
      for (Shard s : shards) {
        if (scope != TagScope.SPAN) {
          s.tagNames(tenant.id(), SearchIndex.RESOURCE_PREFIX, startNanos, endNanos, out);
        }
        if (scope != TagScope.RESOURCE) {
          s.tagNames(tenant.id(), SearchIndex.SPAN_PREFIX, startNanos, endNanos, out);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("reading tag names failed", e);
    }
    return List.copyOf(out);
  }

  @Override
  public List<String> tagValues(Tenant tenant, TagScope scope, String key, int limit) {
    return tagValues(tenant, scope, key, limit, Long.MIN_VALUE, Long.MAX_VALUE);
  }

  @Override
  public List<String> tagValues(Tenant tenant, TagScope scope, String key, int limit, long startNanos,
      long endNanos) {
    requireNonNull(tenant, "tenant");
    requireNonNull(scope, "scope");
    requireNonNull(key, "key");
    if (limit < 1) {
      throw new InvalidInputException("limit: " + limit + " (expected: > 0)");
    }
    java.util.TreeSet<String> out = new java.util.TreeSet<>();
    String prefix = SearchIndex.key(tenant.id(), "");
    if (scope != TagScope.SPAN) {
      out.addAll(terms(SearchIndex.RESOURCE_PREFIX + key, prefix, limit, startNanos, endNanos));
    }
    if (scope != TagScope.RESOURCE) {
      out.addAll(terms(SearchIndex.SPAN_PREFIX + key, prefix, limit, startNanos, endNanos));
    }
    return out.stream().limit(limit).toList();
  }

  private List<String> terms(String field, String prefix, int limit, long startNanos, long endNanos) {
    ensureOpen();
    if (startNanos > endNanos) {
      throw new InvalidInputException("time range: start " + startNanos + " ns is after end " + endNanos
          + " ns (expected: start <= end)");
    }
    java.util.TreeSet<String> out = new java.util.TreeSet<>();
    try {
      for (Shard s : shards) {
        s.terms(field, prefix, limit, startNanos, endNanos, out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + field + " terms failed", e);
    }
    return out.stream().limit(limit).toList();
  }

  private void ensureOpen() {
    if (closed) {
      throw new StorageUnavailableException("trace store is closed");
    }
  }

  /**
   * Drops repeated copies of a span (same id, kind, start and end): a client that retries a write the store partly
   * acknowledged sends them again. Zipkin-style shared spans (client and server halves with one id) differ in kind and
   * are both kept.
   */
  private static List<SpanRecord> dedupe(List<SpanRecord> spans) {
    record Identity(String spanId, SpanRecord.Kind kind, long start, long end) {}
    java.util.Set<Identity> seen = new java.util.HashSet<>();
    List<SpanRecord> out = new ArrayList<>(spans.size());
    for (SpanRecord s : spans) {
      if (seen.add(new Identity(s.spanId(), s.kind(), s.startEpochNanos(), s.endEpochNanos()))) {
        out.add(s);
      }
    }
    return out;
  }

  /**
   * Seals every active segment that holds spans. Normally segments roll by age and size on their own; this is for
   * operators (before a backup) and tests.
   */
  public void roll() {
    try {
      for (Shard s : shards) {
        s.roll();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("rolling segments failed", e);
    }
  }

  /**
   * One round of housekeeping, which the store runs by itself every second: background fsync (interval policy), rolls
   * by age, retention by time and size.
   */
  public void runMaintenance() throws IOException {
    if (closed) {
      return;
    }
    if (!options.fsync().isBeforeAck()) {
      for (Shard s : shards) {
        s.syncAll();
      }
    }
    for (Shard s : shards) {
      s.rollIfDue();
    }
    long cutoff = clock.millis() - options.retention().toMillis();
    for (Shard s : shards) {
      s.dropOlderThan(cutoff);
    }
    if (options.retentionBytes() > 0) {
      enforceRetentionBytes();
    }
  }

  private void enforceRetentionBytes() throws IOException {
    long total = 0;
    List<SealedSegment> all = new ArrayList<>();
    Map<SealedSegment, Shard> owner = new HashMap<>();
    for (Shard s : shards) {
      total += s.activeBytes();
      for (SealedSegment seg : s.sealedSegments()) {
        total += seg.bytes();
        all.add(seg);
        owner.put(seg, s);
      }
    }
    all.sort(Comparator.comparingLong(seg -> seg.index().meta().maxWrittenMs()));
    for (SealedSegment seg : all) {
      if (total <= options.retentionBytes()) {
        break;
      }
      total -= seg.bytes();
      owner.get(seg).drop(seg);
    }
  }

  private long lastHousekeepingNanos = System.nanoTime();

  /** The scheduled task: background fsync at its interval, rolls and retention once a second. */
  private void maintainQuietly() {
    try {
      if (System.nanoTime() - lastHousekeepingNanos >= TimeUnit.SECONDS.toNanos(1)) {
        lastHousekeepingNanos = System.nanoTime();
        runMaintenance();
      } else if (!closed && !options.fsync().isBeforeAck()) {
        for (Shard s : shards) {
          s.syncAll();
        }
      }
    } catch (IOException | RuntimeException e) {
      log.warn("trace store maintenance failed: {}", e.toString());
    }
  }

  private double sealingCount() {
    int n = 0;
    for (Shard s : shards) {
      n += s.sealingCount();
    }
    return n;
  }

  /** Runs {@code r} on every shard's sealer thread, after the seals handed over so far. For tests. */
  void runOnSealers(Runnable r) {
    for (Shard s : shards) {
      s.runOnSealer(r);
    }
  }

  /** Returns once every segment rolled so far is sealed: rolls by age and size seal in the background. For tests. */
  void awaitSeals() {
    for (Shard s : shards) {
      s.awaitSeals();
    }
  }

  private double segmentCount() {
    int n = 0;
    for (Shard s : shards) {
      n += s.segmentCount();
    }
    return n;
  }

  /** Seals active segments and closes every file. Idempotent. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    // shutdown, not shutdownNow: an interrupt inside a FileChannel call would close the channel under the seal below
    maintenance.shutdown();
    if (syncPool != null) {
      syncPool.shutdown();
    }
    try {
      maintenance.awaitTermination(10, TimeUnit.SECONDS);
      if (syncPool != null) {
        syncPool.awaitTermination(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    IOException first = null;
    for (Shard s : shards) {
      try {
        s.close();
      } catch (IOException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    try {
      lock.close();
    } catch (IOException e) {
      if (first == null) {
        first = e;
      } else {
        first.addSuppressed(e);
      }
    }
    if (first != null) {
      throw first;
    }
  }

  /** Closes every file without sealing, leaving what a crash leaves. For recovery tests. */
  void crashForTest() throws IOException {
    closed = true;
    maintenance.shutdownNow();
    if (syncPool != null) {
      syncPool.shutdown();
    }
    for (Shard s : shards) {
      s.crash();
    }
    lock.close(); // as the process's death would
  }
}
