package io.loupe.tracestore.internal;

import io.loupe.tracestore.CorruptFileException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import net.openhft.chronicle.hash.impl.VanillaChronicleHash;
import net.openhft.chronicle.map.ChronicleMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The persisted trace id → segments map of one shard, in Chronicle Map: which segments may hold spans of a (tenant,
 * trace), so that a lookup reads only those segments' {@code .idx} entries instead of every segment's. A <b>hint</b>:
 * an entry may name a segment without the trace (a torn record, a key collision, a dropped segment), and when it
 * cannot tell (a trace in more than {@value #SLOTS} segments of a generation, a generation that ran out of room, a
 * segment older than the map) it answers "any segment" for that range; it never leaves out a segment holding the
 * trace. The per-segment {@code .idx} stays the authoritative locator and the source of every rebuild.
 *
 * <p>The map names sealed segments only: the active segment's traces are found in its in-memory index. When a segment
 * is sealed, its traces are put from its {@code .idx} by a background recorder; until they are in, lookups answer
 * "may hold" for it. Generations: each map file covers the segments from its first sequence number up to the next
 * generation's. A sealed segment starts a new generation when the current one has entries and would go beyond its
 * declared size with the segment's traces, covers {@code segmentsPerGeneration} segments or overflowed; the new one is
 * declared for at least twice the segment's traces. Retention deletes a generation's file when all its segments are
 * gone, so entries are never removed one by one. Durability: after a segment's entries are put its generation is
 * msynced and its high-water mark (the newest segment whose entries are all on disk) is written to {@code
 * trace-ids.meta} (tmp, fsync, rename). At open the entries of every sealed segment above its generation's mark
 * (segments a crash left active or unrecorded) are added again from the segment's {@code .idx}, so a crash, power
 * loss included, never loses an entry of a durable trace. Format in docs/format/trace-id-map.md. Lookups are
 * thread-safe.
 */
public final class TraceIdMap implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(TraceIdMap.class);
  public static final String FORMAT = "trace-id-map";
  public static final int VERSION = 1;
  public static final String META_FILE = "trace-ids.meta";
  static final String MAP_PREFIX = "trace-ids-";
  static final String MAP_SUFFIX = ".cmap";
  /** Segments remembered per trace and generation; beyond, the entry says "any segment of the generation". */
  static final int SLOTS = 4;
  private static final long ANY = -1L; // every 16-bit slot 0xFFFF
  /** Slot values are segment offsets + 1 in 16 bits, 0xFFFF reserved: the cap on segments per generation. */
  static final int MAX_SEGMENTS_PER_GENERATION = 0xFFFE;
  // Room beyond the declared entries before Chronicle refuses puts (extra tiers, slower); the generation rotates at
  // the next roll after it is half full, so this only matters within one very large segment.
  private static final double MAX_BLOAT = 4.0;

  /** Sizing of the map. */
  public record Options(long entriesPerGeneration, int segmentsPerGeneration) {
    public Options {
      if (entriesPerGeneration < 1000) {
        throw new IllegalArgumentException(
            "traceIdMapEntries: " + entriesPerGeneration + " (expected: >= 1000)");
      }
      if (segmentsPerGeneration < 1 || segmentsPerGeneration > MAX_SEGMENTS_PER_GENERATION) {
        throw new IllegalArgumentException("segmentsPerGeneration: " + segmentsPerGeneration + " (expected: 1 to "
            + MAX_SEGMENTS_PER_GENERATION + ")");
      }
    }
  }

  private static final class Generation {
    final long firstSeq;
    final long entries;
    final Path file;
    final ChronicleMap<Long, Long> map;
    volatile long highWater;
    volatile boolean overflowed;

    Generation(long firstSeq, long entries, Path file, ChronicleMap<Long, Long> map, long highWater,
        boolean overflowed) {
      this.firstSeq = firstSeq;
      this.entries = entries;
      this.file = file;
      this.map = map;
      this.highWater = highWater;
      this.overflowed = overflowed;
    }
  }

  private final Path dir;
  private final Options options;
  private final StoreMetrics metrics;
  private volatile Generation[] generations; // ascending firstSeq; replaced whole (copy on write)
  private boolean closed;
  // Sealed segments whose entries the recorder has not put yet: lookups answer "may hold" for them.
  private final Object pendingLock = new Object();
  private volatile long[] pending = new long[0];
  private final java.util.concurrent.ExecutorService recorder;

  private TraceIdMap(Path dir, Options options, StoreMetrics metrics, Generation[] generations) {
    this.dir = dir;
    this.options = options;
    this.metrics = metrics;
    this.generations = generations;
    this.recorder = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "loupe-tracestore-traceids-" + dir.getFileName());
      t.setDaemon(true);
      return t;
    });
  }

  /** {@link #open(Path, Options, List, long, java.util.Set, StoreMetrics)} with no segment indexed at this open. */
  public static TraceIdMap open(Path dir, Options options, List<SealedSegment> sealed, long activeSeq,
      StoreMetrics metrics) throws IOException {
    return open(dir, options, sealed, activeSeq, java.util.Set.of(), metrics);
  }

  /**
   * Opens the map of the shard in {@code dir}, whose sealed segments (oldest first) are {@code sealed} and whose new
   * active segment is {@code activeSeq}: drops generations of deleted segments, rebuilds lost or damaged generations,
   * and adds the entries of segments above each generation's high-water mark from their {@code .idx}, and of the
   * segments {@code indexedNow} (sealed by this open's recovery) wherever they are: a segment whose seal failed is
   * older than the mark that later seals advanced.
   */
  public static TraceIdMap open(Path dir, Options options, List<SealedSegment> sealed, long activeSeq,
      java.util.Set<Long> indexedNow, StoreMetrics metrics) throws IOException {
    Path meta = dir.resolve(META_FILE);
    List<long[]> listed = new ArrayList<>(); // firstSeq, entries, highWater, overflowed
    boolean clean = false;
    if (Files.exists(meta)) {
      try {
        clean = readMeta(meta, listed);
      } catch (CorruptFileException e) {
        log.warn("{}; rebuilding the trace id map from the segment indexes", e.getMessage());
        metrics.corruptions.increment();
        listed.clear();
      }
    }
    long oldest = sealed.isEmpty() ? activeSeq : sealed.get(0).seq();
    // Generations whose every segment is gone (the last one always stays: it receives new segments).
    while (listed.size() > 1 && listed.get(1)[0] <= oldest) {
      listed.remove(0);
    }
    if (!listed.isEmpty() && listed.get(0)[0] > oldest) {
      // Segments older than the map (a store written before it, or a lost meta file): cover them by a rebuild.
      log.info("{}: trace id map starts at segment {}, older segments from {}: rebuilding it", dir,
          listed.get(0)[0], oldest);
      listed.clear();
    }
    // Delete every map file not listed (dropped generations, a rebuild).
    List<Long> keep = new ArrayList<>();
    for (long[] g : listed) {
      keep.add(g[0]);
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, MAP_PREFIX + "*" + MAP_SUFFIX)) {
      for (Path p : ds) {
        long seq = seqOf(p);
        if (seq < 0 || !keep.contains(seq)) {
          Files.delete(p);
        }
      }
    }
    if (listed.isEmpty()) {
      listed.add(new long[] {oldest, options.entriesPerGeneration(), oldest - 1, 0});
    }
    List<Generation> gens = new ArrayList<>();
    try {
      for (long[] g : listed) {
        gens.add(openGeneration(dir, g, clean, metrics));
      }
      TraceIdMap m = new TraceIdMap(dir, options, metrics, gens.toArray(new Generation[0]));
      m.catchUp(sealed, indexedNow);
      m.writeMeta(false);
      return m;
    } catch (IOException | RuntimeException e) {
      for (Generation g : gens) {
        g.map.close();
      }
      throw e;
    }
  }

  private static Generation openGeneration(Path dir, long[] g, boolean clean, StoreMetrics metrics)
      throws IOException {
    long first = g[0];
    Path file = dir.resolve(mapName(first));
    long highWater = g[2];
    if (Files.exists(file)) {
      try {
        if (clean) {
          return new Generation(first, g[1], file, builder(first, g[1]).createPersistedTo(file.toFile()), highWater,
              g[3] != 0);
        }
        // After an unclean stop Chronicle checks and repairs its locks and entries. An entry it had to drop may have
        // named older segments too, so then the generation is rebuilt whole rather than trusted up to its mark.
        int[] damaged = {0};
        ChronicleMap<Long, Long> map = builder(first, g[1]).recoverPersistedTo(file.toFile(), true,
            corruption -> damaged[0]++);
        if (damaged[0] == 0) {
          return new Generation(first, g[1], file, map, highWater, g[3] != 0);
        }
        map.close();
        log.warn("{}: {} damaged entries after an unclean stop; rebuilding the generation", file, damaged[0]);
        metrics.corruptions.increment();
        Files.deleteIfExists(file);
      } catch (IOException | RuntimeException e) {
        log.warn("{}: unreadable trace id map ({}); rebuilding it from the segment indexes", file, e.toString());
        metrics.corruptions.increment();
        Files.deleteIfExists(file);
      }
    }
    return new Generation(first, g[1], file, builder(first, g[1]).createPersistedTo(file.toFile()), first - 1,
        false);
  }

  private static net.openhft.chronicle.map.ChronicleMapBuilder<Long, Long> builder(long first, long entries) {
    // No close-on-exit hook: Chronicle's closed the maps at SIGTERM while the node's own shutdown hook was still
    // sealing and recording into them (close then failed on a closed map, and the shards after it were never
    // sealed). close() forces and closes them itself; a process that exits without it is a crash, which open handles.
    return ChronicleMap.of(Long.class, Long.class).name("loupe-trace-ids-v1-" + first).entries(entries)
        .maxBloatFactor(MAX_BLOAT).skipCloseOnExitHook(true);
  }

  static String mapName(long firstSeq) {
    return MAP_PREFIX + String.format("%020d", firstSeq) + MAP_SUFFIX;
  }

  private static long seqOf(Path p) {
    String n = p.getFileName().toString();
    try {
      return Long.parseLong(n.substring(MAP_PREFIX.length(), n.length() - MAP_SUFFIX.length()));
    } catch (RuntimeException e) {
      return -1;
    }
  }

  /** Adds the entries of every sealed segment above its generation's high-water mark. */
  private void catchUp(List<SealedSegment> sealed, java.util.Set<Long> indexedNow) throws IOException {
    int added = 0;
    for (SealedSegment s : sealed) {
      Generation g = generationOf(generations, s.seq());
      if (g == null || (s.seq() <= g.highWater && !indexedNow.contains(s.seq()))) {
        continue;
      }
      long seq = s.seq();
      Generation into = generationFor(seq, s.index().entryCount());
      s.index().forEachTrace((hi, lo, th) -> put(into, key(th, hi, lo), seq));
      into.highWater = Math.max(into.highWater, seq);
      added++;
    }
    if (added > 0) {
      for (Generation g : generations) {
        msync(g);
      }
      log.info("{}: trace id map: added the entries of {} segments from their indexes", dir, added);
    }
  }

  /**
   * Records that sealed segment {@code seq}, whose index is {@code index}, holds its traces: called when a segment is
   * sealed, under the shard's append lock, before anything else can see the segment as sealed. The entries are put on
   * a background thread (a put into a fresh memory-mapped generation costs ~1 µs, so a segment of a million traces
   * would hold the append lock for a second); until they are all in, lookups answer "may hold" for the segment, which
   * costs them a binary search in its {@code .idx}. Entries are no longer put per write: that was ~9 µs of node CPU
   * per new trace (8.7 % of a node profile), most of it Chronicle walking the extra tiers of a generation declared for
   * 250,000 traces that one segment filled several times over. Put per sealed segment, each generation is sized for
   * what it receives.
   */
  public void sealed(long seq, SegmentIndex index) {
    synchronized (pendingLock) {
      long[] p = java.util.Arrays.copyOf(pending, pending.length + 1);
      p[pending.length] = seq;
      pending = p;
    }
    try {
      recorder.execute(() -> {
        try {
          record(seq, index);
        } catch (IOException | RuntimeException e) {
          // The entries are in (or the generation answers "any"); only the mark is missing: the next open adds this
          // segment's entries again from its index.
          log.warn("{}: recording segment {} in the trace id map failed: {}", dir, seq, e.toString());
        } finally {
          synchronized (pendingLock) {
            int i = indexOf(pending, seq);
            long[] p = new long[pending.length - 1];
            System.arraycopy(pending, 0, p, 0, i);
            System.arraycopy(pending, i + 1, p, i, p.length - i);
            pending = p;
          }
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing or crashed: the segment stays pending (answered "may hold"); the next open adds its entries
      log.debug("{}: segment {} not recorded in the trace id map: closing", dir, seq);
    }
  }

  private static int indexOf(long[] a, long v) {
    for (int i = 0; i < a.length; i++) {
      if (a[i] == v) {
        return i;
      }
    }
    return -1;
  }

  /** Puts the entries of segment {@code seq}, forces them and advances the generation's high-water mark. */
  private void record(long seq, SegmentIndex index) throws IOException {
    synchronized (this) {
      if (closed) {
        return;
      }
    }
    Generation g = generationFor(seq, index.entryCount());
    // Unsynchronized: a long loop must not hold up dropBefore (under the shard's append lock). `g` is the newest
    // generation, which nothing else drops or closes but close(), and close() waits for this task.
    long t0 = System.nanoTime();
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    long cpu0 = mx.getCurrentThreadCpuTime();
    int[] n = {0};
    index.forEachTrace((hi, lo, th) -> {
      put(g, key(th, hi, lo), seq);
      n[0]++;
    });
    synchronized (this) {
      if (closed) {
        return;
      }
      msync(g);
      g.highWater = Math.max(g.highWater, seq);
      writeMeta(false);
    }
    log.debug("{}: segment {}: {} traces put into trace id map generation {} in {} ms ({} ms CPU)", dir, seq, n[0],
        g.firstSeq, (System.nanoTime() - t0) / 1_000_000, (mx.getCurrentThreadCpuTime() - cpu0) / 1_000_000);
  }

  /**
   * The generation to receive segment {@code seq} with up to {@code traces} traces: the newest, or a new one starting
   * at {@code seq} when the newest has entries and would go beyond its declared size, covers {@code
   * segmentsPerGeneration} segments or overflowed. A new generation is declared for at least twice the segment's
   * traces, so one that a busy segment filled gets a successor its size. An older segment (a rebuild at open) goes to
   * the generation whose range holds it.
   */
  private Generation generationFor(long seq, long traces) {
    // Not synchronized: creating a map file of millions of entries takes a while, and dropBefore (under the shard's
    // append lock) must not wait for it. Only the recorder (or open, before it runs) adds generations; the new array
    // is published under the monitor, onto whatever dropBefore left.
    Generation[] gens = generations;
    Generation last = gens[gens.length - 1];
    if (seq < last.firstSeq) {
      return generationOf(gens, seq);
    }
    long used = last.overflowed ? last.entries : last.map.longSize();
    boolean full = used + traces > last.entries;
    long size = Math.max(options.entriesPerGeneration(), 2 * traces);
    if (used == 0 && full && last.highWater < last.firstSeq) {
      // Empty and too small: declare it again, larger (same first segment, no entries lost). The old map is closed
      // before its file is replaced: Chronicle shares one open file per path, so a map created while the old one is
      // open would be the old one, at its old size. Meanwhile lookups in it answer "any segment".
      last.map.close();
      Generation bigger = createGeneration(last.firstSeq, size);
      if (bigger == null) {
        bigger = new Generation(last.firstSeq, last.entries, last.file, last.map, last.highWater, true);
        metrics.traceIdMapOverflows.increment(); // no map at all: "any segment" for its range
      }
      publish(last, bigger);
      return bigger;
    }
    if (used > 0 && seq > last.firstSeq && (full || last.overflowed
        || seq - last.firstSeq >= options.segmentsPerGeneration())) {
      Generation n = createGeneration(seq, size);
      if (n == null) {
        return last;
      }
      publish(null, n); // before any entry is put into it (lookups read pending first, then the generations)
      log.debug("{}: trace id map generation {} started for {} traces ({} in the previous one)", dir, seq,
          n.entries, used);
      return n;
    }
    return last;
  }

  /** Replaces {@code replaced} by {@code g} in the generations, or appends {@code g} when {@code replaced} is null. */
  private synchronized void publish(Generation replaced, Generation g) {
    Generation[] gens = generations;
    Generation[] more;
    if (replaced == null) {
      more = java.util.Arrays.copyOf(gens, gens.length + 1);
      more[gens.length] = g;
    } else {
      more = gens.clone();
      for (int i = 0; i < more.length; i++) {
        if (more[i] == replaced) {
          more[i] = g;
        }
      }
    }
    generations = more;
  }


  /** A new empty generation file, or null (logged) when it cannot be created: the caller keeps the current one. */
  private Generation createGeneration(long firstSeq, long entries) {
    Path file = dir.resolve(mapName(firstSeq));
    try {
      Files.deleteIfExists(file);
      return new Generation(firstSeq, entries, file, builder(firstSeq, entries).createPersistedTo(file.toFile()),
          firstSeq - 1, false);
    } catch (IOException | RuntimeException e) {
      log.warn("{}: cannot create trace id map generation {} ({}); the current one receives its entries", dir,
          firstSeq, e.toString());
      return null;
    }
  }

  /** Runs {@code r} on the recorder thread, after the segments handed over so far. For tests. */
  void runOnRecorder(Runnable r) {
    recorder.execute(r);
  }

  /** Waits until every sealed segment handed to {@link #sealed} is recorded (its entries forced, the meta written). */
  public void awaitRecorded() {
    try {
      recorder.submit(() -> { }).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.RejectedExecutionException e) {
      // closed
    }
  }

  private void put(Generation g, long k, long seq) {
    if (g.overflowed) {
      return;
    }
    try {
      // One map operation for a trace the generation has not seen (most writes), instead of a get and a put.
      long first = withSegment(0, seq - g.firstSeq);
      Long v = g.map.putIfAbsent(k, first);
      if (v != null) {
        long nv = withSegment(v, seq - g.firstSeq);
        if (nv != v) {
          g.map.put(k, nv);
        }
      }
    } catch (RuntimeException e) {
      // Full beyond its bloat factor (Chronicle refuses to add tiers): from now on the generation answers "any
      // segment", which costs lookups a binary search per segment, as without the map. It rotates at the next roll.
      g.overflowed = true;
      metrics.traceIdMapOverflows.increment();
      log.warn("{}: trace id map generation {} is full ({} entries declared): lookups in its segments check every "
          + "segment until it is dropped ({})", dir, g.firstSeq, g.entries, e.toString());
    }
  }

  /** {@code v} with segment offset {@code delta} in a free slot; {@link #ANY} when there is none. */
  static long withSegment(long v, long delta) {
    if (v == ANY) {
      return ANY;
    }
    long tag = delta + 1;
    if (delta < 0 || tag >= 0xFFFF) {
      return ANY;
    }
    for (int i = 0; i < SLOTS; i++) {
      long slot = (v >>> (16 * i)) & 0xFFFF;
      if (slot == tag) {
        return v;
      }
      if (slot == 0) {
        return v | (tag << (16 * i));
      }
    }
    return ANY;
  }

  /** Which segments may hold a trace: answered per segment sequence number. */
  public interface Candidates {
    boolean mayHold(long seq);
  }

  private static final Candidates ALL = seq -> true;

  /** The segments that may hold {@code key}. */
  public Candidates candidates(TraceKey key) {
    long[] waiting = pending; // before the generations: a segment leaves `pending` only after its generation is in
    Generation[] gens = generations;
    long k = key(TraceIds.tenantHash(key.tenant()), key.hi(), key.lo());
    long first = gens[0].firstSeq;
    long[] seqs = new long[SLOTS * 2];
    int n = 0;
    List<long[]> ranges = null; // [from, to) answered "any"
    for (int i = 0; i < gens.length; i++) {
      Generation g = gens[i];
      long end = i + 1 < gens.length ? gens[i + 1].firstSeq : Long.MAX_VALUE;
      Long v;
      try {
        v = g.overflowed ? Long.valueOf(ANY) : g.map.get(k);
      } catch (RuntimeException e) {
        v = ANY; // closed under us by retention or close: be safe
      }
      if (v == null) {
        continue;
      }
      if (v == ANY) {
        if (ranges == null) {
          ranges = new ArrayList<>();
        }
        ranges.add(new long[] {g.firstSeq, end});
        continue;
      }
      for (int s = 0; s < SLOTS; s++) {
        long slot = (v >>> (16 * s)) & 0xFFFF;
        if (slot != 0) {
          if (n == seqs.length) {
            seqs = java.util.Arrays.copyOf(seqs, n * 2);
          }
          seqs[n++] = g.firstSeq + slot - 1;
        }
      }
    }
    if (n == 0 && ranges == null && waiting.length == 0) {
      return seq -> seq < first;
    }
    long[] found = java.util.Arrays.copyOf(seqs, n);
    List<long[]> any = ranges == null ? List.of() : ranges;
    return seq -> {
      if (seq < first) {
        return true;
      }
      for (long p : waiting) {
        if (p == seq) {
          return true;
        }
      }
      for (long s : found) {
        if (s == seq) {
          return true;
        }
      }
      for (long[] r : any) {
        if (seq >= r[0] && seq < r[1]) {
          return true;
        }
      }
      return false;
    };
  }

  /** Deletes generations whose every segment is older than {@code oldestSeq}. Under the shard's append lock. */
  public synchronized void dropBefore(long oldestSeq) throws IOException {
    Generation[] gens = generations;
    int drop = 0;
    while (drop + 1 < gens.length && gens[drop + 1].firstSeq <= oldestSeq) {
      drop++;
    }
    if (drop == 0) {
      return;
    }
    generations = java.util.Arrays.copyOfRange(gens, drop, gens.length);
    writeMeta(false); // before the files go: a crash in between leaves files that open deletes
    for (int i = 0; i < drop; i++) {
      gens[i].map.close();
      Files.deleteIfExists(gens[i].file);
      log.debug("{}: dropped trace id map generation {}", dir, gens[i].firstSeq);
    }
  }

  /** Entries of every generation (for meters and tests). */
  public long size() {
    long n = 0;
    for (Generation g : generations) {
      try {
        n += g.map.longSize();
      } catch (RuntimeException e) {
        // closed meanwhile
      }
    }
    return n;
  }

  /** Number of map files. */
  public int generationCount() {
    return generations.length;
  }

  /** Forces every generation, records a clean stop and closes. */
  @Override
  public void close() throws IOException {
    recorder.shutdown(); // the segments sealed so far are recorded first: a clean close leaves nothing to catch up
    try {
      if (!recorder.awaitTermination(5, java.util.concurrent.TimeUnit.MINUTES)) {
        log.warn("{}: trace id map recorder still busy after 5 minutes; closing without it", dir);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeMaps();
  }

  private synchronized void closeMaps() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      for (Generation g : generations) {
        msync(g);
      }
      writeMeta(true);
    } finally {
      for (Generation g : generations) {
        g.map.close();
      }
    }
  }

  /** Closes without forcing or recording anything: what a crash leaves. For recovery tests. */
  public void abandon() {
    recorder.shutdownNow();
    try {
      recorder.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closed = true;
    for (Generation g : generations) {
      g.map.close();
    }
  }

  private static Generation generationOf(Generation[] gens, long seq) {
    for (int i = gens.length - 1; i >= 0; i--) {
      if (gens[i].firstSeq <= seq) {
        return gens[i];
      }
    }
    return null;
  }

  private static void msync(Generation g) {
    // Chronicle Map has no public force: its mapped store does (VanillaChronicleHash.msync), and the high-water
    // mark written after it is what makes skipping a segment's rebuild at open safe after a power loss.
    if (g.map instanceof VanillaChronicleHash<?, ?, ?, ?> h) {
      h.msync();
    }
  }

  /** 64-bit key of (tenant hash, trace id): a collision only adds a segment to check. */
  static long key(int tenantHash, long hi, long lo) {
    long h = hi * 0x9E3779B97F4A7C15L + lo;
    h ^= (tenantHash & 0xFFFFFFFFL) * 0xC2B2AE3D27D4EB4FL;
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }

  private static final int GEN_BYTES = 8 + 8 + 8 + 1;

  private synchronized void writeMeta(boolean clean) throws IOException {
    Generation[] gens = generations;
    byte[] h = FileHeader.encode(FORMAT, VERSION);
    ByteBuffer b = ByteBuffer.allocate(h.length + 1 + 4 + gens.length * GEN_BYTES + 4);
    b.put(h).put((byte) (clean ? 1 : 0)).putInt(gens.length);
    for (Generation g : gens) {
      b.putLong(g.firstSeq).putLong(g.entries).putLong(g.highWater).put((byte) (g.overflowed ? 1 : 0));
    }
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, b.position());
    b.putInt((int) crc.getValue());
    b.flip();
    SegmentFiles.writeAtomically(dir.resolve(META_FILE), b);
  }

  /** Reads the meta file into {@code out}; returns whether the map was closed cleanly. */
  private static boolean readMeta(Path meta, List<long[]> out) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(meta));
    FileHeader.check(b, meta, FORMAT, VERSION);
    int start = b.position();
    if (b.remaining() < 1 + 4 + 4) {
      throw new CorruptFileException(meta, start, "truncated (" + b.remaining() + " bytes after the header)");
    }
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, b.limit() - 4);
    int stored = b.getInt(b.limit() - 4);
    if ((int) crc.getValue() != stored) {
      throw new CorruptFileException(meta, b.limit() - 4,
          String.format("checksum 0x%08x (expected: 0x%08x)", stored, (int) crc.getValue()));
    }
    boolean clean = b.get() == 1;
    int n = b.getInt();
    if (n < 0 || b.remaining() != n * GEN_BYTES + 4) {
      throw new CorruptFileException(meta, start + 1, "generation count " + n + " does not match the file size");
    }
    for (int i = 0; i < n; i++) {
      out.add(new long[] {b.getLong(), b.getLong(), b.getLong(), b.get()});
    }
    return clean;
  }
}
