package io.loupe.tsdb.head;

import io.loupe.model.Appender;
import io.loupe.model.Exemplar;
import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.model.MetricMetadata;
import io.loupe.model.Querier;
import io.loupe.model.RejectReason;
import io.loupe.model.SeriesExemplars;
import io.loupe.model.StorageUnavailableException;
import io.loupe.model.Tenant;
import io.loupe.tsdb.FsyncPolicy;
import io.loupe.tsdb.TsdbOptions;
import io.loupe.tsdb.TsdbStats;
import io.loupe.tsdb.block.Block;
import io.loupe.tsdb.block.BlockMeta;
import io.loupe.tsdb.block.BlockWriter;
import io.loupe.tsdb.block.SeriesChunks;
import io.loupe.tsdb.chunkenc.XorChunk;
import io.loupe.tsdb.record.RecordDecoder;
import io.loupe.tsdb.wlog.CorruptFileException;
import io.loupe.tsdb.wlog.SegmentedLog;
import io.loupe.tsdb.wlog.WalReader;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.roaringbitmap.IntIterator;
import org.roaringbitmap.RoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-memory head of the store: shards of series and postings, each with its own WAL directory
 * ({@code wal/shard-NNN}), plus per-tenant counters and metadata. Built by {@link #open}, which replays the WAL.
 */
public final class Head implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(Head.class);

  private final TsdbOptions opts;
  private final HeadShard[] shards;
  private final AtomicLong nextId = new AtomicLong(1);
  private final ConcurrentHashMap<Tenant, TenantState> tenants = new ConcurrentHashMap<>();
  private final AtomicLong totalSeries = new AtomicLong();
  private final long oooWindowMs;
  private final long blockRangeMs;
  private final Object compactionLock = new Object();
  private final Counter blocksWritten;
  private final Counter blocksCorrupt;
  private final Counter blocksDeleted;
  private final Counter blocksCompacted;
  private final io.loupe.tsdb.wlog.ChannelOpener opener;
  private List<Block> retired = new ArrayList<>(); // deleted by retention, closed one compaction cycle later
  private final Counter appended;
  private final Counter[] rejected = new Counter[RejectReason.values().length];
  private final Counter corruptions;
  private final Timer fsyncTimer;
  private final Counter walBytes;
  private final Counter chunkWriteFailures;
  private ScheduledExecutorService syncer;

  /** Per-tenant state shared by all shards: the series count (for the limit) and metadata by family. */
  private static final class TenantState {
    final AtomicLong series = new AtomicLong();
    final ConcurrentHashMap<String, MetricMetadata> metadata = new ConcurrentHashMap<>();
    // Samples before this are in blocks: the head refuses them (too_old) and replay skips them.
    volatile long minValidTime = Long.MIN_VALUE;
    volatile List<Block> blocks = List.of(); // sorted by minT
  }

  private Head(TsdbOptions opts, MeterRegistry registry, io.loupe.tsdb.wlog.ChannelOpener opener) {
    this.opts = opts;
    this.opener = opener;
    this.oooWindowMs = opts.outOfOrderWindow().toMillis();
    this.blockRangeMs = opts.blockRange().toMillis();
    this.shards = new HeadShard[opts.shards()];
    for (int i = 0; i < shards.length; i++) {
      shards[i] = new HeadShard(i, this);
    }
    Gauge.builder("loupe.tsdb.head.series", totalSeries, AtomicLong::get)
        .description("series in the head, all tenants").register(registry);
    appended = Counter.builder("loupe.tsdb.samples.appended").description("samples accepted by commits")
        .register(registry);
    for (RejectReason r : RejectReason.values()) {
      rejected[r.ordinal()] = Counter.builder("loupe.tsdb.samples.rejected").tag("reason", r.metricTag())
          .description("samples and exemplars refused by commits").register(registry);
    }
    corruptions = Counter.builder("loupe.tsdb.wal.corruptions")
        .description("torn or damaged WAL tails found and truncated at replay").register(registry);
    fsyncTimer = Timer.builder("loupe.tsdb.wal.fsync").description("WAL fsync latency").register(registry);
    blocksWritten = Counter.builder("loupe.tsdb.blocks.written").description("blocks cut from the head")
        .register(registry);
    blocksCorrupt = Counter.builder("loupe.tsdb.blocks.corrupt")
        .description("blocks that failed verification at open and were quarantined").register(registry);
    blocksCompacted = Counter.builder("loupe.tsdb.blocks.compacted")
        .description("blocks written by merging blocks into larger ranges").register(registry);
    blocksDeleted = Counter.builder("loupe.tsdb.blocks.deleted").description("blocks deleted by retention")
        .register(registry);
    Gauge.builder("loupe.tsdb.blocks.loaded", tenants, m -> m.values().stream().mapToInt(t -> t.blocks.size()).sum())
        .description("blocks open for queries").register(registry);
    walBytes = Counter.builder("loupe.tsdb.wal.bytes").baseUnit("bytes").description("bytes appended to the WAL")
        .register(registry);
    chunkWriteFailures = Counter.builder("loupe.tsdb.head.chunks.write.failures")
        .description("frozen head chunks the chunk file could not take (disk full), kept on the heap instead")
        .register(registry);
    Gauge.builder("loupe.tsdb.head.chunks.file.bytes", this, Head::chunkFileBytes).baseUnit("bytes")
        .description("bytes of chunk entries in the head chunk files (off the heap; in the page cache when read)")
        .register(registry);
  }

  private double chunkFileBytes() {
    long n = 0;
    for (HeadShard sh : shards) {
      HeadChunks c = sh.chunks;
      if (c != null) {
        n += c.writtenBytes(); // a racy read for a gauge: the shard lock is not worth taking
      }
    }
    return n;
  }

  /** Replays {@code dataDir/wal}, then opens each shard's WAL for writing. */
  public static Head open(TsdbOptions opts, MeterRegistry registry) throws IOException {
    return open(opts, registry, io.loupe.tsdb.wlog.ChannelOpener.DEFAULT);
  }

  /** As {@link #open(TsdbOptions, MeterRegistry)}, with the files of the WAL and of new blocks opened by {@code opener}. */
  public static Head open(TsdbOptions opts, MeterRegistry registry, io.loupe.tsdb.wlog.ChannelOpener opener)
      throws IOException {
    Head h = new Head(opts, registry, opener);
    Path walDir = opts.dataDir().resolve("wal");
    Files.createDirectories(walDir);
    Timer replayTimer = Timer.builder("loupe.tsdb.wal.replay.duration").description("time to replay the WAL at open")
        .register(registry);
    h.loadBlocks(opts.dataDir().resolve("blocks"));
    Path chunksDir = opts.dataDir().resolve(CHUNKS_HEAD);
    if (opts.headChunksSegmentSize() > 0) {
      try {
        for (HeadShard sh : h.shards) {
          // emptied, not read: the WAL is the source of truth, and replay below writes the chunks again
          sh.chunks = HeadChunks.open(chunksDir.resolve(String.format("shard-%03d", sh.index)),
              opts.headChunksSegmentSize(), opener, h.chunkWriteFailures);
        }
        h.deleteFormerShardChunks(chunksDir);
      } catch (IOException e) {
        h.close();
        throw e;
      }
    } else if (Files.isDirectory(chunksDir)) {
      deleteTree(chunksDir); // left by a run that had the chunk file on
    }
    long t0 = System.nanoTime();
    Replayer r = h.new Replayer();
    List<Path> dirs = new ArrayList<>();
    try (Stream<Path> s = Files.list(walDir)) {
      s.filter(p -> p.getFileName().toString().startsWith("shard-") && Files.isDirectory(p)).sorted()
          .forEach(dirs::add);
    }
    long records = 0;
    HashMap<Path, Integer> nextSegment = new HashMap<>();
    for (Path dir : dirs) {
      WalReader.RecordConsumer consumer = (buf, file, off) -> {
        try {
          RecordDecoder.decode(buf, r);
        } catch (IllegalArgumentException e) {
          // The checksum matched, so this is not a torn write: refuse to guess.
          throw new CorruptFileException(file, off, "undecodable WAL record: " + e.getMessage());
        }
      };
      int checkpoint = Checkpoints.latest(dir);
      if (checkpoint >= 0) {
        WalReader.Result res = WalReader.replay(Checkpoints.dir(dir, checkpoint), consumer);
        records += res.records();
        h.corruptions.increment(res.corruptions());
      }
      WalReader.Result res = WalReader.replay(dir, checkpoint + 1, consumer);
      records += res.records();
      h.corruptions.increment(res.corruptions());
      nextSegment.put(dir, checkpoint + 1);
    }
    r.finish();
    long took = System.nanoTime() - t0;
    replayTimer.record(took, TimeUnit.NANOSECONDS);
    log.info("replayed WAL {}: {} records, {} series, {} samples in {} ms", walDir, records, h.totalSeries.get(),
        r.samples, took / 1_000_000);
    try {
      for (HeadShard sh : h.shards) {
        Path dir = walDir.resolve(String.format("shard-%03d", sh.index));
        sh.wal = SegmentedLog.open(dir, opts.walSegmentSize(), h.fsyncTimer, h.walBytes,
            nextSegment.getOrDefault(dir, 0), h.opener);
        sh.walDir = dir;
      }
    } catch (IOException e) {
      h.close();
      throw e;
    }
    if (opts.fsync() instanceof FsyncPolicy.Interval iv) {
      h.syncer = Executors.newSingleThreadScheduledExecutor(run -> {
        Thread t = new Thread(run, "loupe-tsdb-wal-sync");
        t.setDaemon(true);
        return t;
      });
      long ms = Math.max(1, iv.every().toMillis());
      h.syncer.scheduleWithFixedDelay(h::syncAll, ms, ms, TimeUnit.MILLISECONDS);
    }
    return h;
  }

  /** Directory of the head chunk files, one subdirectory per shard (docs/format/head-chunks.md). */
  static final String CHUNKS_HEAD = "chunks_head";

  private void deleteFormerShardChunks(Path chunksDir) throws IOException {
    java.util.Set<Path> current = new java.util.HashSet<>();
    for (HeadShard sh : shards) {
      current.add(sh.chunks.dir());
    }
    try (Stream<Path> s = Files.list(chunksDir)) {
      for (Path d : s.toList()) {
        if (!current.contains(d)) {
          deleteTree(d); // a former shard's (the shard count changed): nothing reads it
        }
      }
    }
  }

  private void loadBlocks(Path blocksDir) throws IOException {
    if (!Files.isDirectory(blocksDir)) {
      return;
    }
    List<Path> tenantDirs;
    try (Stream<Path> s = Files.list(blocksDir)) {
      tenantDirs = s.filter(Files::isDirectory).sorted().toList();
    }
    for (Path td : tenantDirs) {
      Tenant tenant = new Tenant(td.getFileName().toString());
      List<Path> dirs;
      try (Stream<Path> s = Files.list(td)) {
        dirs = s.filter(Files::isDirectory).sorted().toList();
      }
      List<Block> loaded = new ArrayList<>();
      for (Path d : dirs) {
        String name = d.getFileName().toString();
        if (name.endsWith(".tmp")) {
          log.info("deleting incomplete block {} (a cut interrupted by a crash)", d);
          deleteTree(d);
          continue;
        }
        if (name.endsWith(".corrupt")) {
          continue;
        }
        try {
          loaded.add(Block.open(d));
        } catch (IOException e) {
          Path q = d.resolveSibling(name + ".corrupt");
          log.error("block {} is damaged and was quarantined as {}: {}", d, q, e.getMessage());
          blocksCorrupt.increment();
          Files.move(d, q);
        }
      }
      dropSuperseded(loaded);
      if (!loaded.isEmpty()) {
        loaded.sort(Comparator.comparingLong(b -> b.meta().minT()));
        TenantState ts = tenants.computeIfAbsent(tenant, k -> new TenantState());
        ts.blocks = List.copyOf(loaded);
        ts.minValidTime = loaded.stream().mapToLong(b -> b.meta().maxT()).max().orElseThrow();
      }
    }
  }

  /**
   * A block whose range lies inside a larger block's range is a source of a compaction that a crash interrupted after
   * the merged block was renamed into place (compaction only merges whole windows that no later cut can reach, so
   * the larger block holds all of it): delete it, as the compaction would have.
   */
  private void dropSuperseded(List<Block> loaded) throws IOException {
    List<Block> gone = new ArrayList<>();
    for (Block b : loaded) {
      for (Block o : loaded) {
        BlockMeta bm = b.meta();
        BlockMeta om = o.meta();
        boolean inside = om.minT() <= bm.minT() && bm.maxT() <= om.maxT()
            && om.maxT() - om.minT() > bm.maxT() - bm.minT();
        if (o != b && inside) {
          log.info("deleting block {}: its range lies inside block {} (a compaction interrupted by a crash)",
              b.dir(), o.dir());
          gone.add(b);
          break;
        }
      }
    }
    for (Block b : gone) {
      loaded.remove(b);
      b.close();
      Path tmp = b.dir().resolveSibling(b.dir().getFileName() + ".tmp");
      Files.move(b.dir(), tmp, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      deleteTree(tmp);
    }
  }

  private static void deleteTree(Path d) throws IOException {
    try (Stream<Path> s = Files.walk(d)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** Applies WAL records to the head, single-threaded, before any writer exists. */
  private final class Replayer implements RecordDecoder.Visitor {
    private final HashMap<Long, MemSeries> byId = new HashMap<>();
    private final HashMap<Long, TenantIndex> ownerOf = new HashMap<>();
    private final HashMap<String, Tenant> tenantCache = new HashMap<>();
    // Samples whose series record is in a WAL directory not read yet (only when the shard count changed).
    private final HashMap<Long, List<long[]>> pending = new HashMap<>();
    long samples;

    private Tenant tenant(String id) {
      return tenantCache.computeIfAbsent(id, Tenant::new);
    }

    @Override
    public void series(String tenantId, long id, Labels labels) {
      Tenant t = tenant(tenantId);
      HeadShard sh = shards[shardFor(tenantHash(t), labels)];
      TenantIndex ti = sh.tenant(t);
      MemSeries s = ti.byLabels.get(labels);
      if (s == null) {
        s = ti.add(id, labels);
        tenants.computeIfAbsent(t, k -> new TenantState()).series.incrementAndGet();
        totalSeries.incrementAndGet();
      }
      byId.put(id, s);
      ownerOf.put(id, ti);
      nextId.accumulateAndGet(id + 1, Math::max);
      List<long[]> waiting = pending.remove(id);
      if (waiting != null) {
        for (long[] p : waiting) {
          sample(id, p[0], Double.longBitsToDouble(p[1]));
        }
      }
    }

    @Override
    public void sample(long seriesId, long ts, double value) {
      MemSeries s = byId.get(seriesId);
      if (s == null) {
        pending.computeIfAbsent(seriesId, k -> new ArrayList<>())
            .add(new long[] {ts, Double.doubleToRawLongBits(value)});
        return;
      }
      if (ts < minValidTime(ownerOf.get(seriesId).tenant)) {
        return; // already in a block
      }
      HeadChunks disk = ownerOf.get(seriesId).chunks;
      if (s.lookup(ts, Double.doubleToRawLongBits(value), disk) == MemSeries.ABSENT) {
        s.append(ts, value, blockRangeMs, disk);
        samples++;
      }
    }

    @Override
    public void nextSeriesId(long id) {
      nextId.accumulateAndGet(id, Math::max);
    }

    @Override
    public void chunk(long seriesId, byte[] bytes) {
      MemSeries s = byId.get(seriesId);
      if (s == null) {
        return; // checkpoints write a series' record before its chunks; nothing to attach to
      }
      XorChunk c = XorChunk.frozenOf(bytes);
      if (c.maxT() < minValidTime(ownerOf.get(seriesId).tenant)) {
        return;
      }
      if (s.isEmpty() || c.minT() > s.maxT) {
        s.appendChunk(c, ownerOf.get(seriesId).chunks);
        samples += c.count();
        return;
      }
      // Overlaps what is there (only after a shard-count change mixed directories): merge sample by sample.
      io.loupe.tsdb.chunkenc.XorIterator it = c.iterator();
      while (it.next()) {
        sample(seriesId, it.timestamp(), it.value());
      }
    }

    @Override
    public void exemplar(long seriesId, Exemplar e) {
      MemSeries s = byId.get(seriesId);
      if (s == null || e.timestampMs() < s.lastExemplarTs()) {
        return;
      }
      TenantIndex ti = ownerOf.get(seriesId);
      if (ti.exemplars != null) {
        ti.exemplars.add(s.ref, e);
      }
      s.lastExemplar = e;
    }

    @Override
    public void metadata(String tenantId, MetricMetadata m) {
      putMetadata(tenant(tenantId), m);
    }

    @Override
    public void unknown(int type, int length) {
      log.warn("skipping WAL entry of unknown type {} ({} bytes), written by a newer version", type, length);
    }

    void finish() {
      // Series whose samples all went to blocks have nothing left in the head.
      long collected = 0;
      for (HeadShard sh : shards) {
        for (TenantIndex ti : sh.tenants.values()) {
          collected += collectEmpty(ti);
        }
      }
      if (collected > 0) {
        log.info("WAL replay: {} series with all samples in blocks left the head", collected);
      }
      if (!pending.isEmpty()) {
        long n = pending.values().stream().mapToLong(List::size).sum();
        log.warn("WAL replay: {} samples of {} series whose series record is missing were dropped", n, pending.size());
        corruptions.increment();
      }
    }
  }

  // ---- used by shards and appenders

  int shardCount() {
    return shards.length;
  }

  HeadShard shard(int i) {
    return shards[i];
  }

  static long tenantHash(Tenant t) {
    long h = 0xcbf29ce484222325L;
    for (byte b : t.id().getBytes(StandardCharsets.UTF_8)) {
      h ^= (b & 0xff);
      h *= 0x100000001b3L;
    }
    return h;
  }

  int shardFor(long tenantHash, Labels labels) {
    // Labels.hashCode() is cached in the Labels and needed anyway by the series lookup that follows; stableHash()
    // walked every char again (~15 % of a commit). Routing needs no hash stable across releases: replay re-routes
    // series whose shard changed, as it does when the shard count changes.
    return mix(labels.hashCode() * 0x9E3779B97F4A7C15L ^ tenantHash, shards.length);
  }

  /** Metadata entries of every tenant whose family routes to shard {@code index}. */
  List<Map.Entry<Tenant, MetricMetadata>> metadataOfShard(int index) {
    List<Map.Entry<Tenant, MetricMetadata>> out = new ArrayList<>();
    tenants.forEach((t, st) -> {
      long th = tenantHash(t);
      st.metadata.forEach((family, m) -> {
        if (shardForMetadata(th, family) == index) {
          out.add(Map.entry(t, m));
        }
      });
    });
    return out;
  }

  int shardForMetadata(long tenantHash, String family) {
    return mix(family.hashCode() * 0x9E3779B97F4A7C15L ^ tenantHash, shards.length);
  }

  private static int mix(long h, int n) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    return (int) Long.remainderUnsigned(h, n);
  }

  io.loupe.tsdb.wlog.ChannelOpener opener() {
    return opener;
  }

  long blockRangeMs() {
    return blockRangeMs;
  }

  long minValidTime(Tenant t) {
    TenantState s = tenants.get(t);
    return s == null ? Long.MIN_VALUE : s.minValidTime;
  }

  List<Block> blocks(Tenant t) {
    TenantState s = tenants.get(t);
    return s == null ? List.of() : s.blocks;
  }

  /** Removes the series of {@code ti} that have no chunks; call under its shard's lock. Returns how many. */
  private long collectEmpty(TenantIndex ti) {
    long n = 0;
    for (int r = 0; r < ti.size(); r++) {
      MemSeries s = ti.get(r);
      if (s != null && s.isEmpty()) {
        ti.remove(s);
        n++;
      }
    }
    if (n > 0) {
      tenants.get(ti.tenant).series.addAndGet(-n);
      totalSeries.addAndGet(-n);
    }
    return n;
  }

  long outOfOrderWindowMs() {
    return oooWindowMs;
  }

  int exemplarCapacityPerShard() {
    int max = opts.maxExemplarsPerTenant();
    return max == 0 ? 0 : Math.max(1, (max + shards.length - 1) / shards.length);
  }

  long nextSeriesId() {
    return nextId.getAndIncrement();
  }

  /** The id the next new series will get, without taking it. */
  long peekNextSeriesId() {
    return nextId.get();
  }

  boolean tryReserveSeries(Tenant t) {
    AtomicLong c = tenants.computeIfAbsent(t, k -> new TenantState()).series;
    long limit = opts.maxSeriesPerTenant();
    while (true) {
      long cur = c.get();
      if (limit > 0 && cur >= limit) {
        return false;
      }
      if (c.compareAndSet(cur, cur + 1)) {
        totalSeries.incrementAndGet();
        return true;
      }
    }
  }

  void releaseSeries(Tenant t, int n) {
    if (n > 0) {
      tenants.get(t).series.addAndGet(-n);
      totalSeries.addAndGet(-n);
    }
  }

  MetricMetadata metadata(Tenant t, String family) {
    TenantState s = tenants.get(t);
    return s == null ? null : s.metadata.get(family);
  }

  void putMetadata(Tenant t, MetricMetadata m) {
    tenants.computeIfAbsent(t, k -> new TenantState()).metadata.put(m.metricFamily(), m);
  }

  void count(long accepted, long[] rejectedByReason) {
    appended.increment(accepted);
    for (int i = 0; i < rejectedByReason.length; i++) {
      if (rejectedByReason[i] > 0) {
        rejected[i].increment(rejectedByReason[i]);
      }
    }
  }

  /** Under {@link FsyncPolicy#ALWAYS}: waits until each shard's WAL is fsynced up to its position (-1: untouched). */
  void awaitDurable(long[] positions) {
    if (!(opts.fsync() instanceof FsyncPolicy.Always)) {
      return;
    }
    for (int s = 0; s < positions.length; s++) {
      if (positions[s] >= 0) {
        try {
          shards[s].wal.syncTo(positions[s]);
        } catch (IOException e) {
          throw new StorageUnavailableException("WAL fsync failed: " + e.getMessage(), e);
        }
      }
    }
  }

  private void syncAll() {
    for (HeadShard sh : shards) {
      try {
        SegmentedLog w = sh.wal;
        if (w != null) {
          w.sync();
        }
      } catch (IOException e) {
        log.warn("background WAL fsync failed: {}", e.getMessage());
      }
    }
  }

  // ---- public API used by Tsdb

  public Appender appender(Tenant tenant) {
    return new HeadAppender(this, tenant);
  }

  public Querier querier(Tenant tenant, long mint, long maxt) {
    return new HeadQuerier(this, tenant, mint, maxt);
  }

  /** The id of {@code labels}'s series, if the head has it. */
  public OptionalLong seriesId(Tenant tenant, Labels labels) {
    HeadShard sh = shards[shardFor(tenantHash(tenant), labels)];
    sh.lock.lock();
    try {
      TenantIndex ti = sh.tenants.get(tenant);
      MemSeries s = ti == null ? null : ti.byLabels.get(labels);
      return s == null ? OptionalLong.empty() : OptionalLong.of(s.id);
    } finally {
      sh.lock.unlock();
    }
  }

  /** Calls {@code action} under each shard's lock for each series matching all matchers with samples in range. */
  void forEachMatching(Tenant tenant, List<Matcher> matchers, long lo, long hi,
      BiConsumer<TenantIndex, MemSeries> action) {
    for (HeadShard sh : shards) {
      sh.lock.lock();
      try {
        TenantIndex ti = sh.tenants.get(tenant);
        if (ti == null) {
          continue;
        }
        RoaringBitmap refs = ti.select(matchers);
        IntIterator it = refs.getIntIterator();
        while (it.hasNext()) {
          MemSeries s = ti.get(it.next());
          if (s.overlaps(lo, hi)) {
            action.accept(ti, s);
          }
        }
      } finally {
        sh.lock.unlock();
      }
    }
  }

  public List<SeriesExemplars> exemplars(Tenant tenant, long start, long end, List<List<Matcher>> matcherSets) {
    List<SeriesExemplars> out = new ArrayList<>();
    for (HeadShard sh : shards) {
      sh.lock.lock();
      try {
        TenantIndex ti = sh.tenants.get(tenant);
        if (ti == null || ti.exemplars == null || ti.exemplars.size() == 0) {
          continue;
        }
        RoaringBitmap refs = new RoaringBitmap();
        for (List<Matcher> ms : matcherSets) {
          refs.or(ti.select(ms));
        }
        TreeMap<Integer, List<Exemplar>> byRef = new TreeMap<>();
        ti.exemplars.forEach((ref, e) -> {
          if (e.timestampMs() >= start && e.timestampMs() <= end && refs.contains(ref)) {
            byRef.computeIfAbsent(ref, k -> new ArrayList<>()).add(e);
          }
        });
        byRef.forEach((ref, list) -> {
          MemSeries s = ti.get(ref);
          if (s != null) {
            list.sort(Comparator.comparingLong(Exemplar::timestampMs));
            out.add(new SeriesExemplars(s.labels, list));
          }
        });
      } finally {
        sh.lock.unlock();
      }
    }
    out.sort((a, b) -> a.seriesLabels().compareTo(b.seriesLabels()));
    return out;
  }

  public Map<String, List<MetricMetadata>> metadata(Tenant tenant, String metric, int limit) {
    TenantState s = tenants.get(tenant);
    Map<String, List<MetricMetadata>> out = new LinkedHashMap<>();
    if (s == null) {
      return out;
    }
    new TreeMap<>(s.metadata).forEach((family, m) -> {
      if ((metric == null || metric.isEmpty() || metric.equals(family)) && (limit <= 0 || out.size() < limit)) {
        out.put(family, List.of(m));
      }
    });
    return out;
  }

  public TsdbStats stats(Tenant tenant, int limit) {
    long numSeries = 0;
    long chunks = 0;
    long minT = Long.MAX_VALUE;
    long maxT = Long.MIN_VALUE;
    HashMap<String, Long> byMetric = new HashMap<>();
    HashMap<String, java.util.HashSet<String>> valuesByName = new HashMap<>();
    HashMap<String, Long> pairs = new HashMap<>();
    for (HeadShard sh : shards) {
      sh.lock.lock();
      try {
        TenantIndex ti = sh.tenants.get(tenant);
        if (ti == null) {
          continue;
        }
        numSeries += ti.byLabels.size();
        for (int r = 0; r < ti.size(); r++) {
          MemSeries s = ti.get(r);
          if (s == null) {
            continue;
          }
          chunks += s.chunkCount();
          if (!s.isEmpty()) {
            minT = Math.min(minT, s.minT);
            maxT = Math.max(maxT, s.maxT);
          }
        }
        ti.postings.byName().forEach((name, values) -> {
          java.util.HashSet<String> set = valuesByName.computeIfAbsent(name, k -> new java.util.HashSet<>());
          values.forEach((value, bm) -> {
            long card = bm.getLongCardinality();
            set.add(value);
            pairs.merge(name + "=" + value, card, Long::sum);
            if (name.equals(Labels.METRIC_NAME)) {
              byMetric.merge(value, card, Long::sum);
            }
          });
        });
      } finally {
        sh.lock.unlock();
      }
    }
    HashMap<String, Long> valueCount = new HashMap<>();
    HashMap<String, Long> memory = new HashMap<>();
    valuesByName.forEach((name, set) -> {
      valueCount.put(name, (long) set.size());
      long bytes = 0;
      for (String v : set) {
        bytes += 2L * v.length();
      }
      memory.put(name, bytes);
    });
    return new TsdbStats(new TsdbStats.HeadStats(numSeries, pairs.size(), chunks, minT, maxT), top(byMetric, limit),
        top(valueCount, limit), top(memory, limit), top(pairs, limit));
  }

  private static List<TsdbStats.Entry> top(Map<String, Long> m, int limit) {
    return m.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
        .limit(limit <= 0 ? Long.MAX_VALUE : limit)
        .map(e -> new TsdbStats.Entry(e.getKey(), e.getValue()))
        .toList();
  }

  /**
   * The background cycle: cuts, for every tenant, each whole block range that lies 1.5 ranges or more behind the
   * tenant's newest head sample (Prometheus's rule: a range is cut once no in-window sample can still arrive for it),
   * merges blocks into larger ranges, applies retention. Returns blocks cut from the head.
   */
  public int compactIfNeeded() throws IOException {
    return cycle(false, true)[0];
  }

  /**
   * Cuts every whole block range older than the range holding each tenant's newest sample, without merging blocks
   * (the background cycle or {@link #compact} does that). Returns blocks written.
   */
  public int flush() throws IOException {
    return cycle(true, false)[0];
  }

  /** The background cycle now; returns blocks written, cut from the head and merged by compaction together. */
  public int compact() throws IOException {
    int[] r = cycle(false, true);
    return r[0] + r[1];
  }

  /**
   * Writes a copy of every tenant's data into {@code target}, a directory that must not exist yet, laid out as the
   * tsdb's own data dir ({@code blocks/<tenant>/<block>}, docs/format/block.md): the served blocks hard-linked (blocks
   * are immutable; copied where the file system cannot link) and, with {@code withHead}, the head's chunks written as
   * blocks of the block ranges they fall in, without cutting them from the head. Holds the compaction lock, so no
   * block is merged or deleted meanwhile; samples appended during the snapshot may or may not be in it. Restoring is
   * copying {@code target/blocks} into an empty data dir. Returns the samples copied from the head.
   */
  public long snapshot(Path target, boolean withHead) throws IOException {
    synchronized (compactionLock) {
      Files.createDirectories(target.getParent());
      Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
      Files.createDirectory(tmp);
      long samples = 0;
      try {
        for (Map.Entry<Tenant, TenantState> e : tenants.entrySet()) {
          Path tenantDir = tmp.resolve("blocks").resolve(e.getKey().id());
          Files.createDirectories(tenantDir);
          for (Block b : e.getValue().blocks) {
            linkOrCopy(b.dir(), tenantDir.resolve(b.dir().getFileName()));
          }
          if (withHead) {
            samples += snapshotHead(e.getKey(), tenantDir);
          }
        }
        Files.move(tmp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException | RuntimeException ex) {
        deleteTree(tmp);
        throw ex;
      }
      return samples;
    }
  }

  private static void linkOrCopy(Path blockDir, Path to) throws IOException {
    Files.createDirectory(to);
    try (Stream<Path> files = Files.list(blockDir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        try {
          Files.createLink(to.resolve(f.getFileName()), f);
        } catch (UnsupportedOperationException | IOException e) {
          Files.copy(f, to.resolve(f.getFileName()));
        }
      }
    }
  }

  /** The tenant's head chunks as blocks of whole block ranges (head chunks never straddle a range boundary). */
  private long snapshotHead(Tenant t, Path tenantDir) throws IOException {
    TreeMap<Long, List<SeriesChunks>> byRange = new TreeMap<>();
    long samples = 0;
    for (HeadShard sh : shards) {
      sh.lock.lock();
      try {
        TenantIndex ti = sh.tenants.get(t);
        for (int r = 0; ti != null && r < ti.size(); r++) {
          MemSeries s = ti.get(r);
          if (s == null || s.isEmpty()) {
            continue;
          }
          TreeMap<Long, List<byte[]>> own = new TreeMap<>();
          for (int i = 0; i < s.chunkCount(); i++) { // the open chunk is copied, never frozen: the head keeps appending
            byte[] c = s.chunkBytes(i, ti.chunks);
            own.computeIfAbsent(Math.floorDiv(s.chunkMinT(i, ti.chunks), blockRangeMs) * blockRangeMs, k -> new ArrayList<>())
                .add(c);
            samples += io.loupe.tsdb.chunkenc.ChunkIterator.count(c);
          }
          own.forEach((start, cs) -> byRange.computeIfAbsent(start, k -> new ArrayList<>())
              .add(new SeriesChunks(s.labels, cs)));
        }
      } finally {
        sh.lock.unlock();
      }
    }
    for (Map.Entry<Long, List<SeriesChunks>> e : byRange.entrySet()) {
      List<SeriesChunks> series = e.getValue();
      series.sort((a, b) -> a.labels().compareTo(b.labels()));
      BlockWriter.write(tenantDir, t, e.getKey(), e.getKey() + blockRangeMs, series, opener);
    }
    return samples;
  }

  private int[] cycle(boolean all, boolean mergeBlocks) throws IOException {
    synchronized (compactionLock) {
      // Blocks retired by the previous cycle (compacted away or expired) have had a cycle for queries that held
      // them to finish.
      for (Block b : retired) {
        b.close();
      }
      retired = new ArrayList<>();
      int written = cut(all);
      int merged = 0;
      if (mergeBlocks) {
        for (Tenant t : List.copyOf(tenants.keySet())) {
          merged += compactBlocks(t);
        }
      }
      applyRetention();
      applySizeRetention();
      return new int[] {written, merged};
    }
  }

  private int cut(boolean all) throws IOException {
    int written = 0;
    for (Tenant t : List.copyOf(tenants.keySet())) {
      while (true) {
        long[] range = headRange(t);
        if (range[0] > range[1]) {
          break;
        }
        long start = Math.floorDiv(range[0], blockRangeMs) * blockRangeMs;
        long end = start + blockRangeMs;
        boolean due = all ? end <= Math.floorDiv(range[1], blockRangeMs) * blockRangeMs
            : range[1] - start >= blockRangeMs * 3 / 2;
        if (!due) {
          break;
        }
        if (cutRange(t, start, end)) {
          written++;
        }
      }
    }
    if (written > 0) {
      checkpointAll();
    }
    return written;
  }

  /**
   * Merges the tenant's blocks into larger ranges (opts.compactionRanges(), smallest first, windows aligned to
   * multiples of the range): a window is merged once it holds two or more blocks, all inside it, and lies wholly
   * before the head's oldest valid time, so no later cut can add a block to it. The new block is written and renamed
   * into place before the old ones are retired; a crash in between leaves both, and the next open deletes blocks whose
   * range lies inside another block's (see {@link #loadBlocks}). Returns blocks written.
   */
  private int compactBlocks(Tenant t) throws IOException {
    TenantState ts = tenants.get(t);
    int written = 0;
    for (long range : opts.compactionRanges()) {
      boolean again = true;
      while (again) {
        again = false;
        List<Block> blocks = ts.blocks;
        for (int i = 0; i < blocks.size(); ) {
          long wStart = Math.floorDiv(blocks.get(i).meta().minT(), range) * range;
          long wEnd = wStart + range;
          int j = i;
          // a block from before that reaches into the window (ranges changed between runs) keeps it as it is
          boolean inside = i == 0 || blocks.get(i - 1).meta().maxT() <= wStart;
          while (j < blocks.size() && blocks.get(j).meta().minT() < wEnd) {
            inside &= blocks.get(j).meta().maxT() <= wEnd;
            j++;
          }
          if (inside && j - i >= 2 && wEnd <= ts.minValidTime) {
            merge(t, ts, blocks.subList(i, j), wStart, wEnd);
            written++;
            again = true;
            break;
          }
          i = j;
        }
      }
    }
    return written;
  }

  private void merge(Tenant t, TenantState ts, List<Block> sources, long minT, long maxT) throws IOException {
    long t0 = System.nanoTime();
    Path tenantDir = opts.dataDir().resolve("blocks").resolve(t.id());
    Path dir = BlockWriter.write(tenantDir, t, minT, maxT, () -> new BlockMergeIterator(sources), opener);
    Block b;
    try {
      b = Block.open(dir);
    } catch (IOException e) {
      BlockWriter.deleteTree(dir); // the sources still hold everything
      throw e;
    }
    List<Block> next = new ArrayList<>(ts.blocks);
    next.removeAll(sources);
    next.add(b);
    next.sort(Comparator.comparingLong(x -> x.meta().minT()));
    ts.blocks = List.copyOf(next);
    blocksCompacted.increment();
    log.info("compacted {} blocks of tenant {} into {}: {} series, {} samples in {} ms", sources.size(), t,
        dir.getFileName(), b.meta().numSeries(), b.meta().numSamples(), (System.nanoTime() - t0) / 1_000_000);
    for (Block s : sources) {
      retire(s);
    }
  }

  /**
   * Takes a block off disk: renamed to {@code .tmp} first (atomic, and deleted at open if a crash stops the delete
   * half way), then deleted; its open chunks file stays readable (Linux) until it is closed a cycle later.
   */
  private void retire(Block b) throws IOException {
    retired.add(b);
    Path d = b.dir();
    if (Files.exists(d)) {
      Path tmp = d.resolveSibling(d.getFileName() + ".tmp");
      Files.move(d, tmp, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      deleteTree(tmp);
    }
  }

  /**
   * Deletes the oldest blocks (by end, across tenants) while blocks, WAL and head chunk files together exceed
   * opts.retentionBytes().
   */
  private void applySizeRetention() throws IOException {
    long limit = opts.retentionBytes();
    if (limit == 0) {
      return;
    }
    // the head chunk files count by the entry bytes written, not by their size: segments are sparse (docs/format)
    long total = dirSize(opts.dataDir().resolve("wal")) + (long) chunkFileBytes();
    List<Map.Entry<Tenant, Block>> all = new ArrayList<>();
    for (Map.Entry<Tenant, TenantState> e : tenants.entrySet()) {
      for (Block b : e.getValue().blocks) {
        total += b.sizeBytes();
        all.add(Map.entry(e.getKey(), b));
      }
    }
    all.sort(Comparator.comparingLong(e -> e.getValue().meta().maxT()));
    for (Map.Entry<Tenant, Block> e : all) {
      if (total <= limit) {
        break;
      }
      TenantState ts = tenants.get(e.getKey());
      Block b = e.getValue();
      List<Block> next = new ArrayList<>(ts.blocks);
      next.remove(b);
      ts.blocks = List.copyOf(next);
      log.info("size retention: deleting block {} of tenant {} ({} bytes; blocks and WAL take {} > {} bytes)",
          b.dir(), e.getKey(), b.sizeBytes(), total, limit);
      retire(b);
      blocksDeleted.increment();
      total -= b.sizeBytes();
    }
  }

  private static long dirSize(Path d) throws IOException {
    if (!Files.isDirectory(d)) {
      return 0;
    }
    long sum = 0;
    try (Stream<Path> s = Files.walk(d)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        try {
          sum += Files.size(p);
        } catch (java.nio.file.NoSuchFileException e) {
          // a segment deleted by a checkpoint meanwhile
        }
      }
    }
    return sum;
  }

  /**
   * Rewrites each shard's WAL as a checkpoint of its head (series, chunks, exemplars, metadata) and deletes the
   * segments it covers, so the WAL and replay time stay proportional to the head, not to all data ever written.
   */
  private void checkpointAll() throws IOException {
    long t0 = System.nanoTime();
    for (HeadShard sh : shards) {
      sh.checkpoint(fsyncTimer, walBytes);
    }
    // Directories of shards that no longer exist (the shard count changed): their live series were replayed into
    // current shards and are in those checkpoints now.
    Path walDir = opts.dataDir().resolve("wal");
    try (Stream<Path> s = Files.list(walDir)) {
      for (Path d : s.filter(p -> p.getFileName().toString().startsWith("shard-")).toList()) {
        int idx = Integer.parseInt(d.getFileName().toString().substring(6));
        if (idx >= shards.length) {
          log.info("deleting WAL directory {} of a former shard; its data is in the current checkpoints", d);
          deleteTree(d);
        }
      }
    }
    log.info("checkpointed the WAL of {} shards in {} ms", shards.length, (System.nanoTime() - t0) / 1_000_000);
  }

  /**
   * Deletes blocks whose end lies {@code retention} or more behind their tenant's newest sample. A deleted block's file
   * stays open until the next cycle (a minute later), so queries that already hold it finish reading it.
   */
  private void applyRetention() throws IOException {
    long keep = opts.retention().toMillis();
    if (keep == 0) {
      return;
    }
    for (Tenant t : List.copyOf(tenants.keySet())) {
      TenantState ts = tenants.get(t);
      List<Block> blocks = ts.blocks;
      if (blocks.isEmpty()) {
        continue;
      }
      long newest = Math.max(headRange(t)[1], blocks.get(blocks.size() - 1).meta().maxT() - 1);
      List<Block> kept = new ArrayList<>();
      List<Block> gone = new ArrayList<>();
      for (Block b : blocks) {
        if (b.meta().maxT() <= newest - keep) {
          log.info("retention: deleting block {} of tenant {} (ends {} ms before the newest sample)", b.dir(), t,
              newest - b.meta().maxT());
          gone.add(b);
          blocksDeleted.increment();
        } else {
          kept.add(b);
        }
      }
      if (!gone.isEmpty()) {
        ts.blocks = List.copyOf(kept);
        for (Block b : gone) {
          retire(b);
        }
      }
    }
  }

  /** Oldest and newest sample of the tenant's head (min > max when empty). */
  private long[] headRange(Tenant t) {
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (HeadShard sh : shards) {
      sh.lock.lock();
      try {
        TenantIndex ti = sh.tenants.get(t);
        if (ti == null) {
          continue;
        }
        for (int r = 0; r < ti.size(); r++) {
          MemSeries s = ti.get(r);
          if (s != null && !s.isEmpty()) {
            min = Math.min(min, s.minT);
            max = Math.max(max, s.maxT);
          }
        }
      } finally {
        sh.lock.unlock();
      }
    }
    return new long[] {min, max};
  }

  private boolean cutRange(Tenant t, long start, long end) throws IOException {
    TenantState ts = tenants.get(t);
    // From here on the head refuses samples before end, so the chunks collected below are final.
    ts.minValidTime = Math.max(ts.minValidTime, end);
    List<SeriesChunks> collected = new ArrayList<>();
    long chunks = 0;
    long samples = 0;
    for (HeadShard sh : shards) {
      sh.lock.lock();
      try {
        TenantIndex ti = sh.tenants.get(t);
        if (ti == null) {
          continue;
        }
        for (int r = 0; r < ti.size(); r++) {
          MemSeries s = ti.get(r);
          if (s == null) {
            continue;
          }
          List<byte[]> cs = new ArrayList<>();
          for (int i = 0; i < s.chunkCount(); i++) {
            if (s.chunkMaxT(i) >= end) {
              break;
            }
            if (s.chunkMinT(i, ti.chunks) >= start) {
              // read under the lock: a segment of the chunk file is unmapped as soon as nothing references it
              byte[] c = s.chunkBytes(i, ti.chunks);
              cs.add(c);
              samples += io.loupe.tsdb.chunkenc.ChunkIterator.count(c);
            }
          }
          if (!cs.isEmpty()) {
            collected.add(new SeriesChunks(s.labels, cs));
            chunks += cs.size();
          }
        }
      } finally {
        sh.lock.unlock();
      }
    }
    if (!collected.isEmpty()) {
      collected.sort((a, b) -> a.labels().compareTo(b.labels()));
      long t0 = System.nanoTime();
      Path dir = BlockWriter.write(opts.dataDir().resolve("blocks").resolve(t.id()), t, start, end, collected, opener);
      Block b = Block.open(dir);
      List<Block> next = new ArrayList<>(ts.blocks);
      next.add(b);
      next.sort(Comparator.comparingLong(x -> x.meta().minT()));
      ts.blocks = List.copyOf(next);
      blocksWritten.increment();
      log.info("cut block {} for tenant {}: {} series, {} head chunks re-encoded as {}, {} samples in {} ms",
          dir.getFileName(), t, collected.size(), chunks, b.meta().numChunks(), samples,
          (System.nanoTime() - t0) / 1_000_000);
    }
    // Only now, with the block readable, drop the chunks from the head.
    for (HeadShard sh : shards) {
      sh.lock.lock();
      try {
        TenantIndex ti = sh.tenants.get(t);
        if (ti == null) {
          continue;
        }
        for (int r = 0; r < ti.size(); r++) {
          MemSeries s = ti.get(r);
          if (s != null) {
            s.dropBefore(end, ti.chunks);
          }
        }
        collectEmpty(ti);
      } finally {
        sh.lock.unlock();
      }
    }
    return !collected.isEmpty();
  }

  /** Stops writes, fsyncs and closes every WAL. */
  @Override
  public void close() throws IOException {
    if (syncer != null) {
      // shutdown, not shutdownNow: interrupting a thread inside FileChannel.force closes the channel
      syncer.shutdown();
      try {
        syncer.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    IOException first = null;
    for (HeadShard sh : shards) {
      sh.lock.lock();
      try {
        sh.closed = true;
        if (sh.chunks != null) {
          sh.chunks.close();
        }
        if (sh.wal != null) {
          sh.wal.close();
        }
      } catch (IOException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      } finally {
        sh.lock.unlock();
      }
    }
    for (TenantState ts : tenants.values()) {
      for (Block b : ts.blocks) {
        try {
          b.close();
        } catch (IOException e) {
          if (first == null) {
            first = e;
          }
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
