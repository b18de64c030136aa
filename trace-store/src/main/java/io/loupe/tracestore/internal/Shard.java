package io.loupe.tracestore.internal;

import io.loupe.model.AppendResult;
import io.loupe.model.RejectReason;
import io.loupe.model.SpanRecord;
import io.loupe.tracestore.CorruptFileException;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One shard of the trace store: a directory of segments, one of them active. Writers serialize on the append lock
 * (limit check, encode, write); fsyncs run outside it, and one fsync covers every record written before it started, so
 * concurrent writers share them (group commit).
 *
 * <p>A full (or old) active segment is <b>rolled</b> under the append lock: its unsynced tail is forced, a new active
 * segment takes the writes, and the old one is handed to this shard's sealer thread, which flushes and commits its
 * search index and writes its {@code .idx} (seconds for a segment of 256 MiB) while writers go on. Until it is
 * sealed, lookups and searches read it as they read the active segment (its in-memory trace index, its near-real-time
 * search reader); once sealed it joins the sealed list under the append lock, so every reader sees it exactly once.
 * Sealing in line used to stop the shard's ingest for ~9 s per roll at 150k spans/s.
 */
public final class Shard {
  private static final Logger log = LoggerFactory.getLogger(Shard.class);

  /** The settings a shard needs, taken from the store options; {@code shards}: how many the store has. */
  public record Config(long segmentMaxBytes, long segmentDurationMs, int maxSpansPerTrace,
      TraceIdMap.Options traceIdMap, int shards) {}

  private final int id;
  private final Path dir;
  private final Config config;
  private final Clock clock;
  private final StoreMetrics metrics;

  /**
   * Segments rolled but not sealed yet, being sealed one after another, oldest first: more than this many and writers
   * wait (a disk slower than ingest must not pile up segments in memory).
   */
  static final int MAX_SEALING = 2;

  private final ReentrantLock appendLock = new ReentrantLock();
  private final ReentrantLock syncLock = new ReentrantLock();
  private volatile ActiveSegment active;
  // Rolled segments waiting for or in their seal, oldest first. Replaced (never changed in place) under the append
  // lock, so a reader's view under that lock is one moment's.
  private volatile List<ActiveSegment> sealing = List.of();
  private final Object sealingChanged = new Object(); // notified when a segment leaves `sealing`
  private final java.util.concurrent.ExecutorService sealer;
  private final CopyOnWriteArrayList<SealedSegment> sealed = new CopyOnWriteArrayList<>();
  private TraceIdMap traceIds;
  // 32 MiB per shard of parsed records: ~500 writes of 1,000 spans
  private final RecordCache records = new RecordCache(32L << 20);
  // Used under the append lock: its buffers and what it knows of resources carry over from write to write.
  private final SpanCodec.Encoder encoder = new SpanCodec.Encoder();
  // The traces of the segment sealed last (the per-trace limit's other segment when none is sealing), made when it is
  // sealed; null after an open, when that segment's .idx is searched for every trace instead. Under the append lock.
  private SegmentIndex.TraceFilter previousFilter;
  private long previousFilterSeq = -1;
  // When the active segment rolls. The first one after open rolls early by the shard's place, (shards - id) / shards
  // of the size and age: traces spread evenly over the shards, so with equal limits every shard rolled, and sealed,
  // at the same moment (at 150k spans/s both shards of two sealed for ~15 s, ingest fell to 60-70k spans/s meanwhile).
  // Every later segment rolls at the full limits, so the shards stay that far apart.
  private long rollBytes;
  private long rollAgeMs;
  private long nextSeq;
  private volatile long writtenSeq;
  private volatile long syncedSeq;
  private volatile boolean closed;

  private Shard(int id, Path dir, Config config, Clock clock, StoreMetrics metrics) {
    this.id = id;
    this.dir = dir;
    this.config = config;
    this.clock = clock;
    this.metrics = metrics;
    int shards = Math.max(1, config.shards());
    int place = Math.floorMod(id, shards);
    this.rollBytes = Math.max(1, config.segmentMaxBytes() / shards * (shards - place));
    this.rollAgeMs = Math.max(1, config.segmentDurationMs() / shards * (shards - place));
    this.sealer = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "loupe-tracestore-seal-" + id);
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Opens the shard in {@code dir}: re-indexes every segment without a valid index (cutting a torn tail at the last
   * good record), then starts a new active segment.
   */
  public static Shard open(int id, Path dir, Config config, Clock clock, StoreMetrics metrics) throws IOException {
    Files.createDirectories(dir);
    Shard s = new Shard(id, dir, config, clock, metrics);
    try {
      s.recover();
    } catch (IOException | RuntimeException e) {
      s.sealer.shutdown();
      throw e;
    }
    return s;
  }

  private void recover() throws IOException {
    TreeSet<Long> segments = new TreeSet<>();
    java.util.Set<Long> indexedNow = new java.util.HashSet<>(); // sealed by this recovery: maybe unknown to the map
    List<Path> indexes = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        String n = p.getFileName().toString();
        if (n.endsWith(SegmentFiles.TMP_SUFFIX)) {
          Files.deleteIfExists(p); // an index write that did not finish; the segment is re-indexed below
        } else if (n.endsWith(SegmentFiles.SEGMENT_SUFFIX) && SegmentFiles.seqOf(p) >= 0) {
          segments.add(SegmentFiles.seqOf(p));
        } else if ((n.endsWith(SegmentFiles.INDEX_SUFFIX) || n.endsWith(SegmentFiles.LUCENE_SUFFIX))
            && SegmentFiles.seqOf(p) >= 0) {
          indexes.add(p);
        }
      }
    }
    for (Path idx : indexes) {
      if (!segments.contains(SegmentFiles.seqOf(idx))) {
        log.info("{}: deleting index without segment (retention interrupted)", idx);
        SearchIndex.deleteRecursively(idx);
      }
    }
    for (long seq : segments) {
      Path seg = SegmentFiles.segment(dir, seq);
      Path idx = SegmentFiles.index(dir, seq);
      long size = Files.size(seg);
      if (Files.exists(idx)) {
        try {
          SegmentIndex si = SegmentIndex.open(idx);
          if (si.meta().segmentLength() == size) {
            SearchIndex search = SearchIndex.openSealed(SegmentFiles.lucene(dir, seq));
            if (search == null) {
              log.warn("{}: no usable search index; rebuilding it from the segment", seg);
              search = rebuildSearch(seq, seg);
            }
            sealed.add(SealedSegment.open(seq, seg, si, search));
            continue;
          }
          log.warn("{}: index says the segment has {} bytes but it has {}; re-indexing", idx,
              si.meta().segmentLength(), size);
        } catch (CorruptFileException e) {
          log.warn("{}; re-indexing the segment", e.getMessage());
        }
        metrics.corruptions.increment();
        Files.deleteIfExists(idx);
      }
      if (size < FileHeader.length(SegmentFiles.SEGMENT_FORMAT)) {
        log.warn("{} at offset 0: {} bytes, shorter than its header (torn at creation); deleting it", seg, size);
        metrics.corruptions.increment();
        Files.delete(seg);
        continue;
      }
      SegmentIndex.Builder b = new SegmentIndex.Builder();
      SearchIndex search = SearchIndex.create(SegmentFiles.lucene(dir, seq));
      SegmentScanner.Result r;
      try {
        r = SegmentScanner.scan(seg, b, (off, payload) -> index(search, payload, off));
      } catch (IOException | RuntimeException e) {
        search.delete();
        throw e;
      }
      if (r.torn()) {
        log.warn("{} at offset {}: {}; truncating the torn tail ({} of {} bytes dropped)", seg, r.goodEnd(),
            r.problem(), r.fileSize() - r.goodEnd(), r.fileSize());
        metrics.corruptions.increment();
        try (var ch = java.nio.channels.FileChannel.open(seg, java.nio.file.StandardOpenOption.WRITE)) {
          ch.truncate(r.goodEnd());
          ch.force(true);
        }
      }
      if (b.isEmpty()) {
        search.delete();
        Files.delete(seg);
        continue;
      }
      search.seal();
      b.write(idx, r.goodEnd());
      sealed.add(SealedSegment.open(seq, seg, SegmentIndex.open(idx), search));
      indexedNow.add(seq);
    }
    nextSeq = segments.isEmpty() ? 1 : segments.last() + 1;
    active = ActiveSegment.create(dir, nextSeq++, clock.millis());
    try {
      traceIds = TraceIdMap.open(dir, config.traceIdMap(), List.copyOf(sealed), active.seq(), indexedNow, metrics);
    } catch (IOException | RuntimeException e) {
      active.abandon();
      for (SealedSegment s : sealed) {
        s.close();
      }
      throw e;
    }
  }

  private SearchIndex rebuildSearch(long seq, Path seg) throws IOException {
    SearchIndex search = SearchIndex.create(SegmentFiles.lucene(dir, seq));
    try {
      SegmentScanner.scan(seg, new SegmentIndex.Builder(), (off, payload) -> index(search, payload, off));
      search.seal();
      return search;
    } catch (IOException | RuntimeException e) {
      search.delete();
      throw e;
    }
  }

  private static void index(SearchIndex search, byte[] payload, long offset) throws IOException {
    SpanCodec.Header h = SpanCodec.header(payload);
    search.addRecord(h.tenant(), SpanCodec.decode(payload, null, null), offset);
  }

  public int id() {
    return id;
  }

  /**
   * Appends the spans of {@code traces} of {@code tenant} to the active segment, refusing spans over the per-trace
   * limit into {@code result} (the batch is cut to what is accepted). Returns the write's sequence number for {@link
   * #sync}, or 0 when nothing was written.
   */
  public long append(String tenant, TraceBatch traces, AppendResult.Builder result) throws IOException {
    awaitSealingBelow(MAX_SEALING);
    appendLock.lock();
    try {
      if (closed) {
        throw new ClosedChannelException();
      }
      long now = clock.millis();
      if (!active.isEmpty() && (active.size() >= rollBytes || now - active.createdMs() >= rollAgeMs)) {
        roll(now);
      }
      // The segment before the active one: still sealing (its in-memory index counts exactly) or sealed.
      List<ActiveSegment> rolled = sealing;
      SegmentIndex.Builder unsealed = rolled.isEmpty() ? null : rolled.get(rolled.size() - 1).index();
      int unsealedTenant = unsealed == null ? -1 : unsealed.tenantIdOrMinusOne(tenant);
      SealedSegment previous = unsealed != null || sealed.isEmpty() ? null : sealed.get(sealed.size() - 1);
      if (previous != null && previous.seq() != previousFilterSeq) {
        previousFilter = null; // not the segment the filter was made for (retention, a failed seal): search its .idx
      }
      SegmentIndex.Builder index = active.index();
      int tenantId = index.tenantId(tenant);
      int tenantHash = TraceIds.tenantHash(tenant);
      boolean cut = false;
      for (int t = 0; t < traces.size(); t++) {
        List<SpanRecord> list = traces.spans(t);
        long hi = traces.hi(t);
        long lo = traces.lo(t);
        // The limit counts the trace's spans in the active segment and the one before it: the window in which
        // a live trace keeps arriving, without a lookup in every segment on the write path.
        int inActive = index.spanCountOrMinusOne(tenantId, hi, lo);
        int inPrevious;
        if (unsealed != null) {
          inPrevious = Math.max(0, unsealed.spanCountOrMinusOne(unsealedTenant, hi, lo));
        } else if (previous == null || (previousFilter != null && !previousFilter.mightContain(tenantHash, hi, lo))) {
          inPrevious = 0;
        } else {
          inPrevious = previous.index().spanCount(tenantHash, hi, lo);
        }
        int have = Math.max(0, inActive) + inPrevious;
        int room = Math.max(0, config.maxSpansPerTrace() - have);
        if (list.size() > room) {
          for (int i = room; i < list.size(); i++) {
            result.reject(RejectReason.TRACE_TOO_LARGE, "span " + list.get(i).spanId() + " of trace "
                + traces.hexId(t) + ": trace has " + have + " spans stored (expected: at most "
                + config.maxSpansPerTrace() + ")");
            metrics.rejected(RejectReason.TRACE_TOO_LARGE).increment();
          }
          traces.truncate(t, room);
          cut |= room == 0;
        }
      }
      if (cut) {
        traces.compact();
      }
      if (traces.isEmpty()) {
        return 0;
      }
      // The trace id map learns the segment's traces when it is sealed (TraceIdMap.sealed); until then lookups
      // find them in the active segment's index.
      appendLocked(tenant, now, traces);
      result.accept(traces.spanCount());
      return ++writtenSeq;
    } finally {
      appendLock.unlock();
    }
  }

  private void appendLocked(String tenant, long now, TraceBatch traces) throws IOException {
    encoder.encode(tenant, now, traces);
    if (encoder.payloadLength() > SegmentReader.MAX_RECORD_BYTES) {
      // Readers refuse records over the maximum (to tell a torn length from a real one): split the batch instead.
      List<TraceBatch> halves = traces.split();
      if (halves.size() < 2) {
        throw new io.loupe.model.InvalidInputException("one span encodes to " + encoder.payloadLength()
            + " bytes (expected: at most " + SegmentReader.MAX_RECORD_BYTES + ")");
      }
      for (TraceBatch h : halves) {
        appendLocked(tenant, now, h);
      }
      return;
    }
    SpanCodec.Header header = encoder.header();
    long offset = active.append(encoder.frame(), header);
    try {
      // the whole record: one document
      active.search().addRecord(tenant, traces.allSpans(), offset);
    } catch (IOException | RuntimeException e) {
      // The spans are durable and found by id; only search misses them until the next open rebuilds the index.
      log.warn("shard {}: indexing spans for search failed: {}", id, e.toString());
    }
  }

  /** Returns once write {@code seq} is on disk; one fsync serves every writer waiting when it starts. */
  public void sync(long seq) throws IOException {
    if (seq <= 0 || syncedSeq >= seq) {
      return;
    }
    syncLock.lock();
    try {
      if (syncedSeq >= seq) {
        return;
      }
      forceLocked();
    } finally {
      syncLock.unlock();
    }
  }

  /** Forces whatever was written (the background fsync of {@code FsyncPolicy.every}). */
  public void syncAll() throws IOException {
    syncLock.lock();
    try {
      if (syncedSeq < writtenSeq) {
        forceLocked();
      }
    } finally {
      syncLock.unlock();
    }
  }

  private void forceLocked() throws IOException {
    // Roll swaps the active segment only while holding syncLock, so `active` is stable here; every write numbered
    // up to `target` is in it or in a segment that roll already forced.
    long target = writtenSeq;
    long t0 = System.nanoTime();
    active.force();
    metrics.fsync.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
    syncedSeq = target;
  }

  /** Rolls the active segment if it is older than the segment duration; it is sealed in the background. */
  public void rollIfDue() throws IOException {
    appendLock.lock();
    try {
      long now = clock.millis();
      if (!closed && !active.isEmpty() && now - active.createdMs() >= rollAgeMs) {
        roll(now);
      }
    } finally {
      appendLock.unlock();
    }
  }

  /**
   * Rolls the active segment now if it holds anything, and returns once it and every segment rolled before it are
   * sealed and in the trace id map: the shard's files then stay as they are until the next write or maintenance
   * (a backup can copy them).
   *
   * @throws IOException if sealing the segment failed (its spans stay on disk and are indexed at the next open)
   */
  public void roll() throws IOException {
    java.util.concurrent.Future<?> sealing = null;
    appendLock.lock();
    try {
      if (!closed && !active.isEmpty()) {
        sealing = roll(clock.millis());
      }
    } finally {
      appendLock.unlock();
    }
    if (sealing == null) {
      awaitSeals();
      traceIds.awaitRecorded();
      return;
    }
    try {
      sealing.get();
      traceIds.awaitRecorded();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while segment was sealing");
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IOException("sealing a segment of shard " + id + " failed", e.getCause());
    }
  }

  /** Runs {@code r} on the sealer thread, after the seals handed over so far. For tests. */
  public void runOnSealer(Runnable r) {
    sealer.execute(r);
  }

  /** Returns once every segment rolled so far is sealed (or its seal failed). */
  public void awaitSeals() {
    try {
      sealer.submit(() -> { }).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.RejectedExecutionException e) {
      // closed: nothing is sealing any more
    }
  }

  /**
   * Under the append lock: forces what was written to the active segment, makes a new one active and hands the old
   * one to the sealer. Returns the seal's future.
   */
  private java.util.concurrent.Future<?> roll(long now) throws IOException {
    // The next segment first: if it cannot be created (disk full) the current one stays active and writable.
    ActiveSegment next = ActiveSegment.create(dir, nextSeq++, now);
    ActiveSegment old = active;
    syncLock.lock();
    try {
      // sync() forces the active segment only: the old one's writes are made durable here, before it stops being
      // active. Most are already (group commit); this is the tail since the last fsync.
      long target = writtenSeq;
      try {
        old.force();
      } catch (IOException | RuntimeException e) {
        try {
          next.discard();
        } catch (IOException e2) {
          e.addSuppressed(e2);
        }
        throw e;
      }
      syncedSeq = target;
      active = next;
      rollBytes = config.segmentMaxBytes();
      rollAgeMs = config.segmentDurationMs();
    } finally {
      syncLock.unlock();
    }
    List<ActiveSegment> s = new ArrayList<>(sealing);
    s.add(old);
    sealing = List.copyOf(s);
    return sealer.submit(() -> {
      seal(old);
      return null;
    });
  }

  /** On the sealer thread: seals {@code old} and moves it from the sealing list to the sealed one. */
  private void seal(ActiveSegment old) throws IOException {
    SealedSegment s;
    SegmentIndex.TraceFilter filter;
    long t0 = System.nanoTime();
    try {
      s = old.seal(); // forces the file, commits the search index, then writes the .idx
      filter = s == null ? null : old.index().traceFilter();
    } catch (IOException | RuntimeException e) {
      // Its records stay on disk without an index: the next open scans and seals it. Until then they are not found.
      log.error("shard {}: sealing segment {} failed; it is re-indexed at the next open", id, old.seq(), e);
      try {
        old.abandon();
        // No .idx may survive a failed seal: the next open re-indexes only segments without one, and only those it
        // re-indexes go into the trace id map below its high-water mark, which later seals move past this segment.
        Files.deleteIfExists(SegmentFiles.index(dir, old.seq()));
      } catch (IOException e2) {
        e.addSuppressed(e2);
      }
      publish(old, null, null);
      throw e;
    }
    publish(old, s, filter);
    log.debug("shard {}: sealed segment {} ({} bytes) in {} ms", id, old.seq(), old.size(),
        (System.nanoTime() - t0) / 1_000_000);
  }

  /** Replaces {@code old} in the sealing list by {@code s} in the sealed one (none when null), in one step. */
  private void publish(ActiveSegment old, SealedSegment s, SegmentIndex.TraceFilter filter) {
    appendLock.lock();
    try {
      if (s != null) {
        sealed.add(s);
        previousFilter = filter;
        previousFilterSeq = s.seq();
        // Before the lock is released: a lookup that sees the segment sealed finds it in the map or pending.
        traceIds.sealed(s.seq(), s.index());
      }
      List<ActiveSegment> rest = new ArrayList<>(sealing);
      rest.remove(old);
      sealing = List.copyOf(rest);
    } finally {
      appendLock.unlock();
    }
    synchronized (sealingChanged) {
      sealingChanged.notifyAll();
    }
  }

  /** Waits (outside the append lock) while {@code max} or more segments are waiting for their seal. */
  private void awaitSealingBelow(int max) throws IOException {
    if (sealing.size() < max) {
      return;
    }
    long t0 = System.nanoTime();
    synchronized (sealingChanged) {
      while (sealing.size() >= max && !closed) {
        try {
          sealingChanged.wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("interrupted while waiting for segments to seal");
        }
      }
    }
    metrics.sealWait.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
  }

  /** Lets the seals handed over finish, then stops the sealer thread. */
  private void stopSealer() {
    sealer.shutdown(); // not shutdownNow: an interrupt inside a FileChannel call would close the channel mid-seal
    boolean interrupted = false;
    while (true) {
      try {
        if (sealer.awaitTermination(10, TimeUnit.SECONDS)) {
          break;
        }
        log.info("shard {}: waiting for {} segments to seal", id, sealing.size());
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Spans of {@code key} in every segment of this shard, in write order. */
  public List<SpanRecord> trace(TraceKey key, byte[] traceId) {
    List<SpanRecord> out = new ArrayList<>();
    ActiveSegment a;
    long[] offs;
    List<SealedSegment> sealedNow;
    List<ActiveSegment> sealingNow;
    appendLock.lock();
    try { // one consistent view: a roll and a seal move segments between the lists under this lock
      a = active;
      offs = a.index().offsets(key);
      sealedNow = List.copyOf(sealed);
      sealingNow = sealing;
    } finally {
      appendLock.unlock();
    }
    TraceIdMap.Candidates may = traceIds.candidates(key);
    for (SealedSegment s : sealedNow) {
      if (!may.mayHold(s.seq())) {
        continue;
      }
      for (long off : s.index().offsets(key)) {
        read(s.reader(), off, key.tenant(), traceId, out);
      }
    }
    for (ActiveSegment s : sealingNow) { // no more writes: their in-memory indexes are read without the lock
      for (long off : s.index().offsets(key)) {
        read(s.reader(), off, key.tenant(), traceId, out);
      }
    }
    for (long off : offs) {
      read(a.reader(), off, key.tenant(), traceId, out);
    }
    return out;
  }

  /** The traces of {@code tenant} in the record at {@code off} of {@code r}, each with its spans in that record. */
  private List<TraceSearch.RecordTrace> recordTraces(SegmentReader r, long off, String tenant) {
    List<TraceSearch.RecordTrace> out = new ArrayList<>();
    SpanCodec.Parsed p = parsed(r, off, tenant);
    if (p != null) {
      byte[][] ids = p.header().traceIds();
      for (int i = 0; i < ids.length; i++) {
        int trace = i;
        out.add(new TraceSearch.RecordTrace(ids[i], () -> p.spansToCheck(trace)));
      }
    }
    return out;
  }

  /**
   * Spans of {@code key} in every segment of this shard as the indexes count them (no record read): at least the
   * spans {@link #trace} finds, more when a sealed index counts another tenant's trace of the same id and hash.
   */
  public int spanCount(TraceKey key) {
    int n;
    List<SealedSegment> sealedNow;
    List<ActiveSegment> sealingNow;
    appendLock.lock();
    try {
      n = Math.max(0, active.index().spanCountOrMinusOne(key));
      sealedNow = List.copyOf(sealed);
      sealingNow = sealing;
    } finally {
      appendLock.unlock();
    }
    for (ActiveSegment s : sealingNow) {
      n += s.index().spanCount(key);
    }
    TraceIdMap.Candidates may = traceIds.candidates(key);
    for (SealedSegment s : sealedNow) {
      if (may.mayHold(s.seq())) {
        n += s.index().spanCount(key);
      }
    }
    return n;
  }

  private void read(SegmentReader r, long off, String tenant, byte[] traceId, List<SpanRecord> out) {
    SpanCodec.Parsed p = parsed(r, off, tenant);
    if (p != null) {
      out.addAll(p.spans(tenant, traceId));
    }
  }

  /** The record at {@code off} of {@code r} when it is {@code tenant}'s and readable; null otherwise. */
  private SpanCodec.Parsed parsed(SegmentReader r, long off, String tenant) {
    try {
      SpanCodec.Parsed p = records.get(r, off);
      if (p == null) {
        byte[] payload = r.read(off);
        SpanCodec.Header h = SpanCodec.header(payload);
        if (!h.tenant().equals(tenant)) {
          return null; // another tenant's record with the same trace id (or a tenant hash collision)
        }
        p = SpanCodec.parse(payload);
        records.put(r, off, p);
      }
      return p.header().tenant().equals(tenant) ? p : null;
    } catch (ClosedChannelException e) {
      if (!r.isClosed()) {
        log.warn("{} at offset {}: channel closed while reading", r.path(), off);
      }
      // else: dropped by retention while this lookup ran; its spans are expired.
    } catch (CorruptFileException e) {
      metrics.corruptions.increment();
      log.warn("skipping a damaged record: {}", e.getMessage());
    } catch (IllegalStateException e) {
      metrics.corruptions.increment();
      log.warn("{} at offset {}: skipping an undecodable record: {}", r.path(), off, e.getMessage());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(r.path() + " at offset " + off + ": read failed", e);
    }
    return null;
  }

  /** The sealed segments, those rolled and sealing, and the active one, each oldest first, as one moment saw them. */
  private record View(ActiveSegment active, List<ActiveSegment> sealing, List<SealedSegment> sealed) {
    /** The segments written to by appends in this view: the sealing ones, then the active one. */
    List<ActiveSegment> open() {
      if (sealing.isEmpty()) {
        return List.of(active);
      }
      List<ActiveSegment> out = new ArrayList<>(sealing);
      out.add(active);
      return out;
    }
  }

  /** One consistent view: rolls and seals move segments between the lists under the append lock. */
  private View view() {
    appendLock.lock();
    try {
      return new View(active, sealing, List.copyOf(sealed));
    } finally {
      appendLock.unlock();
    }
  }

  /**
   * Opens, into {@code out}, a cursor over {@code q} on every segment with spans started within {@code [startNanos,
   * endNanos]}; the caller closes them.
   */
  public void cursors(String tenant, org.apache.lucene.search.Query q, long startNanos, long endNanos,
      List<SearchIndex.Cursor> out) throws IOException {
    View v = view();
    List<SealedSegment> sealedNow = v.sealed();
    for (SealedSegment s : sealedNow) {
      SegmentIndex.Meta m = s.index().meta();
      if (m.maxEndNanos() < startNanos || m.minStartNanos() > endNanos) {
        continue;
      }
      try {
        SegmentReader r = s.reader();
        out.add(s.search().cursor(q, startNanos).records(off -> recordTraces(r, off, tenant)));
      } catch (org.apache.lucene.store.AlreadyClosedException e) {
        // dropped by retention during the search
      }
    }
    for (ActiveSegment a : v.open()) {
      if (a != v.active() && !overlaps(a.index(), startNanos, endNanos)) {
        continue;
      }
      try {
        SegmentReader r = a.reader();
        // if it was sealed meanwhile, the same SearchIndex reads its commit, the same reader its records
        out.add(a.search().cursor(q, startNanos).records(off -> recordTraces(r, off, tenant)));
      } catch (org.apache.lucene.store.AlreadyClosedException e) {
        // dropped or store closed during the search
      }
    }
  }

  /**
   * The segments a pre-filter collected trace ids from: the sealed ones numbered {@code lo} to {@code hi} (none when
   * {@code lo > hi}) and those that were sealing or active, numbered {@code openLo} to {@code openHi}; {@code whole}
   * when that was every segment.
   */
  public record Reach(long lo, long hi, long openLo, long openHi, boolean whole) {
    boolean covers(long seq) {
      return (seq >= lo && seq <= hi) || (seq >= openLo && seq <= openHi);
    }
  }

  /**
   * The segments a search over {@code [startNanos, endNanos]} collects pre-filter ids from: the sealed ones {@link
   * #cursors} opens for it and those numbered between them, and the active one. Older and newer segments are left
   * out, so the cost of a pre-filter follows the time range searched, not the retention; a candidate trace with
   * spans outside them is not ruled out by it ({@link #onlyWithin}).
   */
  public Reach reach(long startNanos, long endNanos) {
    View v = view();
    List<SealedSegment> sealedNow = v.sealed();
    long lo = Long.MAX_VALUE;
    long hi = Long.MIN_VALUE;
    for (SealedSegment s : sealedNow) {
      SegmentIndex.Meta m = s.index().meta();
      if (m.maxEndNanos() >= startNanos && m.minStartNanos() <= endNanos) {
        lo = Math.min(lo, s.seq());
        hi = Math.max(hi, s.seq());
      }
    }
    boolean whole = sealedNow.isEmpty()
        || (lo == sealedNow.get(0).seq() && hi == sealedNow.get(sealedNow.size() - 1).seq());
    List<ActiveSegment> open = v.open();
    return new Reach(lo, hi, open.get(0).seq(), v.active().seq(), whole);
  }

  /**
   * Adds the trace ids of every document matching {@code q} in the segments of {@code reach} to {@code out}; false as
   * soon as they are more than {@code max}.
   */
  public boolean collectTraceIds(org.apache.lucene.search.Query q, Reach reach, int max, TraceIdFilter out)
      throws IOException {
    View v = view();
    for (SealedSegment s : v.sealed()) {
      if (!reach.covers(s.seq())) {
        continue;
      }
      try {
        if (!s.search().collectTraceIds(q, max, out, (off, o) -> addTraceIds(s.reader(), off, o))) {
          return false;
        }
      } catch (org.apache.lucene.store.AlreadyClosedException e) {
        // dropped by retention
      }
    }
    for (ActiveSegment a : v.open()) {
      if (!reach.covers(a.seq())) {
        continue; // created since the reach was taken
      }
      try {
        if (!a.search().collectTraceIds(q, max, out, (off, o) -> addTraceIds(a.reader(), off, o))) {
          return false;
        }
      } catch (org.apache.lucene.store.AlreadyClosedException e) {
        // the store is closing, or its seal failed
      }
    }
    return true;
  }

  /** The trace ids of the record at {@code off} of {@code r} into {@code out}; a damaged record is skipped, counted. */
  private void addTraceIds(SegmentReader r, long off, TraceIdFilter out) throws IOException {
    try {
      r.addTraceIds(off, out);
    } catch (ClosedChannelException e) {
      if (!r.isClosed()) {
        throw e;
      }
      // dropped by retention while this search ran; its spans are expired
    } catch (CorruptFileException e) {
      metrics.corruptions.increment();
      log.warn("skipping a damaged record: {}", e.getMessage());
    }
  }

  /**
   * Whether every span of {@code key} in this shard is in a segment of {@code reach}, as far as the trace id map and
   * the segment indexes tell: false when a segment outside it holds (or may hold) some. A segment sealed or created
   * after the collection is outside it.
   */
  public boolean onlyWithin(TraceKey key, Reach reach) {
    if (reach.whole()) {
      return true;
    }
    ActiveSegment a;
    boolean activeHolds;
    List<ActiveSegment> sealingNow;
    java.util.Iterator<SealedSegment> sealedNow; // a snapshot: no copy per candidate trace
    appendLock.lock();
    try {
      a = active;
      activeHolds = !reach.covers(a.seq()) && a.index().contains(key);
      sealingNow = sealing;
      sealedNow = sealed.iterator();
    } finally {
      appendLock.unlock();
    }
    if (activeHolds) {
      return false;
    }
    for (ActiveSegment s : sealingNow) {
      if (!reach.covers(s.seq()) && s.index().contains(key)) {
        return false;
      }
    }
    TraceIdMap.Candidates may = traceIds.candidates(key);
    while (sealedNow.hasNext()) {
      SealedSegment s = sealedNow.next();
      long seq = s.seq();
      if (!reach.covers(seq) && may.mayHold(seq) && s.index().spanCount(key) > 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Adds the attribute keys of {@code tenant} under {@code prefix} to {@code out}, from the active segment and the
   * sealed ones with spans started within {@code [startNanos, endNanos]}.
   */
  public void tagNames(String tenant, String prefix, long startNanos, long endNanos, java.util.Set<String> out)
      throws IOException {
    View v = view();
    for (SealedSegment s : v.sealed()) {
      if (!overlaps(s, startNanos, endNanos)) {
        continue;
      }
      try {
        s.search().tagNames(tenant, prefix, out);
      } catch (org.apache.lucene.store.AlreadyClosedException e) {
        // dropped by retention
      }
    }
    for (ActiveSegment a : v.open()) {
      if (a != v.active() && !overlaps(a.index(), startNanos, endNanos)) {
        continue;
      }
      try {
        a.search().tagNames(tenant, prefix, out);
      } catch (org.apache.lucene.store.AlreadyClosedException e) {
        // the store is closing, or its seal failed
      }
    }
  }

  /**
   * Adds the terms of {@code field} starting with {@code prefix} to {@code out}, from the active segment and the
   * sealed ones with spans started within {@code [startNanos, endNanos]}.
   */
  public void terms(String field, String prefix, int limit, long startNanos, long endNanos,
      java.util.Collection<String> out) throws IOException {
    View v = view();
    for (SealedSegment s : v.sealed()) {
      if (!overlaps(s, startNanos, endNanos)) {
        continue;
      }
      try {
        s.search().terms(field, prefix, limit, out);
      } catch (org.apache.lucene.store.AlreadyClosedException e) {
        // dropped by retention
      }
    }
    for (ActiveSegment a : v.open()) {
      if (a != v.active() && !overlaps(a.index(), startNanos, endNanos)) {
        continue;
      }
      try {
        a.search().terms(field, prefix, limit, out);
      } catch (org.apache.lucene.store.AlreadyClosedException e) {
        // the store is closing, or its seal failed
      }
    }
  }

  /** Whether sealed segment {@code s} holds spans started within {@code [startNanos, endNanos]}. */
  private static boolean overlaps(SealedSegment s, long startNanos, long endNanos) {
    SegmentIndex.Meta m = s.index().meta();
    return m.minStartNanos() <= endNanos && m.maxEndNanos() >= startNanos; // a span ends after it starts
  }

  /** Whether the segment of the (no longer written) index {@code b} holds spans started within the range. */
  private static boolean overlaps(SegmentIndex.Builder b, long startNanos, long endNanos) {
    return !b.isEmpty() && b.minStartNanos() <= endNanos && b.maxEndNanos() >= startNanos;
  }

  /** Sealed segments, oldest first. */
  public List<SealedSegment> sealedSegments() {
    return List.copyOf(sealed);
  }

  /** The trace id map (meters, tests). */
  public TraceIdMap traceIds() {
    return traceIds;
  }

  public int segmentCount() {
    return sealed.size() + sealing.size() + 1;
  }

  /** Segments rolled and not sealed yet. */
  public int sealingCount() {
    return sealing.size();
  }

  /** Bytes of the segments not sealed yet (the active one and those sealing) with their search indexes. */
  public long activeBytes() {
    long n = 0;
    for (ActiveSegment a : view().open()) {
      n += a.size() + SegmentFiles.sizeOf(a.search().dir());
    }
    return n;
  }

  /** Deletes {@code s} with its index, and the trace id map generations that covered only dropped segments. */
  public void drop(SealedSegment s) throws IOException {
    if (sealed.remove(s)) {
      log.info("shard {}: dropping segment {} (newest write {})", id, s.path(),
          java.time.Instant.ofEpochMilli(s.index().meta().maxWrittenMs()));
      s.delete();
      appendLock.lock();
      try {
        if (!closed) {
          List<ActiveSegment> rolled = sealing;
          long oldest = rolled.isEmpty() ? active.seq() : rolled.get(0).seq();
          traceIds.dropBefore(sealed.isEmpty() ? oldest : Math.min(oldest, sealed.get(0).seq()));
        }
      } finally {
        appendLock.unlock();
      }
    }
  }

  /** Drops sealed segments whose newest write is older than {@code cutoffMs}. */
  public int dropOlderThan(long cutoffMs) throws IOException {
    int n = 0;
    for (SealedSegment s : sealed) {
      if (s.index().meta().maxWrittenMs() < cutoffMs) {
        drop(s);
        n++;
      }
    }
    return n;
  }

  /** Waits for the segments sealing, seals the active segment and closes every file. */
  public void close() throws IOException {
    appendLock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true; // no more appends or rolls
    } finally {
      appendLock.unlock();
    }
    synchronized (sealingChanged) {
      sealingChanged.notifyAll();
    }
    stopSealer();
    appendLock.lock();
    try {
      syncLock.lock();
      try {
        SealedSegment s = active.seal();
        syncedSeq = writtenSeq;
        if (s != null) {
          s.close();
          traceIds.sealed(s.seq(), s.index());
        }
      } finally {
        syncLock.unlock();
        traceIds.close();
      }
      for (SealedSegment s : sealed) {
        s.close();
      }
    } finally {
      appendLock.unlock();
    }
  }

  /** Closes every file without sealing, as a crash would leave them. For recovery tests. */
  public void crash() throws IOException {
    appendLock.lock();
    try {
      closed = true;
    } finally {
      appendLock.unlock();
    }
    stopSealer(); // a seal in flight finishes: a crash in the middle of one is the torn-index case of recovery
    appendLock.lock();
    try {
      traceIds.abandon();
      active.abandon();
      for (SealedSegment s : sealed) {
        s.close();
      }
    } finally {
      appendLock.unlock();
    }
  }
}
