package io.loupe.tsdb.head;

import io.loupe.model.AppendResult;
import io.loupe.model.Exemplar;
import io.loupe.model.Labels;
import io.loupe.model.MetricMetadata;
import io.loupe.model.RejectReason;
import io.loupe.model.StorageUnavailableException;
import io.loupe.model.Tenant;
import io.loupe.tsdb.record.RecordEncoder;
import io.loupe.tsdb.wlog.SegmentedLog;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One shard of the head: its tenants' series and postings, and its own WAL. Every access holds {@link #lock}; shards
 * never share a lock, so commits on different shards do not contend.
 */
final class HeadShard {
  final int index;
  final ReentrantLock lock = new ReentrantLock();
  final HashMap<Tenant, TenantIndex> tenants = new HashMap<>();
  private final Head head;
  private final RecordEncoder encoder = new RecordEncoder();
  SegmentedLog wal; // null until replay is done
  HeadChunks chunks; // frozen chunks off the heap; null when disabled
  java.nio.file.Path walDir;
  boolean closed;

  HeadShard(int index, Head head) {
    this.index = index;
    this.head = head;
  }

  TenantIndex tenant(Tenant t) {
    return tenants.computeIfAbsent(t, k -> new TenantIndex(k, head.exemplarCapacityPerShard(), chunks));
  }

  // Scratch of commit(), reused across commits under the lock so a batch allocates nothing per point: per point its
  // slot (one slot per distinct series of the batch), per slot the series, its labels and its verdicts.
  private int stamp;
  private int[] pSlot = new int[0];
  private int[] eSlot = new int[0];
  private int[] start = new int[1];
  private int[] order = new int[0];
  private byte[] verdict = new byte[0];
  private RejectReason[] why = new RejectReason[0];
  private MemSeries[] slotSeries = new MemSeries[0];
  private Labels[] slotLabels = new Labels[0];
  private boolean[] needsNew = new boolean[0];
  private boolean[] overLimit = new boolean[0];
  private long[] newIds = new long[0];
  private int usedSlots; // slots filled by the commit in progress

  /**
   * Validates, logs and applies this shard's part of a batch. Returns the WAL position to fsync up to, or -1 when
   * nothing was written.
   *
   * @param pts indexes into the batch's sample arrays: those in {@code [pFrom, pTo)} are this shard's
   * @param exs indexes into the batch's exemplar lists: those in {@code [eFrom, eTo)} are this shard's
   */
  long commit(Tenant tenant, HeadAppender.Batch b, int[] pts, int pFrom, int pTo, int[] exs, int eFrom, int eTo,
      List<MetricMetadata> metas, AppendResult.Builder rb, long[] rejectedByReason) {
    lock.lock();
    try {
      if (closed || wal == null) {
        throw new StorageUnavailableException("tsdb is closed");
      }
      int np = pTo - pFrom;
      int ne = eTo - eFrom;
      try {
        return commitLocked(tenant, b, pts, pFrom, np, exs, eFrom, ne, metas, rb, rejectedByReason);
      } finally {
        // drop references to this batch's labels and series, so scratch keeps no garbage alive
        Arrays.fill(slotSeries, 0, usedSlots, null);
        Arrays.fill(slotLabels, 0, usedSlots, null);
      }
    } finally {
      lock.unlock();
    }
  }

  private void ensureScratch(int np, int ne) {
    int slots = np + ne;
    if (pSlot.length < np) {
      int n = Math.max(np, pSlot.length * 2);
      pSlot = new int[n];
      order = new int[n];
      verdict = new byte[n];
      why = new RejectReason[n];
    }
    if (eSlot.length < ne) {
      eSlot = new int[Math.max(ne, eSlot.length * 2)];
    }
    if (slotSeries.length < slots) {
      int n = Math.max(slots, slotSeries.length * 2);
      slotSeries = new MemSeries[n];
      slotLabels = new Labels[n];
      needsNew = new boolean[n];
      overLimit = new boolean[n];
      newIds = new long[n];
      start = new int[n + 1];
    }
  }

  /** A fresh commit stamp; series carrying an older one are not in this commit yet. */
  private int nextStamp() {
    if (++stamp == Integer.MAX_VALUE) {
      // once in 2^31 commits: forget every series' stamp, so an old one can never be taken for the current one
      for (TenantIndex ti : tenants.values()) {
        for (int r = 0; r < ti.size(); r++) {
          MemSeries s = ti.get(r);
          if (s != null) {
            s.commitStamp = 0;
          }
        }
      }
      stamp = 1;
    }
    return stamp;
  }

  // commitLocked runs its phases one method each, and keeps no loop of its own. As one method of seven phases it was
  // ~82 kB of C2 code at 0.9-1.9 s of compiler CPU per compilation, and a node that commits span metrics every few
  // seconds (rare calls, long loops) recompiled it 11 times in 3 minutes (OSR at one loop after another, and
  // deoptimizations that threw all seven phases away): ~3.7 % of the node's CPU. A phase per method compiles in a
  // fraction of that, its loops become normal compilations sooner, and a deoptimization discards only that phase.
  // HeadCommitJitMain (3,000 samples every 200 ms for 60 s), 4 runs alternating: one method, 6-12 C2 compilations of
  // 0.7-3 s each, C2 threads 9.6-15.1 s CPU; split, 19-24 compilations of the phases, 0.9-1.1 s in all, C2 threads
  // 3.2-3.6 s CPU; commit thread CPU per sample in the second half 1,176-1,283 ns before, 963-1,080 ns after.
  private long commitLocked(Tenant tenant, HeadAppender.Batch b, int[] pts, int pFrom, int np, int[] exs, int eFrom,
      int ne, List<MetricMetadata> metas, AppendResult.Builder rb, long[] rejectedByReason) {
    TenantIndex ti = tenant(tenant);
    ensureScratch(np, ne);
    int nSlots = resolveSlots(ti, b, pts, pFrom, np, exs, eFrom, ne);
    groupByTime(b, pts, pFrom, np, nSlots);
    boolean wantsNew = validateSamples(tenant, ti, b, nSlots);
    byte[] exVerdict = ne > 0 ? new byte[ne] : null;
    if (ne > 0) {
      wantsNew |= validateExemplars(ti, b, exs, eFrom, ne, nSlots, exVerdict);
    }
    int reserved = reserveNewSeries(tenant, nSlots, wantsNew);
    RecordEncoder enc = encoder.reset();
    encodeSamples(enc, tenant, b, nSlots, reserved);
    encodeExemplars(enc, b, exs, eFrom, ne, exVerdict);
    List<MetricMetadata> newMeta = encodeMetadata(enc, tenant, metas);
    enc.finish();
    long pos = writeWal(enc, tenant, reserved);
    // Nothing below can fail on valid input.
    addNewSeries(ti, nSlots, reserved);
    rb.accept(applySamples(ti, b, nSlots, rb, rejectedByReason));
    applyExemplars(ti, b, exs, eFrom, ne, exVerdict, rb, rejectedByReason);
    putMetadata(tenant, newMeta);
    return pos;
  }

  /**
   * Phase 1: resolves each distinct series of the batch once, filling {@link #pSlot} and {@link #eSlot} with each
   * point's slot and {@link #slotSeries} (null for a series not in the head) and {@link #slotLabels} per slot. Returns
   * the number of slots.
   */
  private int resolveSlots(TenantIndex ti, HeadAppender.Batch b, int[] pts, int pFrom, int np, int[] exs, int eFrom,
      int ne) {
    // A series found in the head remembers its slot under this commit's stamp; labels not in the head (new series) go
    // through a map of their own.
    int st = nextStamp();
    int nSlots = 0;
    usedSlots = 0;
    HashMap<Labels, Integer> newSlots = null;
    for (int i = 0; i < np + ne; i++) {
      Labels l = i < np ? b.labels[pts[pFrom + i]] : b.exLabels.get(exs[eFrom + i - np]);
      MemSeries s = ti.byLabels.get(l);
      int slot;
      if (s != null) {
        if (s.commitStamp == st) {
          slot = s.commitSlot;
        } else {
          slot = nSlots++;
          usedSlots = nSlots;
          s.commitStamp = st;
          s.commitSlot = slot;
          slotSeries[slot] = s;
          slotLabels[slot] = l;
        }
      } else {
        if (newSlots == null) {
          newSlots = new HashMap<>();
        }
        Integer o = newSlots.get(l);
        if (o == null) {
          slot = nSlots++;
          usedSlots = nSlots;
          newSlots.put(l, slot);
          slotSeries[slot] = null;
          slotLabels[slot] = l;
        } else {
          slot = o;
        }
      }
      if (i < np) {
        pSlot[i] = slot;
      } else {
        eSlot[i - np] = slot;
      }
    }
    return nSlots;
  }

  /**
   * Phase 2: groups points by series in {@link #order} (group {@code g} is {@code [start[g], start[g + 1])}), then
   * orders each group by time (stable), so in-batch duplicates are adjacent.
   */
  private void groupByTime(HeadAppender.Batch b, int[] pts, int pFrom, int np, int nSlots) {
    int[] start = this.start;
    Arrays.fill(start, 0, nSlots + 1, 0);
    for (int i = 0; i < np; i++) {
      start[pSlot[i] + 1]++;
    }
    for (int g = 0; g < nSlots; g++) {
      start[g + 1] += start[g];
    }
    int[] order = this.order;
    // start[g] doubles as the fill cursor of group g; shifted back below
    for (int i = 0; i < np; i++) {
      order[start[pSlot[i]]++] = pts[pFrom + i];
    }
    for (int g = nSlots; g > 0; g--) {
      start[g] = start[g - 1];
    }
    start[0] = 0;
    for (int g = 0; g < nSlots; g++) {
      for (int i = start[g] + 1; i < start[g + 1]; i++) {
        int x = order[i];
        long tx = b.ts[x];
        int j = i - 1;
        while (j >= start[g] && b.ts[order[j]] > tx) {
          order[j + 1] = order[j];
          j--;
        }
        order[j + 1] = x;
      }
    }
  }

  /**
   * Phase 3: validates samples into {@link #verdict} and {@link #why}, and marks in {@link #needsNew} the slots of new
   * series that get a sample. Returns whether it marked any.
   */
  private boolean validateSamples(Tenant tenant, TenantIndex ti, HeadAppender.Batch b, int nSlots) {
    long window = head.outOfOrderWindowMs();
    long minValid = head.minValidTime(tenant);
    int[] start = this.start;
    int[] order = this.order;
    byte[] verdict = this.verdict; // by position in order: 0 rejected, 1 write, 2 no-op
    RejectReason[] why = this.why;
    boolean[] needsNew = this.needsNew;
    Arrays.fill(needsNew, 0, nSlots, false);
    boolean wantsNew = false;
    for (int g = 0; g < nSlots; g++) {
      MemSeries s = slotSeries[g];
      // As in Prometheus, each sample is judged against the head as it was before this batch: a batch may carry
      // hours of one series (a backfill, a catching-up client) and must not be cut by its own newest sample.
      long oldestOk = minValid;
      if (s != null && s.maxT != Long.MIN_VALUE) { // has chunks; read without loading any chunk
        oldestOk = Math.max(oldestOk, s.maxT - window);
      }
      long lastT = Long.MIN_VALUE;
      long lastBits = 0;
      boolean any = false;
      for (int k = start[g]; k < start[g + 1]; k++) {
        int x = order[k];
        long t = b.ts[x];
        long bits = Double.doubleToRawLongBits(b.values[x]);
        verdict[k] = 0;
        if (t < oldestOk) {
          // with out-of-order ingestion off, a late sample inside the head is "out of order", not "too old"
          why[k] = window == 0 && t >= minValid ? RejectReason.OUT_OF_ORDER : RejectReason.TOO_OLD;
        } else if (any && t == lastT) {
          if (bits == lastBits) {
            verdict[k] = 2;
          } else {
            why[k] = RejectReason.DUPLICATE_TIMESTAMP;
          }
        } else {
          int found = s == null ? MemSeries.ABSENT : s.lookup(t, bits, ti.chunks);
          if (found == MemSeries.SAME) {
            verdict[k] = 2;
          } else if (found == MemSeries.DIFFERENT) {
            why[k] = RejectReason.DUPLICATE_TIMESTAMP;
          } else {
            verdict[k] = 1;
            lastT = t;
            lastBits = bits;
            any = true;
          }
        }
      }
      if (s == null && any) {
        needsNew[g] = true;
        wantsNew = true;
      }
    }
    return wantsNew;
  }

  /**
   * Phase 4: validates exemplars into {@code exVerdict} (0 rejected, 1 write, 2 no-op), as Prometheus does: per series
   * in time order; an exact repeat of the last one is a no-op. Marks in {@link #needsNew} the slots of new series that
   * get an exemplar, and returns whether it marked any.
   */
  private boolean validateExemplars(TenantIndex ti, HeadAppender.Batch b, int[] exs, int eFrom, int ne, int nSlots,
      byte[] exVerdict) {
    boolean[] needsNew = this.needsNew;
    boolean wantsNew = false;
    long[] lastExT = new long[nSlots];
    Exemplar[] lastEx = new Exemplar[nSlots];
    for (int g = 0; g < nSlots; g++) {
      MemSeries s = slotSeries[g];
      lastExT[g] = s == null ? Long.MIN_VALUE : s.lastExemplarTs();
      lastEx[g] = s == null ? null : s.lastExemplar;
    }
    for (int i = 0; i < ne; i++) {
      Exemplar e = b.exemplars.get(exs[eFrom + i]);
      int g = eSlot[i];
      if (ti.exemplars == null) {
        exVerdict[i] = 2; // exemplars disabled: dropped silently, as Prometheus does with max_exemplars 0
      } else if (e.labels().charLength() > Exemplar.MAX_LABELS_RUNES) {
        exVerdict[i] = 0;
      } else if (e.equals(lastEx[g])) {
        exVerdict[i] = 2;
      } else if (e.timestampMs() < lastExT[g]) {
        exVerdict[i] = 0;
      } else {
        exVerdict[i] = 1;
        lastExT[g] = e.timestampMs();
        lastEx[g] = e;
        if (slotSeries[g] == null) {
          needsNew[g] = true;
          wantsNew = true;
        }
      }
    }
    return wantsNew;
  }

  /**
   * Phase 5: reserves the series marked in {@link #needsNew} against the tenant limit, giving each an id in
   * {@link #newIds}; those over the limit move to {@link #overLimit}. Returns how many were reserved.
   */
  private int reserveNewSeries(Tenant tenant, int nSlots, boolean wantsNew) {
    long[] newIds = this.newIds;
    boolean[] needsNew = this.needsNew;
    boolean[] overLimit = this.overLimit;
    Arrays.fill(overLimit, 0, nSlots, false);
    int reserved = 0;
    if (wantsNew) {
      for (int g = 0; g < nSlots; g++) {
        if (needsNew[g]) {
          if (head.tryReserveSeries(tenant)) {
            newIds[g] = head.nextSeriesId();
            reserved++;
          } else {
            needsNew[g] = false;
            overLimit[g] = true;
          }
        }
      }
    }
    return reserved;
  }

  // Phase 6 encodes one WAL batch: new series first, then samples, exemplars, metadata.

  /** Encodes the new series, then the samples to write. */
  private void encodeSamples(RecordEncoder enc, Tenant tenant, HeadAppender.Batch b, int nSlots, int reserved) {
    int[] start = this.start;
    int[] order = this.order;
    byte[] verdict = this.verdict;
    boolean[] needsNew = this.needsNew;
    boolean[] overLimit = this.overLimit;
    long[] newIds = this.newIds;
    if (reserved > 0) {
      for (int g = 0; g < nSlots; g++) {
        if (needsNew[g]) {
          enc.series(tenant.id(), newIds[g], slotLabels[g]);
        }
      }
    }
    for (int g = 0; g < nSlots; g++) {
      if (overLimit[g]) {
        continue;
      }
      MemSeries s = slotSeries[g];
      long id = s != null ? s.id : newIds[g];
      for (int k = start[g]; k < start[g + 1]; k++) {
        if (verdict[k] == 1) {
          int x = order[k];
          enc.sample(id, b.ts[x], b.values[x]);
        }
      }
    }
  }

  /** Encodes the exemplars to write. */
  private void encodeExemplars(RecordEncoder enc, HeadAppender.Batch b, int[] exs, int eFrom, int ne,
      byte[] exVerdict) {
    boolean[] overLimit = this.overLimit;
    for (int i = 0; i < ne; i++) {
      int g = eSlot[i];
      if (exVerdict[i] == 1 && !overLimit[g]) {
        MemSeries s = slotSeries[g];
        enc.exemplar(s != null ? s.id : newIds[g], b.exemplars.get(exs[eFrom + i]));
      }
    }
  }

  /** Encodes the metadata the head does not have yet, and returns it (once each) for {@link #putMetadata}. */
  private List<MetricMetadata> encodeMetadata(RecordEncoder enc, Tenant tenant, List<MetricMetadata> metas) {
    List<MetricMetadata> newMeta = List.of();
    for (MetricMetadata m : metas) {
      if (!m.equals(head.metadata(tenant, m.metricFamily())) && !newMeta.contains(m)) {
        if (newMeta.isEmpty()) {
          newMeta = new ArrayList<>();
        }
        newMeta.add(m);
        enc.metadata(tenant.id(), m);
      }
    }
    return newMeta;
  }

  /** Appends the finished batch to the WAL. Returns its position, or -1 when the batch is empty. */
  private long writeWal(RecordEncoder enc, Tenant tenant, int reserved) {
    long pos = -1;
    if (!enc.isEmpty()) {
      try {
        pos = wal.append(enc.buffer(), 0, enc.length());
      } catch (IOException e) {
        head.releaseSeries(tenant, reserved);
        throw new StorageUnavailableException("WAL write failed, nothing of this batch was applied: "
            + e.getMessage(), e);
      }
    }
    return pos;
  }

  // Phase 7 applies the batch to the head.

  /** Adds the reserved new series to the head, filling their slots in {@link #slotSeries}. */
  private void addNewSeries(TenantIndex ti, int nSlots, int reserved) {
    if (reserved > 0) {
      boolean[] needsNew = this.needsNew;
      for (int g = 0; g < nSlots; g++) {
        if (needsNew[g]) {
          slotSeries[g] = ti.add(newIds[g], slotLabels[g]);
        }
      }
    }
  }

  /** Appends the samples to write to their series and reports the rejected ones. Returns how many were accepted. */
  private long applySamples(TenantIndex ti, HeadAppender.Batch b, int nSlots, AppendResult.Builder rb,
      long[] rejectedByReason) {
    int[] start = this.start;
    int[] order = this.order;
    byte[] verdict = this.verdict;
    RejectReason[] why = this.why;
    boolean[] overLimit = this.overLimit;
    long accepted = 0;
    long rangeMs = head.blockRangeMs();
    for (int g = 0; g < nSlots; g++) {
      MemSeries s = slotSeries[g];
      for (int k = start[g]; k < start[g + 1]; k++) {
        int x = order[k];
        if (overLimit[g] && verdict[k] != 0) {
          reject(rb, rejectedByReason, RejectReason.SERIES_LIMIT, slotLabels[g], b.ts[x]);
        } else if (verdict[k] == 1) {
          s.append(b.ts[x], b.values[x], rangeMs, ti.chunks);
          accepted++;
        } else if (verdict[k] == 2) {
          accepted++;
        } else {
          reject(rb, rejectedByReason, why[k], slotLabels[g], b.ts[x]);
        }
      }
    }
    return accepted;
  }

  /** Adds the exemplars to write to the tenant's ring and reports the rejected ones. */
  private void applyExemplars(TenantIndex ti, HeadAppender.Batch b, int[] exs, int eFrom, int ne, byte[] exVerdict,
      AppendResult.Builder rb, long[] rejectedByReason) {
    boolean[] overLimit = this.overLimit;
    for (int i = 0; i < ne; i++) {
      int g = eSlot[i];
      Exemplar e = b.exemplars.get(exs[eFrom + i]);
      if (overLimit[g]) {
        reject(rb, rejectedByReason, RejectReason.SERIES_LIMIT, slotLabels[g], e.timestampMs());
      } else if (exVerdict[i] == 1) {
        MemSeries s = slotSeries[g];
        ti.exemplars.add(s.ref, e);
        s.lastExemplar = e;
      } else if (exVerdict[i] == 0) {
        reject(rb, rejectedByReason, RejectReason.INVALID_EXEMPLAR, slotLabels[g], e.timestampMs());
      }
    }
  }

  private void putMetadata(Tenant tenant, List<MetricMetadata> newMeta) {
    for (MetricMetadata m : newMeta) {
      head.putMetadata(tenant, m);
    }
  }

  /** A series as a checkpoint records it. */
  private record SeriesSnapshot(Tenant tenant, long id, Labels labels, byte[][] chunks) {}

  /**
   * Writes a checkpoint of this shard's head and deletes the WAL segments it replaces. The lock is held to cut the
   * segment and copy the exemplars, then once per 1,000 series to copy their chunks (those in the chunk file are read
   * under the lock, which is what makes unmapping a deleted segment safe), never while writing. Series copied after
   * the cut may hold samples that the segments after it hold too: replay applies a sample it already has as a no-op
   * (same timestamp, same value), so the overlap is harmless, and copying in batches keeps both the lock hold and the
   * heap the copy takes small (the chunk file's bytes are not on the heap to share).
   */
  void checkpoint(io.micrometer.core.instrument.Timer fsyncTimer, io.micrometer.core.instrument.Counter walBytes)
      throws IOException {
    List<java.util.Map.Entry<Long, Exemplar>> exemplars = new ArrayList<>();
    List<TenantIndex> indexes;
    int covered;
    long nextId;
    lock.lock();
    try {
      if (closed || wal == null) {
        return;
      }
      covered = wal.cutSegment();
      nextId = head.peekNextSeriesId();
      indexes = new ArrayList<>(tenants.values());
      for (TenantIndex ti : indexes) {
        if (ti.exemplars != null) {
          ti.exemplars.forEach((ref, e) -> {
            MemSeries s = ti.get(ref);
            if (s != null) {
              exemplars.add(java.util.Map.entry(s.id, e));
            }
          });
        }
      }
    } finally {
      lock.unlock();
    }
    List<java.util.Map.Entry<Tenant, MetricMetadata>> metadata = head.metadataOfShard(index);
    java.nio.file.Path tmp = walDir.resolve(Checkpoints.PREFIX + io.loupe.tsdb.wlog.Segments.name(covered) + ".tmp");
    Checkpoints.deleteTree(tmp);
    try (SegmentedLog cp = SegmentedLog.open(tmp, 1L << 30, fsyncTimer, walBytes, 0, head.opener())) {
      RecordEncoder enc = new RecordEncoder();
      List<SeriesSnapshot> series = new ArrayList<>();
      for (TenantIndex ti : indexes) {
        int r = 0;
        while (true) {
          series.clear();
          lock.lock();
          try {
            if (closed) {
              throw new IOException("checkpoint of " + walDir + ": the tsdb was closed meanwhile");
            }
            for (; r < ti.size() && series.size() < 1000; r++) {
              MemSeries s = ti.get(r);
              if (s == null) {
                continue;
              }
              byte[][] cs = new byte[s.chunkCount()][];
              for (int i = 0; i < cs.length; i++) {
                cs[i] = s.chunkBytes(i, ti.chunks);
              }
              series.add(new SeriesSnapshot(ti.tenant, s.id, s.labels, cs));
            }
          } finally {
            lock.unlock();
          }
          if (series.isEmpty()) {
            break;
          }
          enc.reset();
          for (SeriesSnapshot sn : series) {
            enc.series(sn.tenant().id(), sn.id(), sn.labels());
          }
          for (SeriesSnapshot sn : series) {
            for (byte[] c : sn.chunks()) {
              enc.chunk(sn.id(), c);
            }
          }
          enc.finish();
          cp.append(enc.buffer(), 0, enc.length());
        }
      }
      for (int i = 0; i < exemplars.size(); i += 10_000) {
        enc.reset();
        for (int k = i; k < Math.min(exemplars.size(), i + 10_000); k++) {
          enc.exemplar(exemplars.get(k).getKey(), exemplars.get(k).getValue());
        }
        enc.finish();
        cp.append(enc.buffer(), 0, enc.length());
      }
      enc.reset();
      enc.nextSeriesId(nextId);
      enc.finish();
      cp.append(enc.buffer(), 0, enc.length());
      if (!metadata.isEmpty()) {
        enc.reset();
        for (java.util.Map.Entry<Tenant, MetricMetadata> m : metadata) {
          enc.metadata(m.getKey().id(), m.getValue());
        }
        enc.finish();
        cp.append(enc.buffer(), 0, enc.length());
      }
    }
    java.nio.file.Files.move(tmp, Checkpoints.dir(walDir, covered), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    try (java.nio.channels.FileChannel d = java.nio.channels.FileChannel.open(walDir,
        java.nio.file.StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // some file systems cannot fsync a directory
    }
    Checkpoints.latest(walDir); // deletes the segments and the checkpoint it supersedes
  }

  private static void reject(AppendResult.Builder rb, long[] counts, RejectReason r, Labels l, long t) {
    counts[r.ordinal()]++;
    rb.reject(r, "series " + l + " timestamp " + t);
  }

}
