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
 * <p>Generations: each map file covers the segments from its first sequence number up to the next generation's. A new
 * generation starts at a segment roll once the current one is half full or covers {@code segmentsPerGeneration}
 * segments; retention deletes a generation's file when all its segments are gone, so entries are never removed one by
 * one. Durability: entries are written at append time and not forced; when a segment is sealed its generation is
 * msynced and its high-water mark (the newest segment whose entries are all on disk) is written to {@code
 * trace-ids.meta} (tmp, fsync, rename). At open the entries of every sealed segment above its generation's mark are
 * added again from the segment's {@code .idx}, so a crash, power loss included, never loses an entry of a durable
 * trace. Format in docs/format/trace-id-map.md. Writes happen under the shard's append lock; lookups are thread-safe.
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

  private TraceIdMap(Path dir, Options options, StoreMetrics metrics, Generation[] generations) {
    this.dir = dir;
    this.options = options;
    this.metrics = metrics;
    this.generations = generations;
  }

  /**
   * Opens the map of the shard in {@code dir}, whose sealed segments (oldest first) are {@code sealed} and whose new
   * active segment is {@code activeSeq}: drops generations of deleted segments, rebuilds lost or damaged generations,
   * and adds the entries of segments above each generation's high-water mark from their {@code .idx}.
   */
  public static TraceIdMap open(Path dir, Options options, List<SealedSegment> sealed, long activeSeq,
      StoreMetrics metrics) throws IOException {
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
      m.catchUp(sealed);
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
    return ChronicleMap.of(Long.class, Long.class).name("loupe-trace-ids-v1-" + first).entries(entries)
        .maxBloatFactor(MAX_BLOAT);
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
  private void catchUp(List<SealedSegment> sealed) throws IOException {
    int added = 0;
    for (SealedSegment s : sealed) {
      Generation g = generationOf(generations, s.seq());
      if (g == null || s.seq() <= g.highWater) {
        continue;
      }
      long seq = s.seq();
      s.index().forEachTrace((hi, lo, th) -> put(g, key(th, hi, lo), seq));
      g.highWater = seq;
      added++;
    }
    if (added > 0) {
      for (Generation g : generations) {
        msync(g);
      }
      log.info("{}: trace id map: added the entries of {} segments from their indexes", dir, added);
    }
  }

  /** Notes that spans of {@code key} are in segment {@code seq} (the active one). Under the shard's append lock. */
  public void add(TraceKey key, long seq) {
    Generation[] gens = generations;
    Generation g = gens[gens.length - 1];
    put(g, key(TraceIds.tenantHash(key.tenant()), key.hi(), key.lo()), seq);
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
    if (n == 0 && ranges == null) {
      return seq -> seq < first;
    }
    long[] found = java.util.Arrays.copyOf(seqs, n);
    List<long[]> any = ranges == null ? List.of() : ranges;
    return seq -> {
      if (seq < first) {
        return true;
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

  /**
   * After segment {@code seq} was sealed: forces its generation and records the high-water mark; starts a new
   * generation at {@code nextSeq} (the new active segment; negative: none, the shard is closing) when the current one
   * is half full, covers {@code segmentsPerGeneration} segments or overflowed. Under the shard's append lock.
   */
  public synchronized void sealed(long seq, long nextSeq) throws IOException {
    Generation[] gens = generations;
    Generation g = generationOf(gens, seq);
    if (g == null) {
      return;
    }
    msync(g);
    g.highWater = Math.max(g.highWater, seq);
    Generation last = gens[gens.length - 1];
    if (nextSeq > 0 && g == last && (g.overflowed || g.map.longSize() * 2 >= g.entries
        || nextSeq - g.firstSeq >= options.segmentsPerGeneration())) {
      Path file = dir.resolve(mapName(nextSeq));
      Files.deleteIfExists(file);
      Generation n = new Generation(nextSeq, options.entriesPerGeneration(), file,
          builder(nextSeq, options.entriesPerGeneration()).createPersistedTo(file.toFile()), nextSeq - 1, false);
      Generation[] more = java.util.Arrays.copyOf(gens, gens.length + 1);
      more[gens.length] = n;
      generations = more;
      log.debug("{}: trace id map generation {} started ({} entries in the previous one)", dir, nextSeq,
          g.map.longSize());
    }
    writeMeta(false);
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
  public synchronized void close() throws IOException {
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
